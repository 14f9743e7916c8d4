"""Gold-format form dicts to ruled-table PDFs laid out like the national 绩效自评表 template.

A form becomes a title, a `（2022年度）` line and one ruled table of nine columns: the
项目名称 and 主管部门/实施单位 rows, the funds block, the 年度总体目标 block, the 绩效指标 block
and the 总分 row. Repeated 一级/二级指标 values and the block labels are merged cells. Each form
starts on a new page; `split_indicators_at` forces a form's indicator block to continue on the
next page under a repeated header row, leaving the merged cells that carry over blank there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

Font = Literal["wqy", "cid"]
WQY_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_NAMES: dict[str, str] = {"wqy": "WenQuanYiMicroHei", "cid": "STSong-Light"}
# label | 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施
COLUMN_WIDTHS_MM = (16.0, 21.0, 22.0, 24.0, 24.0, 21.0, 11.0, 11.0, 30.0)
FUNDS_ROWS = (("年度资金总额", "budget"), ("其中：当年财政拨款", "appropriation"),
              ("上年结转资金", "carryover"), ("其他资金", "other"))
INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                    "偏差原因分析及改进措施")

Span = tuple[tuple[int, int], tuple[int, int]]


@dataclass
class Block:
    """Rows of cells plus their merged ranges, in block-local (col, row) coordinates."""

    rows: list[list[Any]]
    spans: list[Span] = field(default_factory=list)


@dataclass(frozen=True)
class RenderSettings:
    """How forms are drawn; checked when built so a bad value names itself."""

    font: Font = "wqy"
    font_size: float = 9.0
    page_size: tuple[float, float] = A4
    margin: float = 15 * mm

    def __post_init__(self) -> None:
        if self.font not in FONT_NAMES:
            raise ValueError(f"font={self.font!r}: allowed values are {', '.join(FONT_NAMES)}")
        if not 5 <= self.font_size <= 14:
            raise ValueError(f"font_size={self.font_size}: allowed values are 5 to 14 points")
        if self.frame_width() < sum(COLUMN_WIDTHS_MM) * mm * 0.5:
            raise ValueError(f"page_size={self.page_size}: too narrow for the nine-column form")

    def frame_width(self) -> float:
        return self.page_size[0] - 2 * self.margin


def register_font(font: Font) -> str:
    """Register the font with reportlab once and return its name."""
    name = FONT_NAMES[font]
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if font == "wqy":
        pdfmetrics.registerFont(TTFont(name, str(WQY_PATH), subfontIndex=0))
    else:
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


class Cells:
    """Turns values into wrapping Paragraph cells in one font and size."""

    def __init__(self, settings: RenderSettings) -> None:
        name = register_font(settings.font)
        size = settings.font_size
        base = ParagraphStyle("cell", fontName=name, fontSize=size, leading=size * 1.25, wordWrap="CJK")
        # the indent keeps a closing mark that CJK wrapping lets hang past the line inside the cell
        self.left = ParagraphStyle("left", parent=base, alignment=TA_LEFT, rightIndent=size)
        self.center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
        self.title = ParagraphStyle("title", parent=base, fontSize=size * 1.8, leading=size * 2.4,
                                    alignment=TA_CENTER)
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=size * 1.2, leading=size * 1.8,
                                       alignment=TA_CENTER)

    def text(self, value: object, *, centred: bool = False) -> Paragraph | str:
        """A wrapping cell; blank values stay plain empty strings."""
        if value is None or value == "":
            return ""
        return Paragraph(escape(str(value)), self.center if centred else self.left)

    def mid(self, value: object) -> Paragraph | str:
        return self.text(value, centred=True)


def number_text(value: float | None, *, places: int = 0, grouped: bool = False) -> str:
    """A number as forms print it: at least `places` decimals, more only when the value needs them."""
    if value is None:
        return ""
    exact = Decimal(repr(float(value))).quantize(Decimal("0.000001")).normalize()
    exponent = exact.as_tuple().exponent
    needed = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{float(value):{',' if grouped else ''}.{max(places, needed)}f}"


def amount_text(value: float | None, unit: str, *, places: int = 0, grouped: bool = False) -> str:
    """An amount in 元 printed in the form's unit; 万元 divides by 10000 and prints at least two decimals."""
    if value is None:
        return ""
    if unit == "万元":
        return number_text(value / 10000, places=max(places, 2), grouped=grouped)
    return number_text(value, places=places, grouped=grouped)


def rate_text(rate: float | None) -> str:
    """0.8998 → 89.98%."""
    return "" if rate is None else f"{rate * 100:.2f}%"


def head_block(form: Mapping[str, Any], c: Cells) -> Block:
    """项目名称 row and 主管部门/实施单位 row."""
    rows = [[c.mid("项目名称"), "", c.text(form.get("project_name")), "", "", "", "", "", ""],
            [c.mid("主管部门"), "", c.text(form.get("department")), "", "", c.mid("实施单位"),
             c.text(form.get("implementing_unit")), "", ""]]
    spans: list[Span] = [((0, 0), (1, 0)), ((2, 0), (8, 0)), ((0, 1), (1, 1)), ((2, 1), (4, 1)), ((6, 1), (8, 1))]
    return Block(rows, spans)


def funds_block(form: Mapping[str, Any], c: Cells) -> Block:
    """项目资金 header and its four rows; only 年度资金总额 has a 分值, 执行率 and 得分."""
    unit = form.get("amount_unit") or "元"
    headers = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "", "得分")
    rows = [[c.mid(f"项目资金（{unit}）"), "", *[c.mid(h) for h in headers]]]
    for label, prefix in FUNDS_ROWS:
        total = prefix == "budget"
        initial, full_year, executed = (form.get(f"{prefix}_{col}") for col in ("initial", "full_year", "executed"))
        rows.append(["", c.text(label),
                     c.mid(amount_text(initial, unit, places=2 if total else 0)),
                     c.mid(amount_text(full_year, unit, places=2 if total else 0)),
                     c.mid(amount_text(executed, unit, grouped=total)),
                     c.mid(number_text(form.get("funds_weight")) if total else "—"),
                     c.mid(rate_text(form.get("execution_rate")) if total else ""), "",
                     c.mid(number_text(form.get("funds_score")) if total else "")])
    spans: list[Span] = [((0, 0), (0, 4))] + [((6, r), (7, r)) for r in range(5)]
    return Block(rows, spans)


def goal_block(form: Mapping[str, Any], c: Cells) -> Block:
    """年度总体目标: 预期目标 and 实际完成情况, each a wide merged cell."""
    rows = [[c.mid("年度总体目标"), c.mid("预期目标"), "", "", "", c.mid("实际完成情况"), "", "", ""],
            ["", c.text(form.get("goal_planned")), "", "", "", c.text(form.get("goal_achieved")), "", "", ""]]
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


def indicator_block(indicators: Sequence[Mapping[str, Any]], c: Cells, *,
                    carried: tuple[str, str] | None = None) -> Block:
    """The 绩效指标 header and one row per indicator, 一级/二级 runs merged.

    `carried` is the (一级, 二级) pair of the group that began on the previous page: its merged
    cells are left blank here, as a continued table prints them, and so is the 绩效指标 label.
    """
    label = "" if carried is not None else c.mid("绩效指标")
    rows: list[list[Any]] = [[label, *[c.mid(h) for h in INDICATOR_HEADER]]]
    for ind in indicators:
        rows.append(["", c.mid(ind.get("level1")), c.mid(ind.get("level2")), c.text(ind.get("level3")),
                     c.text(ind.get("target")), c.text(ind.get("actual")), c.mid(number_text(ind.get("weight"))),
                     c.mid(number_text(ind.get("score"))), c.text(ind.get("deviation_note"))])
    spans: list[Span] = [((0, 0), (0, len(indicators)))]
    level1 = [ind.get("level1") for ind in indicators]
    level2 = [(ind.get("level1"), ind.get("level2")) for ind in indicators]
    for col, keys in ((1, level1), (2, level2)):
        for first, last in runs(keys):
            if first == 0 and carried is not None and _continues(keys[0], carried, col):
                rows[1][col] = ""
            if last > first:
                spans.append(((col, first + 1), (col, last + 1)))
    return Block(rows, spans)


def _continues(key: object, carried: tuple[str, str], col: int) -> bool:
    return key == (carried[0] if col == 1 else carried)


def total_block(form: Mapping[str, Any], c: Cells) -> Block:
    """总分: 100 under 分值 and the printed total under 得分."""
    rows = [[c.mid("总分"), "", "", "", "", "", c.mid("100"), c.mid(number_text(form.get("total_score"), places=2)), ""]]
    return Block(rows, [((0, 0), (5, 0))])


def stack(blocks: Sequence[Block]) -> Block:
    """Blocks one under the other, spans moved to table coordinates."""
    rows: list[list[Any]] = []
    spans: list[Span] = []
    for block in blocks:
        offset = len(rows)
        spans += [((a, b + offset), (x, y + offset)) for (a, b), (x, y) in block.spans]
        rows += block.rows
    return Block(rows, spans)


def ruled_table(block: Block, *, repeat_rows: int = 0) -> Table:
    """A fully ruled platypus Table of the block, merged ranges spanned, cells centred vertically."""
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.6, "black"),
        ("BOX", (0, 0), (-1, -1), 1.0, "black"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ]
    commands += [("SPAN", start, end) for start, end in block.spans]
    widths = [w * mm for w in COLUMN_WIDTHS_MM]
    return Table(block.rows, colWidths=widths, style=TableStyle(commands), repeatRows=repeat_rows)


def form_flowables(form: Mapping[str, Any], c: Cells, *, split_at: int | None = None) -> list[Flowable]:
    """Title, year line and the form's table; with `split_at` the indicator block breaks after that row."""
    indicators = list(form.get("indicators") or [])
    year = form.get("year") or 2022
    top = [head_block(form, c), funds_block(form, c), goal_block(form, c)]
    heading: list[Flowable] = [Paragraph("财政项目支出绩效自评表", c.title),
                               Paragraph(f"（{year}年度）", c.subtitle), Spacer(1, 2 * mm)]
    if split_at is None or not 0 < split_at < len(indicators):
        whole = stack([*top, indicator_block(indicators, c), total_block(form, c)])
        return [*heading, ruled_table(whole)]
    first, rest = indicators[:split_at], indicators[split_at:]
    last = first[-1]
    carried = (last.get("level1"), last.get("level2"))
    page_one = stack([*top, indicator_block(first, c)])
    page_two = stack([indicator_block(rest, c, carried=carried), total_block(form, c)])
    return [*heading, ruled_table(page_one), PageBreak(), ruled_table(page_two, repeat_rows=1)]


def split_inside_group(indicators: Sequence[Mapping[str, Any]]) -> int | None:
    """A split point inside a 一级指标 group, inside a 二级指标 group too where one has two rows."""
    inside_level1 = [k for k in range(1, len(indicators))
                     if indicators[k - 1].get("level1") == indicators[k].get("level1")]
    inside_both = [k for k in inside_level1 if indicators[k - 1].get("level2") == indicators[k].get("level2")]
    if inside_both:
        return inside_both[0]
    return inside_level1[len(inside_level1) // 2] if inside_level1 else None


def forms_to_pdf(forms: Sequence[Mapping[str, Any]], path: str | Path, *, font: Font = "wqy",
                 split_indicators_at: int | Mapping[int, int | None] | None = None,
                 font_size: float = 9.0, page_size: tuple[float, float] = A4,
                 encrypt: str | None = None) -> Path:
    """Write the forms to one PDF, each starting on a new page; returns the path.

    `split_indicators_at` is one row count for every form or {form index: row count}: the
    indicator block breaks after that many indicators and continues on the next page. `encrypt`
    is a user password. The output is byte-for-byte reproducible.
    """
    settings = RenderSettings(font=font, font_size=font_size, page_size=page_size)
    cells = Cells(settings)
    story: list[Flowable] = []
    for i, form in enumerate(forms):
        if isinstance(split_indicators_at, Mapping):
            split_at = split_indicators_at.get(i)
        else:
            split_at = split_indicators_at
        story += ([PageBreak()] if story else []) + form_flowables(form, cells, split_at=split_at)
    path = Path(path)
    doc = SimpleDocTemplate(str(path), pagesize=page_size, leftMargin=settings.margin,
                            rightMargin=settings.margin, topMargin=settings.margin,
                            bottomMargin=settings.margin, title="财政项目支出绩效自评表",
                            invariant=True, encrypt=encrypt)
    doc.build(story)
    return path
