"""Reconstruction of rows that do not stand where the header says: slid funds and indicator rows."""

from __future__ import annotations

from extractors.inputs.text import text_to_rows
from extractors.rebuild import segment_to_form
from extractors.segment import rows_to_segments

HEAD = ["财政项目支出绩效自评表", "(2022 年度)", "项目名称\t\t测试项目",
        "主管部门\t\t测试部门\t\t\t实施单位\t\t测试单位",
        "项目资金 (元)\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分"]
GOAL = ["年度总体目标\t预期目标\t\t\t\t实际完成情况", "\t完成测试\t\t\t\t已完成测试",
        "绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施"]


def rebuild(lines: list[str], family):
    segments = rows_to_segments(text_to_rows("\n".join(lines)), family)
    assert len(segments) == 1
    return segment_to_form(segments[0], family, form_id="t", source_file="t.txt", source_sha256="0")


def test_funds_rows_slid_sideways_are_read_under_their_header(family) -> None:
    funds = ["\t年度资金总额\t1000.00\t800.00\t720\t10\t90.00%\t9",
             "其中：当年财政拨款\t1000\t800\t720\t—",       # slid one column left
             "\t\t上年结转资金\t0\t0\t\t—",                 # slid one column right
             "\t其他资金\t0\t0\t0\t—"]
    form = rebuild(HEAD + funds + GOAL + ["\t产出指标\t数量指标\t测试次数\t>=10次\t10次\t90\t90\t", "总分\t\t\t\t\t\t100\t99"],
                   family)
    assert [form.value(f"appropriation_{c}") for c in ("initial", "full_year", "executed")] == [1000, 800, 720]
    assert [form.value(f"carryover_{c}") for c in ("initial", "full_year", "executed")] == [0, 0, None]
    assert form.value("execution_rate") == 0.9 and form.value("funds_score") == 9


def test_indicator_rows_slid_and_continued_keep_their_levels(family) -> None:
    funds = ["\t年度资金总额\t100\t100\t100\t10\t100.00%\t10"]
    rows = ["\t产出指标\t数量指标\t甲\t>=1次\t1次\t30\t30\t",
            "\t\t\t质量指标\t乙\t合格\t合格\t30\t30",           # 二级指标 slid into the 三级 column
            "效益指标\t社会效益指标\t丙\t良好\t良好\t20\t20\t",      # slid left, level1 in the label column
            GOAL[-1],                                           # the header repeated on a new page
            "\t\t\t丁\t满意\t满意\t10\t10\t"]
    form = rebuild(HEAD + funds + GOAL + rows + ["总分\t\t\t\t\t\t100\t100"], family)
    assert [(i.level1, i.level2, i.level3, i.weight, i.score) for i in form.indicators] == [
        ("产出指标", "数量指标", "甲", 30, 30), ("产出指标", "质量指标", "乙", 30, 30),
        ("效益指标", "社会效益指标", "丙", 20, 20), ("效益指标", "社会效益指标", "丁", 10, 10)]
    assert not form.unplaced and not form.unparsed


def test_cost_indicators_are_a_level1_of_their_own_in_2021_forms(family) -> None:
    """成本指标 is a 二级指标 of 产出指标 before 2021 and a 一级指标 from 2021: its column says which."""
    funds = ["\t年度资金总额\t100\t100\t100\t10\t100.00%\t10"]
    rows = ["\t产出指标\t数量指标\t甲\t>=1次\t1次\t20\t20\t",
            "\t\t成本指标\t乙\t<=50元\t40元\t20\t20\t",
            "\t成本指标\t经济成本指标\t丙\t<=100万元\t90万元\t20\t20\t",
            "\t\t社会成本指标\t丁\t无\t无\t10\t10\t",
            "\t满意度指标\t服务对象满意度指标\t戊\t>=90%\t95%\t20\t20\t"]
    form = rebuild(HEAD + funds + GOAL + rows + ["总分\t\t\t\t\t\t100\t100"], family)
    assert [(i.level1, i.level2) for i in form.indicators] == [
        ("产出指标", "数量指标"), ("产出指标", "成本指标"), ("成本指标", "经济成本指标"),
        ("成本指标", "社会成本指标"), ("满意度指标", "服务对象满意度指标")]
