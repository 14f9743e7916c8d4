"""Word documents (.docx): python-docx opens the package, the body's XML is walked in order.

A table becomes rows on its grid: a cell that spans columns (`gridSpan`) keeps its text in its
first column and blanks in the others; a cell continuing a vertical merge (`vMerge` without
`restart`) is blank; `gridBefore` shifts a row right. A cell's paragraphs are joined as the
text reader joins a wrapped cell. Paragraphs outside tables (the title above the table, the
year line, notes below) become one-cell rows in their place. Rows say their table and row;
`line` counts the document's rows (paragraphs and table rows) in reading order.

Old binary Word files (.doc) are converted to .docx by LibreOffice first (`office.py`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile, UnsupportedFile
from extractors.text import clean_cell

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
MAX_GRID_SPAN = 1000  # no form spans more columns than this
_TEXT = f"{{{W}}}t"
_FALLBACK = f"{{{NS['mc']}}}Fallback"  # a drawing's copy for old readers: its text is already read
_BREAKS = {f"{{{W}}}br", f"{{{W}}}cr", f"{{{W}}}tab"}


def _val(element: Any, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.get(f"{{{W}}}val", "")


def _int(text: str | None, default: int) -> int:
    try:
        return max(0, min(MAX_GRID_SPAN, int(text))) if text else default
    except ValueError:
        return default


def paragraph_text(p: Any) -> str:
    """A paragraph's text: its runs' text, line breaks and tabs as breaks; no fallback copies."""
    fallback = p.find(".//mc:Fallback", NS) is not None
    parts = []
    for node in p.iter(_TEXT, *_BREAKS):
        if fallback and any(a.tag == _FALLBACK for a in node.iterancestors()):
            continue
        parts.append(node.text or "" if node.tag == _TEXT else "\n")
    return "".join(parts)


def cell_text(tc: Any) -> str:
    """A cell's paragraphs (nested tables' too) joined as one wrapped cell."""
    return clean_cell("\n".join(paragraph_text(p) for p in tc.iter(f"{{{W}}}p")))


def table_rows(tbl: Any) -> list[list[str]]:
    """A table's rows on its grid: spans to blanks, vertical continuations blank."""
    rows = []
    for tr in tbl.findall("w:tr", NS):
        cells = [""] * _int(_val(tr, "w:trPr/w:gridBefore"), 0)
        for tc in tr.findall("w:tc", NS):
            span = max(1, _int(_val(tc, "w:tcPr/w:gridSpan"), 1))
            merge = _val(tc, "w:tcPr/w:vMerge")
            text = "" if merge is not None and merge != "restart" else cell_text(tc)
            cells += [text] + [""] * (span - 1)
        rows.append(cells)
    return rows


def _blocks(body: Any) -> Iterator[tuple[str, Any]]:
    """The body's paragraphs and tables in order, looking inside content controls."""
    for child in body:
        tag = child.tag
        if tag == f"{{{W}}}p":
            yield ("p", child)
        elif tag == f"{{{W}}}tbl":
            yield ("tbl", child)
        elif tag == f"{{{W}}}sdt":
            content = child.find("w:sdtContent", NS)
            if content is not None:
                yield from _blocks(content)


def body_to_rows(body: Any) -> list[Row]:
    """The document body to rows: paragraphs as one-cell rows, tables row by row."""
    rows: list[Row] = []
    tables = 0
    for kind, element in _blocks(body):
        if kind == "p":
            text = clean_cell(paragraph_text(element))
            if text:
                rows.append(Row(cells=[text], line=len(rows) + 1))
            continue
        tables += 1
        for number, cells in enumerate(table_rows(element), start=1):
            if any(cells):
                rows.append(Row(cells=cells, line=len(rows) + 1, table=tables, number=number))
    return rows


def read_docx_grid(path: Path) -> Grid:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0":
        raise UnsupportedFile("an old Word .doc (or a password-protected document) saved as .docx: "
                              "open it in Word or WPS, save it as .docx without a password, and drop it in again",
                              file=path.name)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UnreadableFile(f"damaged or not a Word document ({detail})", file=path.name) from None
    return Grid(file=path.name, kind="docx", rows=body_to_rows(document.element.body))

