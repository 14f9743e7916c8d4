"""A gold-format form dict laid out as the national 绩效自评表 prints it: title lines above one
table of nine columns, with merged ranges, in cells that know their printed text and, for
numbers, the value and spreadsheet number format behind it.

Every writer of test material draws this same layout: `render.py` (PDF), `web.py` (HTML),
`office.py` (XLSX, DOCX). Another family's labels come in through `Labels`; another family's
columns are another function building a `Table` the same way.

Nine columns: label, 一级指标, 二级指标, 三级指标, 年度指标值, 实际完成值, 分值, 得分, 偏差原因分析及改进措施.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Span = tuple[tuple[int, int], tuple[int, int]]  # ((first col, first row), (last col, last row))


@dataclass(frozen=True)
class Cell:
    """A filled cell: its text as printed; a number also carries its value (in the printed unit)
    and the spreadsheet format that prints it so (`0.00`, `#,##0`, `0.00%`)."""

    text: str
    value: float | None = None
    fmt: str = ""
    centred: bool = False


Value = Cell | str  # "" is a blank cell


@dataclass
class Block:
    """Rows of cells plus their merged ranges, in block-local (col, row) coordinates."""

    rows: list[list[Value]]
    spans: list[Span] = field(default_factory=list)


@dataclass
class Table:
    """One form as printed: lines of text above the table (title, year), then the table."""

    heading: list[str]
    block: Block
    columns: int = 9


@dataclass(frozen=True)
class Labels:
    """The printed words of the layout; a family that words them otherwise passes its own."""

    title: str = "财政项目支出绩效自评表"
    year: str = "（{year}年度）"
    project_name: str = "项目名称"
    department: str = "主管部门"
    implementing_unit: str = "实施单位"
    funds: str = "项目资金（{unit}）"
    funds_columns: tuple[str, ...] = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
    funds_rows: tuple[tuple[str, str], ...] = (("年度资金总额", "budget"), ("其中：当年财政拨款", "appropriation"),
                                               ("上年结转资金", "carryover"), ("其他资金", "other"))
    goal: str = "年度总体目标"
    goal_columns: tuple[str, str] = ("预期目标", "实际完成情况")
    indicators: str = "绩效指标"
    indicator_columns: tuple[str, ...] = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值",
                                          "得分", "偏差原因分析及改进措施")
    total: str = "总分"
    not_applicable: str = "—"


NATIONAL = Labels()


def text(value: object, *, centred: bool = False) -> Value:
    """A text cell; blank values stay blank."""
    return "" if value is None or value == "" else Cell(str(value), centred=centred)


def mid(value: object) -> Value:
    return text(value, centred=True)


def _decimals(value: float, places: int) -> int:
    exact = Decimal(repr(float(value))).quantize(Decimal("0.000001")).normalize()
    exponent = exact.as_tuple().exponent
    return max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)


def number_format(decimals: int, *, grouped: bool = False, percent: bool = False) -> str:
    """The spreadsheet format printing that many decimals: 2 -> `0.00`, grouped -> `#,##0.00`."""
    return ("#,##0" if grouped else "0") + ("." + "0" * decimals if decimals else "") + ("%" if percent else "")


def number_text(value: float | None, *, places: int = 0, grouped: bool = False) -> str:
    """A number as forms print it: at least `places` decimals, more only when the value needs them."""
    if value is None:
        return ""
    return f"{float(value):{',' if grouped else ''}.{_decimals(value, places)}f}"


def number(value: float | None, *, places: int = 0, grouped: bool = False) -> Value:
    """A centred number cell printed like `number_text`."""
    if value is None:
        return ""
    fmt = number_format(_decimals(value, places), grouped=grouped)
    return Cell(number_text(value, places=places, grouped=grouped), float(value), fmt, centred=True)


def amount(value: float | None, unit: str, *, places: int = 0, grouped: bool = False) -> Value:
    """An amount in 元 printed in the form's unit; 万元 divides by 10000 and prints at least two decimals."""
    if value is None:
        return ""
    if unit == "万元":
        return number(value / 10000, places=max(places, 2), grouped=grouped)
    return number(value, places=places, grouped=grouped)


def rate(value: float | None) -> Value:
    """0.8998 → 89.98% (format `0.00%`)."""
    return "" if value is None else Cell(f"{value * 100:.2f}%", float(value), "0.00%", centred=True)


def head_block(form: Mapping[str, Any], labels: Labels = NATIONAL) -> Block:
    """项目名称 row and 主管部门/实施单位 row."""
    rows: list[list[Value]] = [
        [mid(labels.project_name), "", text(form.get("project_name")), "", "", "", "", "", ""],
        [mid(labels.department), "", text(form.get("department")), "", "", mid(labels.implementing_unit),
         text(form.get("implementing_unit")), "", ""]]
    spans: list[Span] = [((0, 0), (1, 0)), ((2, 0), (8, 0)), ((0, 1), (1, 1)), ((2, 1), (4, 1)), ((6, 1), (8, 1))]
    return Block(rows, spans)


def funds_block(form: Mapping[str, Any], labels: Labels = NATIONAL) -> Block:
    """项目资金 header and its four rows; only 年度资金总额 has a 分值, 执行率 and 得分."""
    unit = form.get("amount_unit") or "元"
    initial, full_year, executed, weight, rate_label, score = labels.funds_columns
    headers = (initial, full_year, executed, weight, rate_label, "", score)
    rows: list[list[Value]] = [[mid(labels.funds.format(unit=unit)), "", *[mid(h) for h in headers]]]
    for label, prefix in labels.funds_rows:
        total = prefix == "budget"
        first, second, third = (form.get(f"{prefix}_{col}") for col in ("initial", "full_year", "executed"))
        rows.append(["", text(label),
                     amount(first, unit, places=2 if total else 0),
                     amount(second, unit, places=2 if total else 0),
                     amount(third, unit, grouped=total),
                     number(form.get("funds_weight")) if total else mid(labels.not_applicable),
                     rate(form.get("execution_rate")) if total else "", "",
                     number(form.get("funds_score")) if total else ""])
    spans: list[Span] = [((0, 0), (0, 4))] + [((6, r), (7, r)) for r in range(5)]
    return Block(rows, spans)


def goal_block(form: Mapping[str, Any], labels: Labels = NATIONAL) -> Block:
    """年度总体目标: 预期目标 and 实际完成情况, each a wide merged cell."""
    planned, achieved = labels.goal_columns
    rows: list[list[Value]] = [
        [mid(labels.goal), mid(planned), "", "", "", mid(achieved), "", "", ""],
        ["", text(form.get("goal_planned")), "", "", "", text(form.get("goal_achieved")), "", "", ""]]
    spans: list[Span] = [((0, 0), (0, 1)), ((1, 0), (4, 0)), ((5, 0), (8, 0)), ((1, 1), (4, 1)), ((5, 1), (8, 1))]
    return Block(rows, spans)


def runs(keys: Sequence[object]) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal consecutive keys."""
    out: list[tuple[int, int]] = []
    for i, key in enumerate(keys):
        if out and keys[out[-1][0]] == key:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def indicator_block(indicators: Sequence[Mapping[str, Any]], labels: Labels = NATIONAL, *,
                    carried: tuple[str, str] | None = None) -> Block:
    """The 绩效指标 header and one row per indicator, 一级/二级 runs merged.

    `carried` is the (一级, 二级) pair of the group that began on the previous page: its merged
    cells are left blank here, as a continued table prints them, and so is the 绩效指标 label.
    """
    label = "" if carried is not None else mid(labels.indicators)
    rows: list[list[Value]] = [[label, *[mid(h) for h in labels.indicator_columns]]]
    for ind in indicators:
        rows.append(["", mid(ind.get("level1")), mid(ind.get("level2")), text(ind.get("level3")),
                     text(ind.get("target")), text(ind.get("actual")), number(ind.get("weight")),
                     number(ind.get("score")), text(ind.get("deviation_note"))])
    spans: list[Span] = [((0, 0), (0, len(indicators)))]
    level1 = [ind.get("level1") for ind in indicators]
    level2 = [(ind.get("level1"), ind.get("level2")) for ind in indicators]
    for col, keys in ((1, level1), (2, level2)):
        for first, last in runs(keys):
            if first == 0 and carried is not None and keys[0] == (carried[0] if col == 1 else carried):
                rows[1][col] = ""
            if last > first:
                spans.append(((col, first + 1), (col, last + 1)))
    return Block(rows, spans)


def total_block(form: Mapping[str, Any], labels: Labels = NATIONAL) -> Block:
    """总分: 100 under 分值 and the printed total under 得分."""
    rows: list[list[Value]] = [[mid(labels.total), "", "", "", "", "", number(100),
                                number(form.get("total_score"), places=2), ""]]
    return Block(rows, [((0, 0), (5, 0))])


def stack(blocks: Sequence[Block]) -> Block:
    """Blocks one under the other, spans moved to table coordinates."""
    rows: list[list[Value]] = []
    spans: list[Span] = []
    for block in blocks:
        offset = len(rows)
        spans += [((a, b + offset), (x, y + offset)) for (a, b), (x, y) in block.spans]
        rows += block.rows
    return Block(rows, spans)


def heading(form: Mapping[str, Any], labels: Labels = NATIONAL) -> list[str]:
    return [labels.title, labels.year.format(year=form.get("year") or 2022)]


def form_to_table(form: Mapping[str, Any], labels: Labels = NATIONAL) -> Table:
    """The whole form: heading lines and one table of head, funds, goal, indicators and 总分."""
    blocks = [head_block(form, labels), funds_block(form, labels), goal_block(form, labels),
              indicator_block(list(form.get("indicators") or []), labels), total_block(form, labels)]
    return Table(heading(form, labels), stack(blocks))


def span_map(block: Block) -> dict[tuple[int, int], tuple[int, int]]:
    """{(col, row) of a span's top-left cell: (columns, rows) it covers}."""
    return {(a, b): (x - a + 1, y - b + 1) for (a, b), (x, y) in block.spans}


def covered(block: Block) -> set[tuple[int, int]]:
    """(col, row) of every cell a span covers other than its top-left one."""
    out = set()
    for (a, b), (x, y) in block.spans:
        out.update((c, r) for c in range(a, x + 1) for r in range(b, y + 1) if (c, r) != (a, b))
    return out


def tables_to_dump(tables: Sequence[Table]) -> str:
    """The same forms as a tab dump copied from a spreadsheet: heading lines, then one line a
    table row, merged cells blank — the text reader's input, to compare other kinds against."""
    lines = []
    for table in tables:
        lines += [line + "\t" * (table.columns - 1) for line in table.heading]
        hidden = covered(table.block)
        for r, row in enumerate(table.block.rows):
            lines.append("\t".join(v.text if isinstance(v, Cell) and (c, r) not in hidden else ""
                                   for c, v in enumerate(row)))
        lines.append("")
    return "\n".join(lines) + "\n"
