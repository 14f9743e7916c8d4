"""Gold forms laid out as each family's template prints them, as the `layout.Table` every writer
of test material draws (web pages, workbooks, Word documents, PDFs, and the text shapes).

`family_table(form)` lays a gold-format form dict out in the template of the family it names
(`form["layout"]` or `form["family"]`, default the national one): its title and year, funds
columns and rows, goal block, indicator columns, total row and footer. A form printed without
any 分值 or 得分 (some 县级 copies) is laid out without those columns.

Numbers are printed the way forms print them: amounts in the form's unit (万元 ÷ 10000), 执行率 as
`90.00%`, blanks where the gold is null. A target printed in three columns (指标性质 / 指标值 /
度量单位) is split back from the gold's `≥95%` by `split_target`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import regex

from tests.material.layout import (
    Block,
    Span,
    Table,
    Value,
    amount,
    mid,
    number,
    number_text,
    rate,
    runs,
    stack,
    text,
)

Form = Mapping[str, Any]
OPERATOR = regex.compile(r"^(?P<op>[≥≤＝=＞＜><]=?)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>.*)$")


@dataclass(frozen=True)
class Layout:
    """What a family's template prints where; `funds` and `indicators` are (header, gold key) in order."""

    title: str
    year: str
    funds_label: str
    funds: tuple[tuple[str, str], ...]
    funds_rows: tuple[tuple[str, str], ...]
    goal: tuple[str, str, str]
    indicator_label: str
    indicators: tuple[tuple[str, str], ...]
    total: str = "总分"
    head_extra: tuple[str, ...] = ()  # label rows after 主管部门 (项目负责人及电话)
    title_row: bool = False  # 部门：… and 公开14表 on the title row (云南)
    footer: str = ""


STANDARD_INDICATORS = (("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"),
                       ("年度指标值", "target"), ("实际完成值", "actual"), ("分值", "weight"), ("得分", "score"),
                       ("偏差原因分析及改进措施", "deviation_note"))
SPLIT_TARGET = (("指标性质", "nature"), ("指标值", "value"), ("度量单位", "unit"))
LAYOUTS: dict[str, Layout] = {
    "standard": Layout(
        "财政项目支出绩效自评表", "（{year}年度）", "项目资金（{unit}）",
        (("年初预算数", "initial"), ("全年预算数", "full_year"), ("全年执行数", "executed"), ("分值", "weight"),
         ("执行率", "rate"), ("得分", "score")),
        (("年度资金总额", "budget"), ("其中：当年财政拨款", "appropriation"), ("上年结转资金", "carryover"),
         ("其他资金", "other")),
        ("年度总体目标", "预期目标", "实际完成情况"), "绩效指标", STANDARD_INDICATORS),
    "sichuan": Layout(
        "部门预算项目支出绩效自评表", "（{year}年度）", "年度预算数（{unit}）",
        (("年初预算", "initial"), ("调整后预算数", "full_year"), ("预算执行数", "executed"),
         ("预算执行率", "rate"), ("权重", "weight"), ("得分", "score")),
        (("总额", "budget"), ("其中：财政资金", "appropriation"), ("其他资金", "other")),
        ("年度目标", "项目年度目标", "年度目标完成情况"), "绩效指标（{weights}分）",
        (("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"), *SPLIT_TARGET,
         ("完成值", "actual"), ("权重", "weight"), ("得分", "score"), ("未完成原因分析", "deviation_note")),
        total="合计", footer="项目负责人：{leader}    财务负责人：{finance}"),
    "yunnan": Layout(
        "{year}年度项目支出绩效自评表", "", "项目资金（{unit}）",
        (("年初预算数", "initial"), ("全年预算数", "full_year"), ("全年执行数", "executed"), ("分值", "weight"),
         ("执行率", "rate"), ("得分", "score")),
        (("年度资金总额", "budget"), ("其中：当年财政拨款", "appropriation"), ("上年结转资金", "carryover"),
         ("其他资金", "other")),
        ("年度总体目标", "预期目标", "实际完成情况"), "绩效指标",
        (("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"), *SPLIT_TARGET,
         ("实际完成值", "actual"), ("分值", "weight"), ("得分", "score"), ("偏差原因分析及改进措施", "deviation_note")),
        title_row=True),
    "hubei": Layout(
        "项目支出绩效自评表", "（{year}年度）", "项目资金（{unit}）",
        (("年初预算数(A)", "initial"), ("全年预算数", "full_year"), ("执行数(B)", "executed"), ("分值", "weight"),
         ("执行率(B/A)", "rate"), ("得分", "score")),
        (("年度财政资金总额", "budget"), ("其中：财政拨款", "appropriation"), ("上年结转", "carryover"),
         ("其他资金", "other")),
        ("年度总体目标", "预期目标", "实际完成情况"), "绩效指标",
        (("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"), ("年初目标值(A)", "target"),
         ("全年实际值(B)", "actual"), ("分值", "weight"), ("得分", "score"), ("偏差原因分析及改进措施", "deviation_note"))),
    "beijing": Layout(
        "项目支出绩效自评表", "（{year}年度）", "项目资金（{unit}）",
        (("年初预算数", "initial"), ("全年预算数(A)", "full_year"), ("全年执行数(B)", "executed"), ("分值", "weight"),
         ("执行率(B/A)", "rate"), ("得分", "score")),
        (("年度财政资金总额", "budget"), ("其中：财政拨款", "appropriation"), ("其他资金", "other")),
        ("年度总体目标", "预期目标", "实际完成情况"), "绩效指标",
        (("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"), ("年初目标值(A)", "target"),
         ("全年实际值(B)", "actual"), ("分值", "weight"), ("得分", "score"), ("偏差原因分析及改进措施", "deviation_note"))),
    "county": Layout(
        "{place}项目绩效目标自评表", "（{year}年度）", "资金情况（{unit}）",
        (("全年预算数(A)", "full_year"), ("全年执行数(B)", "executed"), ("分值", "weight"),
         ("执行率(B/A)", "rate"), ("得分", "score")),
        (("年度资金总额", "budget"), ("其中：财政拨款", "appropriation"), ("其他资金", "other")),
        ("年度总体目标", "预期目标", "实际完成情况"), "绩效指标",
        (("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"), ("分值", "weight"),
         ("年度指标值", "target"), ("全年实际值", "actual"), ("得分", "score"),
         ("未完成原因及拟采取的改进措施", "deviation_note")),
        head_extra=("项目负责人及电话",)),
}


def split_target(target: str) -> tuple[str, str, str]:
    """`≥95%` -> (`≥`, `95`, `%`); a target that is no comparison is 定性 with its text as the value."""
    match = OPERATOR.match(target or "")
    if match is None:
        return ("定性" if target else "", target or "", "")
    return match["op"], match["num"], match["unit"]


def _scored(form: Form) -> bool:
    return form.get("funds_weight") is not None or any(i.get("weight") is not None for i in form["indicators"])


def _columns(layout: Layout, form: Form) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The funds and indicator columns this form prints: a copy with no scores has no 分值 or 得分."""
    if _scored(form):
        return layout.funds, layout.indicators
    unscored = ("weight", "score")
    return (tuple(c for c in layout.funds if c[1] not in unscored),
            tuple(c for c in layout.indicators if c[1] not in unscored))


def _fill(words: str, form: Form) -> str:
    unit = form.get("amount_unit") or "元"
    weights = sum(i.get("weight") or 0 for i in form["indicators"])
    return words.format(year=form.get("year") or 2022, unit=unit, weights=number_text(weights),
                        place=form.get("place", ""), leader=form.get("leader", ""), finance=form.get("finance", ""))


class _Rows:
    """Rows of one width being laid out, and their merged ranges."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.rows: list[list[Value]] = []
        self.spans: list[Span] = []

    def add(self, cells: dict[int, Value], *merged: tuple[int, int], down: int = 0) -> None:
        """A row with cells at their columns; each (first, last) range merged, `down` more rows deep."""
        self.rows.append([cells.get(c, "") for c in range(self.width)])
        r = len(self.rows) - 1
        self.spans += [((a, r), (b, r + down)) for a, b in merged if b > a or down]

    def block(self) -> Block:
        return Block(self.rows, self.spans)


def _heading(layout: Layout, form: Form, width: int) -> tuple[list[str], Block]:
    """The lines above the table; 云南 prints its title on a table row beside 部门：… and 公开14表."""
    title = _fill(layout.title, form)
    lines = [_fill(layout.year, form)] if layout.year else []
    rows = _Rows(width)
    if layout.title_row:
        rows.add({0: text(f"部门：{form.get('department', '')}"), 3: mid(title), width - 1: mid("公开14表")},
                 (0, 2), (3, width - 2))
        return lines, rows.block()
    return [title, *lines], rows.block()


def _head(layout: Layout, form: Form, width: int) -> Block:
    split = 2 + (width - 2) // 2
    rows = _Rows(width)
    rows.add({0: mid("项目名称"), 2: text(form.get("project_name"))}, (0, 1), (2, width - 1))
    rows.add({0: mid("主管部门"), 2: text(form.get("department")), split - 1: mid("实施单位"),
              split: text(form.get("implementing_unit"))}, (0, 1), (2, split - 2), (split, width - 1))
    for label in layout.head_extra:
        rows.add({0: mid(label), 2: text(form.get("contact"))}, (0, 1), (2, width - 1))
    return rows.block()


def _funds_cell(form: Form, prefix: str, key: str) -> Value:
    unit = form.get("amount_unit") or "元"
    total = prefix == "budget"
    if key in ("initial", "full_year", "executed"):
        return amount(form.get(f"{prefix}_{key}"), unit, places=2 if total else 0, grouped=total and key == "executed")
    if not total:
        return mid("—") if key == "weight" else ""
    return rate(form.get("execution_rate")) if key == "rate" else number(form.get(f"funds_{key}"))


def _funds(layout: Layout, form: Form, columns: tuple[tuple[str, str], ...], width: int) -> Block:
    rows = _Rows(width)
    last = len(columns) + 1
    rows.add({0: mid(_fill(layout.funds_label, form)), **{2 + i: mid(h) for i, (h, _) in enumerate(columns)}},
             (last, width - 1))
    for label, prefix in layout.funds_rows:
        rows.add({1: text(label), **{2 + i: _funds_cell(form, prefix, k) for i, (_, k) in enumerate(columns)}},
                 (last, width - 1))
    rows.spans.append(((0, 0), (0, len(rows.rows) - 1)))
    return rows.block()


def _goal(layout: Layout, form: Form, width: int) -> Block:
    split = 1 + (width - 1) // 2
    label, planned, achieved = layout.goal
    rows = _Rows(width)
    rows.add({0: mid(label), 1: mid(planned), split: mid(achieved)}, (1, split - 1), (split, width - 1))
    rows.add({1: text(form.get("goal_planned")), split: text(form.get("goal_achieved"))}, (1, split - 1),
             (split, width - 1))
    rows.spans.append(((0, 0), (0, 1)))
    return rows.block()


def indicator_cells(ind: Mapping[str, Any], columns: tuple[tuple[str, str], ...]) -> list[Value]:
    nature, value, unit = split_target(ind.get("target") or "")
    parts = {"nature": mid(nature), "value": text(value), "unit": mid(unit)}
    cells: list[Value] = []
    for _, key in columns:
        if key in parts:
            cells.append(parts[key])
        elif key in ("weight", "score"):
            cells.append(number(ind.get(key)))
        elif key in ("level1", "level2"):
            cells.append(mid(ind.get(key)))
        else:
            cells.append(text(ind.get(key)))
    return cells


def _indicators(layout: Layout, form: Form, columns: tuple[tuple[str, str], ...]) -> Block:
    rows = _Rows(1 + len(columns))
    rows.add({0: mid(_fill(layout.indicator_label, form)), **{1 + i: mid(h) for i, (h, _) in enumerate(columns)}})
    indicators = form["indicators"]
    for ind in indicators:
        rows.add(dict(enumerate(["", *indicator_cells(ind, columns)])))
    keys = [k for _, k in columns]
    for col, level in ((1 + keys.index("level1"), ("level1",)), (1 + keys.index("level2"), ("level1", "level2"))):
        for a, b in runs([tuple(ind.get(k) for k in level) for ind in indicators]):
            for r in range(a + 2, b + 2):
                rows.rows[r][col] = ""
            if b > a:
                rows.spans.append(((col, a + 1), (col, b + 1)))
    rows.spans.append(((0, 0), (0, len(indicators))))
    return rows.block()


def _total(layout: Layout, form: Form, columns: tuple[tuple[str, str], ...]) -> Block:
    keys = [k for _, k in columns]
    rows = _Rows(1 + len(columns))
    if "score" not in keys:
        return rows.block()
    weight, score = 1 + keys.index("weight"), 1 + keys.index("score")
    cells: dict[int, Value] = {0: mid(layout.total), weight: number(100),
                               score: number(form.get("total_score"), places=2)}
    if form.get("grade"):
        cells[score + 1] = mid(form["grade"])
    rows.add(cells, (0, weight - 1))
    return rows.block()


def _footer(layout: Layout, form: Form, width: int) -> Block:
    rows = _Rows(width)
    if layout.footer and form.get("leader"):
        rows.add({0: text(_fill(layout.footer, form))}, (0, width - 1))
    return rows.block()


def family_table(form: Form) -> Table:
    """The form in its family's layout (`form["layout"]` or `form["family"]`, default standard)."""
    layout = LAYOUTS[form.get("layout") or form.get("family") or "standard"]
    funds, indicators = _columns(layout, form)
    width = 1 + len(indicators)
    lines, title_row = _heading(layout, form, width)
    blocks = [title_row, _head(layout, form, width), _funds(layout, form, funds, width), _goal(layout, form, width),
              _indicators(layout, form, indicators), _total(layout, form, indicators), _footer(layout, form, width)]
    return Table(lines, stack(blocks), columns=width)
