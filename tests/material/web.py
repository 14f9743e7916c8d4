"""Gold-format forms to a web page as a government site publishes them.

Each form is a title and a year line in `<p><span>` above a `<table>` whose merged ranges are
`rowspan`/`colspan` cells; the cells wrap their text in `<p><span>` (as pages pasted from Word
do), blank cells hold `&nbsp;`, long labels break with `<br>`, and the whole content sits in a
layout table of the site's page frame. The page is encoded in UTF-8 or GBK and may or may not
declare its charset in a `<meta>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from tests.material.layout import NATIONAL, Block, Cell, Labels, Table, covered, form_to_table, span_map

BR_AFTER = 4  # a label cell longer than this many characters breaks its line after them


@dataclass(frozen=True)
class PageStyle:
    """How the page is written; every combination is one a real site produces."""

    encoding: str = "utf-8"        # "utf-8" or "gbk"
    declare: bool = True           # a <meta charset> naming the encoding
    paragraphs: bool = True        # cell text inside <p><span>…</span></p>
    nbsp_blanks: bool = True       # a blank cell holds &nbsp;
    br_labels: bool = True         # a long centred label breaks with <br>
    frame: bool = True             # the content inside the site's layout table

    def __post_init__(self) -> None:
        if self.encoding not in ("utf-8", "gbk"):
            raise ValueError(f"encoding={self.encoding!r}: allowed values are utf-8, gbk")


def cell_html(value: Cell | str, style: PageStyle) -> str:
    """The inside of one <td>."""
    if not isinstance(value, Cell):
        return "&nbsp;" if style.nbsp_blanks else ""
    text = value.text
    if style.br_labels and value.centred and value.value is None and len(text) > BR_AFTER:
        inner = escape(text[:BR_AFTER]) + "<br>" + escape(text[BR_AFTER:])
    else:
        inner = escape(text)
    if style.paragraphs:
        align = ' align="center"' if value.centred else ""
        return f'<p{align}><span style="font-size:10.5pt;font-family:宋体">{inner}</span></p>'
    return inner


def block_html(block: Block, style: PageStyle) -> str:
    """The block as a <table>: a merged range is one cell with rowspan/colspan, its other cells left out."""
    spans, hidden = span_map(block), covered(block)
    lines = ['<table border="1" cellspacing="0" cellpadding="0" style="border-collapse:collapse">', "<tbody>"]
    for r, row in enumerate(block.rows):
        cells = []
        for c, value in enumerate(row):
            if (c, r) in hidden:
                continue
            cols, rows = spans.get((c, r), (1, 1))
            attrs = (f' colspan="{cols}"' if cols > 1 else "") + (f' rowspan="{rows}"' if rows > 1 else "")
            cells.append(f'<td{attrs} valign="middle">{cell_html(value, style)}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return "\n".join(lines)


def table_html(table: Table, style: PageStyle) -> str:
    heading = "\n".join(f'<p align="center"><span style="font-size:16pt">{escape(line)}</span></p>'
                        for line in table.heading)
    return heading + "\n" + block_html(table.block, style)


def page_html(tables: Sequence[Table], style: PageStyle, *, title: str = "") -> str:
    """A whole page: head, the site's frame, the forms one after another."""
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={style.encoding}">' if style.declare else ""
    body = "\n<p>&nbsp;</p>\n".join(table_html(t, style) for t in tables)
    if style.frame:
        body = ('<table width="100%" class="frame"><tr><td class="nav">首页 &gt; 信息公开 &gt; 预算绩效</td></tr>'
                f'<tr><td class="content">\n{body}\n</td></tr><tr><td>主办单位：某某市财政局</td></tr></table>')
    return (f'<!DOCTYPE html>\n<html>\n<head>\n{meta}\n<title>{escape(title)}</title>\n'
            f'<style>td {{ border: 1px solid #000; }}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n')


def tables_to_html(tables: Sequence[Table], path: str | Path, *, style: PageStyle | None = None,
                   title: str = "") -> Path:
    """Write laid-out forms as one page; returns the path."""
    style = style or PageStyle()
    path = Path(path)
    path.write_bytes(page_html(tables, style, title=title).encode(style.encoding))
    return path


def forms_to_html(forms: Sequence[Mapping[str, Any]], path: str | Path, *, style: PageStyle | None = None,
                  labels: Labels = NATIONAL) -> Path:
    """Write gold forms as one web page (see `PageStyle` for how it is written); returns the path."""
    tables = [form_to_table(form, labels) for form in forms]
    return tables_to_html(tables, path, style=style, title=f"{labels.title}公开")
