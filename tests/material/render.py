"""Gold-format form dicts to ruled-table PDFs laid out like the national 绩效自评表 template.

A form becomes a title, a `（2022年度）` line and one ruled table of nine columns: the
项目名称 and 主管部门/实施单位 rows, the funds block, the 年度总体目标 block, the 绩效指标 block
and the 总分 row. Repeated 一级/二级指标 values and the block labels are merged cells. Each form
starts on a new page; `split_indicators_at` forces a form's indicator block to continue on the
next page under a repeated header row, leaving the merged cells that carry over blank there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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

from tests.material.layout import (
    NATIONAL,
    Block,
    Cell,
    Labels,
    Value,
    funds_block,
    goal_block,
    head_block,
    heading,
    indicator_block,
    stack,
    total_block,
)

Font = Literal["wqy", "cid"]
# How a table is ruled: every cell boxed, only lines between rows (none inside a merged cell), or none.
Rules = Literal["grid", "horizontal", "none"]
WQY_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_NAMES: dict[str, str] = {"wqy": "WenQuanYiMicroHei", "cid": "STSong-Light"}
# label | 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施
COLUMN_WIDTHS_MM = (16.0, 21.0, 22.0, 24.0, 24.0, 21.0, 11.0, 11.0, 30.0)
PADDINGS: list[tuple[Any, ...]] = [("LEFTPADDING", (0, 0), (-1, -1), 2.5), ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                                   ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5)]


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

    def paragraph(self, value: Value) -> Paragraph | str:
        """A layout cell as a wrapping Paragraph; blank cells stay plain empty strings."""
        if not isinstance(value, Cell):
            return ""
        return Paragraph(escape(value.text), self.center if value.centred else self.left)

    def rows(self, block: Block) -> list[list[Paragraph | str]]:
        return [[self.paragraph(v) for v in row] for row in block.rows]


def rule_commands(rules: Rules) -> list[tuple[Any, ...]]:
    """Lines of the table: reportlab leaves every line out inside a merged range."""
    if rules == "grid":
        return [("GRID", (0, 0), (-1, -1), 0.6, "black"), ("BOX", (0, 0), (-1, -1), 1.0, "black")]
    if rules == "horizontal":
        return [("LINEABOVE", (0, 0), (-1, 0), 1.0, "black"), ("LINEBELOW", (0, 0), (-1, -1), 0.6, "black")]
    return []


def ruled_table(block: Block, c: Cells, *, repeat_rows: int = 0, rules: Rules = "grid") -> Table:
    """A platypus Table of the block, merged ranges spanned, ruled as asked.

    Ruled tables centre their cells vertically, as spreadsheets print them; an unruled one sets
    them at the top, as a word processor's borderless table does.
    """
    valign = "TOP" if rules == "none" else "MIDDLE"
    commands = [*rule_commands(rules), ("VALIGN", (0, 0), (-1, -1), valign), *PADDINGS]
    commands += [("SPAN", start, end) for start, end in block.spans]
    widths = [w * mm for w in COLUMN_WIDTHS_MM]
    return Table(c.rows(block), colWidths=widths, style=TableStyle(commands), repeatRows=repeat_rows)


def form_flowables(form: Mapping[str, Any], c: Cells, *, split_at: int | None = None, rules: Rules = "grid",
                   labels: Labels = NATIONAL) -> list[Flowable]:
    """Title, year line and the form's table; with `split_at` the indicator block breaks after that row."""
    indicators = list(form.get("indicators") or [])
    top = [head_block(form, labels), funds_block(form, labels), goal_block(form, labels)]
    title, year = heading(form, labels)
    lines: list[Flowable] = [Paragraph(escape(title), c.title), Paragraph(escape(year), c.subtitle), Spacer(1, 2 * mm)]
    if split_at is None or not 0 < split_at < len(indicators):
        whole = stack([*top, indicator_block(indicators, labels), total_block(form, labels)])
        return [*lines, ruled_table(whole, c, rules=rules)]
    first, rest = indicators[:split_at], indicators[split_at:]
    last = first[-1]
    carried = (last.get("level1"), last.get("level2"))
    page_one = stack([*top, indicator_block(first, labels)])
    page_two = stack([indicator_block(rest, labels, carried=carried), total_block(form, labels)])
    return [*lines, ruled_table(page_one, c, rules=rules), PageBreak(),
            ruled_table(page_two, c, repeat_rows=1, rules=rules)]


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
                 encrypt: str | None = None, rules: Rules = "grid", labels: Labels = NATIONAL) -> Path:
    """Write the forms to one PDF, each starting on a new page; returns the path.

    `split_indicators_at` is one row count for every form or {form index: row count}: the
    indicator block breaks after that many indicators and continues on the next page. `encrypt`
    is a user password. `rules` draws every line (`grid`), only lines between rows
    (`horizontal`) or none; `labels` words the form otherwise. The output is byte-for-byte
    reproducible.
    """
    settings = RenderSettings(font=font, font_size=font_size, page_size=page_size)
    cells = Cells(settings)
    story: list[Flowable] = []
    for i, form in enumerate(forms):
        if isinstance(split_indicators_at, Mapping):
            split_at = split_indicators_at.get(i)
        else:
            split_at = split_indicators_at
        story += ([PageBreak()] if story else []) + form_flowables(form, cells, split_at=split_at, rules=rules,
                                                                         labels=labels)
    path = Path(path)
    doc = SimpleDocTemplate(str(path), pagesize=page_size, leftMargin=settings.margin,
                            rightMargin=settings.margin, topMargin=settings.margin,
                            bottomMargin=settings.margin, title=labels.title,
                            invariant=True, encrypt=encrypt)
    doc.build(story)
    return path
