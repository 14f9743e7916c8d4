"""schemas/checks.py: every check passes a consistent form and flags a form changed to trip it.

Forms go through the text pipeline (dump -> rows -> segment -> Form) from `form_dump`, whose
defaults are one consistent 自评表 worked out by hand:

    funds: 分值 10, 全年执行数 90,000 of 全年预算数 100,000 = 90.00%, 得分 10 x 0.9 = 9
    sources per column: 年初 100,000 + 20,000 + 0 = 120,000; 全年 80,000 + 20,000 + 0 = 100,000;
                        执行 70,000 + 20,000 + 0 = 90,000
    indicators (分值 / 得分):
      培训人次   >=200人次, 160人次: not met, 20 x 160/200 = 16
      结业合格率 >=95%, 98%: met, 20
      办结时间   <=30天, 40天: a <= target not met, 10 x 30/40 = 7.5
      就业促进   text target: not recomputed, 20
      学员满意度 >=90%, 95%: met, 20
    分值 10 + 20 + 20 + 10 + 20 + 20 = 100; 总分 9 + 16 + 20 + 7.5 + 20 + 20 = 92.5
"""

from __future__ import annotations

import pytest

from extractors.family import load_family
from extractors.inputs.text import text_to_rows
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments
from schemas.checks import CHECKS, expected_indicator_score, form_to_flags
from schemas.model import Form, Indicator

FAMILY = load_family()

INDICATORS = [  # 一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分, 偏差原因
    ["产出指标", "数量指标", "培训人次", ">=200人次", "160人次", "20", "16", "部分学员因病缺课"],
    ["", "质量指标", "结业合格率", ">=95%", "98%", "20", "20", ""],
    ["", "时效指标", "办结时间", "<=30天", "40天", "10", "7.5", "场地调整延误"],
    ["效益指标", "社会效益指标", "就业促进", "有效促进残疾人就业", "基本达到", "20", "20", ""],
    ["满意度指标", "服务对象满意度指标", "学员满意度", ">=90%", "95%", "20", "20", ""],
]
CONSISTENT = {
    "title": "财政项目支出绩效自评表", "year": "(2022 年度)",
    "project": "残疾人职业技能培训", "department": "上海市残疾人联合会", "unit": "上海市残疾人职业培训中心",
    "amount_unit": "元",
    "budget": ["120000.00", "100000.00", "90,000"], "funds_weight": "10", "rate": "90.00%", "funds_score": "9",
    "appropriation": ["100000", "80000", "70000"], "carryover": ["20000", "20000", "20000"], "other": ["0", "0", "0"],
    "planned": "全年培训残疾人200人次", "achieved": "全年培训残疾人160人次",
    "indicators": INDICATORS, "weight_total": "100", "total": "92.50", "extra_lines": [],
}


def form_dump(**changes) -> str:
    """The consistent form as a tab-separated text dump, with some printed cells changed."""
    f = {**CONSISTENT, **changes}
    lines = [f["title"], f["year"],
             f"项目名称\t\t{f['project']}\t\t\t\t\t\t",
             f"主管部门\t\t{f['department']}\t\t\t实施单位\t\t{f['unit']}\t",
             *f["extra_lines"],
             f"项目资金 ({f['amount_unit']})\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分\t",
             "\t".join(["", "年度资金总额", *f["budget"], f["funds_weight"], f["rate"], f["funds_score"], ""])]
    for label, key in (("其中：当年财政拨款", "appropriation"), ("上年结转资金", "carryover"), ("其他资金", "other")):
        lines.append("\t".join(["", label, *f[key], "—", "", "", ""]))
    lines += ["年度总体目标\t预期目标\t\t\t\t实际完成情况\t\t\t",
              f"\t{f['planned']}\t\t\t\t{f['achieved']}\t\t\t",
              "绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施"]
    lines += ["\t" + "\t".join(row) for row in f["indicators"]]
    lines.append(f"总分\t\t\t\t\t\t{f['weight_total']}\t{f['total']}\t")
    return "\n".join(line for line in lines if line is not None) + "\n"


def dump_to_form(text: str, confidence: dict[tuple[int, int], float] | None = None) -> Form:
    """The dump's form; with `confidence`, its rows read as OCR'd: every cell 0.99 sure except
    the (line, column) cells given."""
    rows = text_to_rows(text)
    if confidence is not None:
        for row in rows:
            row.confidence = [confidence.get((row.line, col), 0.99) for col in range(len(row.cells))]
    (segment,) = rows_to_segments(rows, FAMILY)
    return segment_to_form(segment, FAMILY, form_id="f-001", source_file="form.txt", source_sha256="0" * 64)


def form_of(confidence: dict[tuple[int, int], float] | None = None, **changes) -> Form:
    return dump_to_form(form_dump(**changes), confidence)


def with_indicator(seq: int, **cells: str) -> list[list[str]]:
    """INDICATORS with the cells of indicator `seq` (1-based) changed."""
    names = ["level1", "level2", "level3", "target", "actual", "weight", "score", "note"]
    rows = [list(r) for r in INDICATORS]
    for name, value in cells.items():
        rows[seq - 1][names.index(name)] = value
    return rows


def checks_raised(form: Form) -> list[str]:
    return [flag.check for flag in form_to_flags(form)]


# -- the consistent form ----------------------------------------------------------------------------

def test_the_consistent_form_is_read_as_written():
    form = form_of()
    assert (form.year, form.project_name, form.department) == (2022, "残疾人职业技能培训", "上海市残疾人联合会")
    assert form.value("budget_full_year") == 100000 and form.value("budget_executed") == 90000
    assert form.value("execution_rate") == pytest.approx(0.9)
    assert [i.score for i in form.indicators] == [16, 20, 7.5, 20, 20]
    assert form.total_score == 92.5
    assert form.unplaced == [] and form.unparsed == []


def test_the_consistent_form_raises_no_flag():
    assert form_to_flags(form_of()) == []


# -- one form per check, changed just enough to trip it ------------------------------------------

TRIPS = {
    # code: (changes to the consistent dump, field, expected, found)
    "total_score": ({"total": "93.50"}, "total_score", "92.50", "93.50"),
    # a qualitative indicator's 分值 20 -> 25 (its 得分 20 still fits): 105 in all
    "weight_sum": ({"indicators": with_indicator(4, weight="25"), "weight_total": "105"},
                   "funds_weight", "100", "105"),
    # 91.00% printed for 90,000 / 100,000; the 得分 9 is within one unit of 10 x 91% = 9.1
    "execution_rate": ({"rate": "91.00%"}, "execution_rate", "90.00%", "91.00%"),
    # 得分 8 for 10 x 90%; 总分 follows the printed 得分
    "funds_score": ({"funds_score": "8.00", "total": "91.50"}, "funds_score", "9.00", "8.00"),
    # a qualitative indicator scoring 25 of its 20
    "score_exceeds_weight": ({"indicators": with_indicator(4, score="25"), "total": "97.50"},
                             "indicators[4].score", "<= 20", "25"),
    # 当年财政拨款 全年执行数 60,000: sources 80,000 against the 90,000 printed as 年度资金总额
    "budget_sources": ({"appropriation": ["100000", "80000", "60000"]}, "budget_executed", "80,000", "90,000"),
    # 160 of >=200 printed as full marks: the rule gives 20 x 160/200 = 16
    "indicator_score": ({"indicators": with_indicator(1, score="20"), "total": "96.50"},
                        "indicators[1].score", "16.00", "20"),
    "missing_field": ({"unit": ""}, "implementing_unit", "", ""),
    "unplaced_text": ({"extra_lines": ["备注：本项目经主管部门审核"]}, "unplaced[1]", "", "备注：本项目经主管部门审核"),
    # 全年执行数 written out in words: not a number
    "unparsed_value": ({"budget": ["120000.00", "100000.00", "九万"]}, None, "", "九万"),
    # the 项目名称 cell (line 3, column 3) recognised with confidence 0.5
    "low_confidence": ({"confidence": {(3, 2): 0.5}}, "doubtful[1]", "", "残疾人职业技能培训 (confidence 0.50)"),
}


def test_every_check_has_a_trip():
    assert set(TRIPS) == set(CHECKS)


@pytest.mark.parametrize("code", sorted(CHECKS))
def test_the_consistent_form_raises_no_flag_of_each_check(code):
    assert list(CHECKS[code](form_of())) == []


@pytest.mark.parametrize("code", sorted(TRIPS))
def test_a_tripped_form_raises_exactly_that_check(code):
    changes, field, expected, found = TRIPS[code]
    flags = form_to_flags(form_of(**changes))
    assert [flag.check for flag in flags] == [code]
    (flag,) = flags
    if field is not None:
        assert flag.field == field
    assert (flag.expected, flag.found) == (expected, found)
    assert flag.severity in ("error", "warning")
    assert flag.message and flag.form_id == "f-001"


def test_unparsed_value_names_the_field_and_its_place():
    (flag,) = form_to_flags(form_of(budget=["120000.00", "100000.00", "九万"]))
    assert flag.field.startswith("budget_executed@")
    assert "line 6" in flag.field  # the 年度资金总额 row is the dump's sixth line


@pytest.mark.parametrize(("changes", "field"), [
    ({"project": ""}, "project_name"),
    ({"department": ""}, "department"),
    ({"unit": ""}, "implementing_unit"),
    ({"planned": ""}, "goal_planned"),
    ({"achieved": ""}, "goal_achieved"),
    pytest.param({"total": ""}, "total_score"),
    ({"year": None}, "year"),
    ({"budget": ["120000.00", "", "90,000"]}, "budget_full_year"),
    ({"funds_score": "", "total": "83.50"}, "funds_score"),
])
def test_missing_field_names_the_blank_field(changes, field):
    flags = form_to_flags(form_of(**changes))
    assert [(f.check, f.field) for f in flags] == [("missing_field", field)]


# -- tolerance: one unit of the last printed digit --------------------------------------------------

SEED_FUNDS = {  # 综合信息管理系统（运维）: 348,350 of 387,167 = 89.974%
    "budget": ["427167.00", "387167.00", "348,350"], "funds_score": "9",
    "appropriation": ["427167", "387167", "348350"], "carryover": ["0", "0", "0"], "other": ["0", "0", "0"],
    "total": "92.50",
}


@pytest.mark.parametrize(("rate", "flagged"), [
    ("89.98%", False),  # within 0.01% of 89.974%
    ("89.97%", False),
    ("89.90%", True),   # 0.074% off
    ("90.00%", True),
    ("90%", False),     # printed to whole percent: one unit is 1%
    ("89%", False),
    ("88%", True),
])
def test_execution_rate_allows_one_unit_of_the_printed_precision(rate, flagged):
    assert 348350 / 387167 == pytest.approx(0.89974, abs=1e-5)
    assert checks_raised(form_of(**SEED_FUNDS, rate=rate)) == (["execution_rate"] if flagged else [])


@pytest.mark.parametrize(("rate", "score", "flagged"), [
    ("97.03%", "9.7", False),    # 9.703 printed to one decimal
    ("97.03%", "9.70", False),   # 9.703 to two decimals: within 0.01
    ("97.03%", "9.60", True),
    ("97.03%", "10", False),     # whole points: one unit is 1
    ("97.03%", "8", True),
])
def test_funds_score_allows_one_unit_of_the_printed_precision(rate, score, flagged):
    total = f"{float(score) + 83.5:.2f}"  # the indicators' 得分 add up to 83.5
    form = form_of(budget=["100000.00", "100000.00", "97,030"], rate=rate, funds_score=score, total=total,
                   appropriation=["80000", "80000", "77030"])
    assert checks_raised(form) == (["funds_score"] if flagged else [])


def test_funds_score_caps_the_rate_at_one():
    """Spending beyond the budget (110%) earns the full 分值, not more."""
    form = form_of(budget=["100000.00", "100000.00", "110,000"], rate="110.00%", funds_score="10",
                   appropriation=["80000", "80000", "90000"], total="93.50")
    assert checks_raised(form) == []
    over = form_of(budget=["100000.00", "100000.00", "110,000"], rate="110.00%", funds_score="11.00",
                   appropriation=["80000", "80000", "90000"], total="94.50")
    assert checks_raised(over) == ["funds_score"]


def test_total_score_allows_one_unit_of_the_printed_total():
    assert checks_raised(form_of(total="92.51")) == []     # 0.01 off, printed to 0.01
    assert checks_raised(form_of(total="92.52")) == ["total_score"]
    assert checks_raised(form_of(total="93")) == []         # printed to whole points


# -- budget_sources: only where a source column is filled -------------------------------------------

def test_budget_sources_skips_a_column_whose_sources_are_blank():
    blank_executed = {"appropriation": ["100000", "80000", ""], "carryover": ["20000", "20000", ""],
                      "other": ["0", "0", ""]}
    assert checks_raised(form_of(**blank_executed)) == []
    # the same blank column beside a filled one that is off still flags that one column
    off = {**blank_executed, "appropriation": ["90000", "80000", ""]}
    flags = form_to_flags(form_of(**off))
    assert [(f.check, f.field, f.expected, f.found) for f in flags] == [
        ("budget_sources", "budget_initial", "110000.00", "120000.00")]


def test_budget_sources_in_wan_yuan_allows_one_printed_unit():
    """Amounts printed in 万元 to two decimals are compared to 0.01 万元 = 100 元."""
    wan = {"amount_unit": "万元", "budget": ["12.00", "10.00", "9.00"],
           "appropriation": ["10.00", "8.00", "7.01"], "carryover": ["2.00", "2.00", "2.00"],
           "other": ["0", "0", "0"]}
    form = form_of(**wan)
    assert form.value("budget_executed") == pytest.approx(90000)
    assert checks_raised(form) == []
    flags = form_to_flags(form_of(**{**wan, "appropriation": ["10.00", "8.00", "7.02"]}))
    assert [(f.check, f.field) for f in flags] == [("budget_sources", "budget_executed")]


# -- indicator_score: the rule --------------------------------------------------------------------

def indicator(target: str, actual: str, weight: float = 20.0, score: float | None = None) -> Indicator:
    return Indicator(seq=1, level3="指标", target=target, actual=actual, weight=weight, score=score)


@pytest.mark.parametrize(("target", "actual", "expected"), [
    (">=200人次", "200人次", 20.0),      # met exactly
    (">=200人次", "260人次", 20.0),      # met with room: never more than 分值
    ("≥95%", "98%", 20.0),
    ("不低于95%", "98%", 20.0),
    (">=200人次", "160人次", 16.0),      # not met: 分值 x B/A
    (">=200人次", "160", 16.0),          # the actual without its unit
    ("≥80%", "60%", 15.0),
    ("<=30天", "20天", 20.0),            # a <= target met
    ("<=30天", "40天", 15.0),            # not met: 分值 x A/B
    ("≤2小时", "4小时", 10.0),
    ("不高于2次", "4次", 10.0),
])
def test_the_indicator_rule(target, actual, expected):
    assert expected_indicator_score(indicator(target, actual)) == pytest.approx(expected)


@pytest.mark.parametrize(("target", "actual"), [
    ("系统全年稳定运行", "稳定"),                 # not a quantity
    ("故障2小时内响应处理", "符合"),
    ("<=2022年12月31日", "符合"),
    (">=80百分比", ">=70%"),                      # the actual carries a comparator: skipped
    (">=90%", ">=92%"),
    ("<2小时", "<2小时"),
    (">=12次", "12个"),                           # units differ
    ("100%", ""),
])
def test_the_indicator_rule_skips_what_is_no_plain_quantity(target, actual):
    assert expected_indicator_score(indicator(target, actual)) is None


def test_indicator_score_skips_an_indicator_without_a_weight():
    assert expected_indicator_score(indicator(">=200人次", "160人次", weight=None)) is None


def test_indicator_score_allows_one_unit_of_the_printed_score():
    # 20 x 190/200 = 19: whole points allow 18 but not 17; to one decimal 18.9 passes and 18.5 does not
    for score, total, flagged in (("19", "95.50", False), ("18", "94.50", False), ("17", "93.50", True),
                                  ("18.9", "95.40", False), ("18.5", "95.00", True)):
        form = form_of(indicators=with_indicator(1, actual="190人次", score=score), total=total)
        assert checks_raised(form) == (["indicator_score"] if flagged else []), score


def test_indicator_score_ignores_a_skipped_indicator_whatever_its_score():
    """A text target or a comparator in the actual: 得分 is the evaluator's, not recomputed."""
    for cells in ({"actual": ">=160人次"}, {"target": "较上年有所增加", "actual": "160人次"}):
        form = form_of(indicators=with_indicator(1, score="12", **cells), total="88.50")
        assert checks_raised(form) == []


# -- messages a reviewer reads ------------------------------------------------------------------------

def test_a_wan_yuan_form_is_flagged_as_it_prints_its_figures():
    from pathlib import Path

    from extractors.extract import grid_to_extraction
    from extractors.inputs import read_grid

    pdf = Path(__file__).parent.parent / "fixtures" / "pdf-wanyuan" / "seed-wanyuan.pdf"
    forms = grid_to_extraction(read_grid(pdf).rows, file="wanyuan.pdf", sha256="0" * 64).forms
    flag = next(f for form in forms for f in form_to_flags(form) if f.check == "budget_sources")
    assert flag.message == "全年预算数 30,000.00 元（表上 3.00 万元）不等于 当年财政拨款 + 上年结转资金 + 其他资金 = 99,000.00 元"
    assert "30,000.00 元 (printed 3.00 万元) is not 当年财政拨款" in flag.message_en
    assert (flag.found, flag.expected) == ("3.00", "9.90")
    assert (flag.page, flag.line, flag.sheet, flag.cell, flag.location) == (1, 6, "", "col 4", "page 1 line 6 col 4")


def test_large_amounts_are_never_printed_with_an_exponent():
    (flag,) = form_to_flags(form_of(appropriation=["100000", "6930000", "70000"]))
    assert flag.check == "budget_sources" and flag.field == "budget_full_year"
    assert "= 6,950,000.00 元" in flag.message and "100,000.00 元 不等于" in flag.message
    assert flag.expected == "6950000.00" and "e+" not in flag.message + flag.message_en + flag.expected


@pytest.mark.parametrize("code", sorted(TRIPS))
def test_every_flag_says_where_its_value_stands(code):
    changes, *_ = TRIPS[code]
    (flag,) = form_to_flags(form_of(**changes))
    assert flag.line > 0 and flag.location.startswith("line ") and flag.message_en
    assert flag.location.removeprefix(f"line {flag.line}") in ("", f" {flag.cell}")
