"""Gold forms laid out as each family's template prints them: a table of plain cells with merges.

`form_to_table(form)` turns a gold-format form dict into a `Table` — rows of cell texts (a merged
cell's text in its top-left cell, the cells it covers blank) and the merged ranges — in the layout
of the family the form names (`form["family"]`, default `standard`): its title, funds columns
and rows, goal block, indicator columns and total row. Every text shape and file kind of the test
material is written from such a table (`tests/material/shapes.py`, `render.py`).

Numbers are printed the way forms print them: amounts in the form's unit (万元 ÷ 10000), 执行率 as
`90.00%`, blanks where the gold is null. A target printed in three columns (指标性质 / 指标值 /
度量单位) is split back from the gold's `≥95%` by `split_target`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import regex

from tests.material.render import amount_text, number_text, rate_text, runs

Span = tuple[tuple[int, int], tuple[int, int]]  # ((first col, first row), (last col, last row))
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


@dataclass
class Table:
    """Rows of plain cell texts, all of one width, and the merged ranges among them."""

    rows: list[list[str]] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    heading: int = 0  # rows above the ruled table: title, year, table number

    def add(self, cells: list[str], *spans: tuple[int, int]) -> None:
        """A row; each (first, last) column range is merged within it."""
        self.rows.append(cells)
        r = len(self.rows) - 1
        self.spans += [((a, r), (b, r)) for a, b in spans if b > a]


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


def _fill(text: str, form: Form) -> str:
    unit = form.get("amount_unit") or "元"
    weights = sum(i.get("weight") or 0 for i in form["indicators"])
    return text.format(year=form.get("year") or 2022, unit=unit, weights=number_text(weights),
                       place=form.get("place", ""), leader=form.get("leader", ""), finance=form.get("finance", ""))


def _heading(table: Table, layout: Layout, form: Form, width: int) -> None:
    title = _fill(layout.title, form)
    if layout.title_row:
        table.add([f"部门：{form.get('department', '')}", "", "", title] + [""] * (width - 5) + ["公开14表"], (0, 2),
                  (3, width - 2))
    else:
        table.add([title] + [""] * (width - 1), (0, width - 1))
    if layout.year:
        table.add([_fill(layout.year, form)] + [""] * (width - 1), (0, width - 1))
    table.heading = len(table.rows)


def _head(table: Table, layout: Layout, form: Form, width: int) -> None:
    split = 2 + (width - 2) // 2
    table.add(["项目名称", "", form.get("project_name") or ""] + [""] * (width - 3), (0, 1), (2, width - 1))
    table.add(["主管部门", "", form.get("department") or ""] + [""] * (split - 4) + ["实施单位", form.get("implementing_unit") or ""]
              + [""] * (width - split - 2), (0, 1), (2, split - 2), (split, width - 1))
    for label in layout.head_extra:
        table.add([label, "", form.get("contact", "")] + [""] * (width - 3), (0, 1), (2, width - 1))


def _funds(table: Table, layout: Layout, form: Form, columns: tuple[tuple[str, str], ...], width: int) -> None:
    unit = form.get("amount_unit") or "元"
    first = len(table.rows)
    table.add([_fill(layout.funds_label, form), ""] + [h for h, _ in columns] + [""] * (width - 2 - len(columns)),
              (len(columns) + 1, width - 1))
    for label, prefix in layout.funds_rows:
        total = prefix == "budget"
        cells = ["", label]
        for _, key in columns:
            if key in ("initial", "full_year", "executed"):
                value = form.get(f"{prefix}_{key}")
                cells.append(amount_text(value, unit, places=2 if total else 0, grouped=total and key == "executed"))
            elif not total:
                cells.append("—" if key == "weight" else "")
            elif key == "rate":
                cells.append(rate_text(form.get("execution_rate")))
            else:
                cells.append(number_text(form.get(f"funds_{key}")))
        table.add(cells + [""] * (width - len(cells)), (len(columns) + 1, width - 1))
    table.spans.append(((0, first), (0, len(table.rows) - 1)))


def _goal(table: Table, layout: Layout, form: Form, width: int) -> None:
    split = 1 + (width - 1) // 2
    label, planned, achieved = layout.goal
    first = len(table.rows)
    table.add([label, planned] + [""] * (split - 2) + [achieved] + [""] * (width - split - 1), (1, split - 1),
              (split, width - 1))
    table.add(["", form.get("goal_planned") or ""] + [""] * (split - 2) + [form.get("goal_achieved") or ""]
              + [""] * (width - split - 1), (1, split - 1), (split, width - 1))
    table.spans.append(((0, first), (0, first + 1)))


def indicator_cells(ind: Mapping[str, Any], columns: tuple[tuple[str, str], ...]) -> list[str]:
    nature, value, unit = split_target(ind.get("target") or "")
    parts = {"nature": nature, "value": value, "unit": unit}
    cells = []
    for _, key in columns:
        if key in parts:
            cells.append(parts[key])
        elif key in ("weight", "score"):
            cells.append(number_text(ind.get(key)))
        else:
            cells.append(ind.get(key) or "")
    return cells


def _indicators(table: Table, layout: Layout, form: Form, columns: tuple[tuple[str, str], ...]) -> None:
    first = len(table.rows)
    table.add([_fill(layout.indicator_label, form)] + [h for h, _ in columns])
    indicators = form["indicators"]
    for ind in indicators:
        table.add([""] + indicator_cells(ind, columns))
    keys = [k for _, k in columns]
    for col, level in ((1 + keys.index("level1"), ("level1",)), (1 + keys.index("level2"), ("level1", "level2"))):
        for a, b in runs([tuple(ind.get(k) for k in level) for ind in indicators]):
            for r in range(a + 1, b + 1):
                table.rows[first + 1 + r][col] = ""
            if b > a:
                table.spans.append(((col, first + 1 + a), (col, first + 1 + b)))
    table.spans.append(((0, first), (0, first + len(indicators))))


def _total(table: Table, layout: Layout, form: Form, columns: tuple[tuple[str, str], ...], width: int) -> None:
    keys = [k for _, k in columns]
    if "score" not in keys:
        return
    cells = [layout.total] + [""] * (width - 1)
    weight_col, score_col = 1 + keys.index("weight"), 1 + keys.index("score")
    cells[weight_col] = "100"
    cells[score_col] = number_text(form.get("total_score"), places=2)
    if form.get("grade"):
        cells[score_col + 1] = form["grade"]
    table.add(cells, (0, weight_col - 1))


def form_to_table(form: Form) -> Table:
    """The form in its family's layout (`form["layout"]` or `form["family"]`, default standard)."""
    layout = LAYOUTS[form.get("layout") or form.get("family") or "standard"]
    funds, indicators = _columns(layout, form)
    width = 1 + len(indicators)
    table = Table()
    _heading(table, layout, form, width)
    _head(table, layout, form, width)
    _funds(table, layout, form, funds, width)
    _goal(table, layout, form, width)
    _indicators(table, layout, form, indicators)
    _total(table, layout, form, indicators, width)
    if layout.footer and form.get("leader"):
        table.add([_fill(layout.footer, form)] + [""] * (width - 1), (0, width - 1))
    return table
