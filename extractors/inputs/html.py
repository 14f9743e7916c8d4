"""Web pages (.html, .htm): a government site's page, saved, with the form as a `<table>`.

The page is decoded by the charset its `<meta>` declares (GBK and GB2312 read as GB18030, their
superset); a page that declares none or a wrong one is UTF-8 if its bytes are, GB18030 if they
can be nothing else Chinese, and otherwise detected. lxml parses it. Each data table (one
holding no other table) becomes rows on a grid: a `rowspan`/`colspan` cell's text in its
top-left cell and blanks where it spans, `<br>`, `<p>` and `&nbsp;` inside a cell joined as the
text reader joins a wrapped cell. Text outside the tables (the title, the year line, a table's
`<caption>`) becomes one-cell rows in its place, a paragraph one row: a `<br>` inside a `<p>` or
heading wraps the line (a title broken in two is one title, as in a Word paragraph), while
between loose lines of a page's frame it ends one. A layout table (one holding tables) is read
as such text around the tables inside it. Rows say their table and row; `line` is the line of
the page's source.

The tree is lxml's plain one (no `lxml.html` element classes, comments left out): a cell's text
is its plain text once the table is marked where a reader sees line breaks (`mark_line_breaks`),
so the per-cell work is lxml's, not a walk in Python.
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
# Elements that hold one paragraph of text: a `<br>` inside one wraps the paragraph's line, as a
# line break inside a Word paragraph does, so a title broken in two stays one line (one row).
PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "caption"})
_META_CHARSET = regex.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", regex.I)
_XML_DECLARATION = regex.compile(r"^\s*<\?xml[^>]*\?>")
# What a page that declares no charset (or a wrong one) and is not UTF-8 is tried as: the
# encodings Chinese sites write (simplified, traditional, UTF-16 without its BOM). Detection
# among these alone is a third of the work of trying every code page.
DETECTED_ENCODINGS = ("utf_8", "gb18030", "big5", "utf_16_le", "utf_16_be")
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


def only_gb18030(data: bytes) -> str | None:
    """The page as GB18030 when that is the one Chinese encoding its bytes can be: they decode
    as GB18030 but not as Big5, and hold no NUL byte (as UTF-16 would). A short page can be
    both; detection decides that one."""
    if b"\x00" in data:
        return None
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return text
    return None


def html_to_text(data: bytes, *, file: str = "") -> str:
    """A page's bytes to text: BOM, then the declared charset, then UTF-8, then GB18030 where
    the bytes can be nothing else Chinese, then detection."""
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
    text = only_gb18030(data)
    if text is not None:
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(DETECTED_ENCODINGS)).best()
    if best is None:
        raise UnreadableFile("a web page in an unknown encoding (no charset declared or detected)", file=file)
    return str(best)


def parse_html(text: str, *, file: str = "") -> Any:
    """The page's element tree (lxml, plain elements, comments left out), or an `UnreadableFile`."""
    from lxml import etree

    parser = etree.HTMLParser(remove_comments=True, remove_pis=True)  # one a call: not shared across threads
    try:
        root = etree.fromstring(_XML_DECLARATION.sub("", text, count=1), parser)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableFile(f"not a readable web page ({exc})", file=file) from None
    if root is None:
        raise UnreadableFile("not a readable web page (Document is empty)", file=file)
    return root


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def is_data_table(table: Any) -> bool:
    """A table that holds no other table: a form, not the page's layout."""
    return next(table.iterdescendants("table"), None) is None


def mark_line_breaks(element: Any) -> None:
    """Write into the tree what a reader sees of its markup: each block element's text starts
    with a line break, and what is never shown (scripts, styles) is cut out, the text after it
    kept. The text of any part of the tree is then its plain text (`cell_text`)."""
    for hidden in list(element.iter(*SKIPPED_TAGS)):
        parent = hidden.getparent()
        if parent is None:
            continue
        if hidden.tail:
            before = hidden.getprevious()
            if before is None:
                parent.text = (parent.text or "") + hidden.tail
            else:
                before.tail = (before.tail or "") + hidden.tail
        parent.remove(hidden)
    for block in element.iter(*BLOCK_TAGS):
        block.text = "\n" + block.text if block.text else "\n"


def cleaned(text: str | None) -> str:
    """`clean_cell`, with the commonest cell, text without any whitespace, passed as it is (every
    whitespace character but the ASCII space is unprintable to Python)."""
    if not text:
        return ""
    return text if text.isprintable() and " " not in text else clean_cell(text)


def cell_text(cell: Any, tostring: Any = None) -> str:
    """A cell's text, cleaned as a wrapped cell is: `<br>` and paragraphs (marked by
    `mark_line_breaks`) are line breaks, which `clean_cell` joins. `tostring` is lxml's."""
    if not len(cell):
        return cleaned(cell.text)
    if tostring is None:
        from lxml import etree

        tostring = etree.tostring
    return cleaned(tostring(cell, method="text", encoding=str, with_tail=False))


def _span(cell: Any, name: str) -> int:
    value = cell.get(name)
    if value is None:
        return 1
    try:
        return max(1, min(MAX_SPAN, int(value.strip() or 1)))
    except ValueError:
        return 1


def table_rows(table: Any) -> list[tuple[Any, list[str]]]:
    """The table's `<tr>`s as lists of cell texts on one grid, spans expanded to blanks.
    The table's cells are marked for their text first (`mark_line_breaks`)."""
    from lxml.etree import tostring

    if is_data_table(table):
        trs = list(table.iter("tr"))
    else:
        trs = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    mark_line_breaks(table)
    below: dict[int, set[int]] = {}  # row -> the columns a rowspan from above covers there
    out = []
    for r, tr in enumerate(trs):
        covered: set[int] = below.pop(r, set())
        line: list[str] = []
        for cell in tr.iterchildren("td", "th"):
            while len(line) in covered:
                line.append("")
            text = cell_text(cell, tostring) if len(cell) else cleaned(cell.text)
            line.append(text)
            if cell.get("rowspan") is None and cell.get("colspan") is None:  # the common cell: one place
                continue
            col, cols = len(line) - 1, _span(cell, "colspan")
            line.extend([""] * (cols - 1))
            for dr in range(1, min(_span(cell, "rowspan"), len(trs) - r)):
                below.setdefault(r + dr, set()).update(range(col, col + cols))
        if covered and max(covered) >= len(line):
            line.extend([""] * (max(covered) + 1 - len(line)))
        out.append((tr, line))
    return out


def _nearest_table(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and _tag(parent) != "table":
        parent = parent.getparent()
    return parent


def _flow(element: Any, in_paragraph: bool = False) -> Iterator[tuple[str, Any, int]]:
    """The page in reading order: ("text", piece, line) and ("break", None, 0) between blocks,
    ("table", element, line) for each data table. Inside a paragraph (`PARAGRAPH_TAGS`) a `<br>`
    is a line wrapped, a "\n" piece of its text; anywhere else it ends a line."""
    tag = _tag(element)
    if tag in SKIPPED_TAGS or not isinstance(element.tag, str):
        return
    line = element.sourceline or 0
    if tag == "table" and is_data_table(element):
        yield ("table", element, line)
        return
    if tag == "br" and in_paragraph:
        yield ("text", "\n", line)
        return
    block = tag in BLOCK_TAGS or tag in ("table", "tr", "td", "th")
    inside = tag in PARAGRAPH_TAGS or (in_paragraph and not block)
    if block:
        yield ("break", None, 0)
    if element.text:
        yield ("text", element.text, line)
    for child in element:
        yield from _flow(child, inside)
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
            grid = table_rows(item)
            caption = item.find("caption")  # the table's title, printed above it
            if caption is not None and cell_text(caption):
                rows.append(Row(cells=[cell_text(caption)], line=caption.sourceline or line))
            for number, (tr, cells) in enumerate(grid, start=1):
                if any(cells):
                    rows.append(Row(cells=cells, line=tr.sourceline or line, table=tables, number=number))
    flush()
    return rows


def is_markup(data: bytes) -> bool:
    """Whether a file's bytes start as a web page or XML does (after a BOM and blank space): what
    sites publish as .xls or .doc is often a page."""
    return data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def read_html_grid(path: Path) -> Grid:
    data = path.read_bytes()
    root = parse_html(html_to_text(data, file=path.name), file=path.name)
    return Grid(file=path.name, kind="html", rows=page_to_rows(root))
