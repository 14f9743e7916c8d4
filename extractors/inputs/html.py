"""Web pages (.html, .htm): a government site's page, saved, with the form as a `<table>`.

The page is decoded by the charset its `<meta>` declares (GBK and GB2312 read as GB18030, their
superset), or by detection when it declares none or a wrong one, and parsed by lxml. Each data
table (one holding no other table) becomes rows on a grid: a `rowspan`/`colspan` cell's text in
its top-left cell and blanks where it spans, `<br>`, `<p>` and `&nbsp;` inside a cell joined as
the text reader joins a wrapped cell. Text outside the tables (the title, the year line) becomes
one-cell rows in its place; a layout table (one holding tables) is read as such text around the
tables inside it. Rows say their table and row; `line` is the line of the page's source.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import regex

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile
from extractors.text import clean_cell

MAX_SPAN = 1000  # no form spans more rows or columns than this; a larger span is clipped to it
SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template", "select", "option"})
# Elements that end a line of text: outside a table each becomes its own row.
BLOCK_TAGS = frozenset({"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
                        "section", "article", "header", "footer", "center", "blockquote", "pre", "hr", "caption",
                        "form", "main", "nav", "aside", "address", "figure", "figcaption", "body", "html"})
_META_CHARSET = regex.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", regex.I)
_XML_DECLARATION = regex.compile(r"^\s*<\?xml[^>]*\?>")
# Names pages declare for Chinese encodings, read by their common superset.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
             "cp936": "gb18030", "euc-cn": "gb18030", "hz-gb-2312": "hz"}


def declared_charset(data: bytes) -> str | None:
    """The encoding a page's `<meta charset>` or `http-equiv` names, if Python knows it."""
    match = _META_CHARSET.search(data[:8192])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    name = SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def html_to_text(data: bytes, *, file: str = "") -> str:
    """A page's bytes to text: BOM, then the declared charset, then UTF-8, then detection."""
    if not data.strip():
        raise UnreadableFile("empty file", file=file)
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    for encoding in dict.fromkeys(e for e in (declared_charset(data), "utf-8") if e):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile("a web page in an unknown encoding (no charset declared or detected)", file=file)
    return str(best)


def parse_html(text: str, *, file: str = "") -> Any:
    """The page's element tree (lxml), or an `UnreadableFile` naming why not."""
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", text, count=1))
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableFile(f"not a readable web page ({exc})", file=file) from None


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def is_data_table(table: Any) -> bool:
    """A table that holds no other table: a form, not the page's layout."""
    return not any(True for _ in table.iter("table") if _ is not table)


def cell_text(cell: Any) -> str:
    """A cell's text with `<br>` and paragraphs as line breaks, cleaned as a wrapped cell is."""
    parts: list[str] = []

    def walk(element: Any) -> None:
        tag = _tag(element)
        if tag in SKIPPED_TAGS:
            return
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if element.text:
            parts.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(cell)
    return clean_cell("".join(parts))


def _span(cell: Any, name: str) -> int:
    try:
        return max(1, min(MAX_SPAN, int(str(cell.get(name, "1")).strip() or 1)))
    except ValueError:
        return 1


def table_rows(table: Any) -> list[tuple[Any, list[str]]]:
    """The table's `<tr>`s as lists of cell texts on one grid, spans expanded to blanks."""
    trs = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    grid: list[list[str | None]] = [[] for _ in trs]
    for r, tr in enumerate(trs):
        col = 0
        for cell in tr:
            if _tag(cell) not in ("td", "th"):
                continue
            while col < len(grid[r]) and grid[r][col] is not None:
                col += 1
            text = cell_text(cell)
            rows, cols = min(_span(cell, "rowspan"), len(trs) - r), _span(cell, "colspan")
            for dr in range(rows):
                line = grid[r + dr]
                line.extend([None] * (col + cols - len(line)))
                for dc in range(cols):
                    line[col + dc] = text if dr == 0 and dc == 0 else ""
            col += cols
    return [(tr, [c or "" for c in line]) for tr, line in zip(trs, grid, strict=True)]


def _nearest_table(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and _tag(parent) != "table":
        parent = parent.getparent()
    return parent


def _flow(element: Any) -> Iterator[tuple[str, Any, int]]:
    """The page in reading order: ("text", piece, line) and ("break", None, 0) between blocks,
    ("table", element, line) for each data table."""
    tag = _tag(element)
    if tag in SKIPPED_TAGS or not isinstance(element.tag, str):
        return
    line = element.sourceline or 0
    if tag == "table" and is_data_table(element):
        yield ("table", element, line)
        return
    block = tag in BLOCK_TAGS or tag in ("table", "tr", "td", "th")
    if block:
        yield ("break", None, 0)
    if element.text:
        yield ("text", element.text, line)
    for child in element:
        yield from _flow(child)
        if child.tail:
            yield ("text", child.tail, child.sourceline or line)
    if block:
        yield ("break", None, 0)


def page_to_rows(root: Any) -> list[Row]:
    """A parsed page to rows: each data table's rows, and lines of text between them as one-cell rows."""
    rows: list[Row] = []
    pending: list[str] = []
    pending_line = 0
    tables = 0

    def flush() -> None:
        text = clean_cell("".join(pending))
        if text:
            rows.append(Row(cells=[text], line=pending_line))
        pending.clear()

    for kind, item, line in _flow(root):
        if kind == "text":
            if not pending:
                pending_line = line
            pending.append(item)
            continue
        flush()
        if kind == "table":
            tables += 1
            for number, (tr, cells) in enumerate(table_rows(item), start=1):
                if any(cells):
                    rows.append(Row(cells=cells, line=tr.sourceline or line, table=tables, number=number))
    flush()
    return rows


def read_html_grid(path: Path) -> Grid:
    data = path.read_bytes()
    root = parse_html(html_to_text(data, file=path.name), file=path.name)
    return Grid(file=path.name, kind="html", rows=page_to_rows(root))
