"""PDFs, page by page: a page with a usable text layer is read with pdfplumber's ruled-table
finder; a page without one (a scan) is rendered and recognised by `extractors.ocr`.

Both give the same rows the text reader gives: a table row's cells by column, a merged cell's
text in its top-left cell and blanks where it spans, wrapped lines joined; lines of text outside
the tables (the title, the year) become one-cell rows in their place on the page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pdfplumber

from extractors import inflate
from extractors.cells import Grid, Row
from extractors.exceptions import FileRejected, UnreadableFile, as_file_error, unwrapped
from extractors.inputs.words import Columns, words_page_to_rows
from extractors.limits import check_page_content, check_page_pixels, check_page_points, check_pdf_pages
from extractors.text import clean_cell

MIN_TEXT_CHARS = 20        # a page with fewer characters than this has no usable text layer
MAX_UNMAPPED_SHARE = 0.2   # nor one whose characters are mostly unmapped glyphs, "(cid:123)"
RENDER_DPI = 200
PAGES_IN_MEMORY = 8        # rendered pages held at once (about 12 MB each at 200 dpi)
TABLE_SETTINGS: dict[str, Any] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
inflate.install()  # pdfminer inflates no stream past the limits


def has_text_layer(page: Any, *, min_chars: int = MIN_TEXT_CHARS,
                   max_unmapped: float = MAX_UNMAPPED_SHARE) -> bool:
    """Whether the page's own text can be trusted, so it need not be recognised."""
    chars = page.chars
    if len(chars) < min_chars:
        return False
    unmapped = sum(1 for c in chars if c["text"].startswith("(cid:"))
    return unmapped / len(chars) <= max_unmapped


def _table_rows(table: Any, page_number: int) -> list[tuple[float, Row]]:
    rows = []
    for cells_text, cells in zip(table.extract(), table.rows, strict=True):
        texts = [clean_cell(t) for t in cells_text]
        boxes = [tuple(b) if b else None for b in cells.cells]
        rows.append((cells.bbox[1], Row(cells=texts, line=0, page=page_number, boxes=boxes)))
    return rows


def _outside_rows(page: Any, tables: list[Any], page_number: int) -> list[tuple[float, Row]]:
    """Lines of text in the bands of the page that no table covers."""
    edges = [0.0] + [y for t in sorted(tables, key=lambda t: t.bbox[1]) for y in (t.bbox[1], t.bbox[3])]
    edges.append(float(page.height))
    rows = []
    for top, bottom in zip(edges[::2], edges[1::2], strict=True):
        if bottom - top < 2:
            continue
        band = page.crop((0, top, page.width, bottom), strict=False)
        for line in band.extract_text_lines(return_chars=False):
            box = (line["x0"], line["top"], line["x1"], line["bottom"])
            rows.append((line["top"], Row(cells=[clean_cell(line["text"])], line=0, page=page_number,
                                          boxes=[box])))
    return rows


def page_to_rows(page: Any, page_number: int, *, table_settings: dict[str, Any] | None = None,
                 columns: Columns | None = None) -> tuple[list[Row], Columns | None]:
    """A text-layer page to rows in reading order (top to bottom): a ruled table by its cells,
    a table without rules (or with horizontal ones only) from its words' positions, with
    `columns` those of the document's last such page (returned, updated, for the next)."""
    tables = page.find_tables(table_settings or TABLE_SETTINGS)
    unruled = None if tables else words_page_to_rows(page, page_number, previous=columns)
    if unruled is not None:
        placed, columns = unruled
    else:
        placed = [r for t in tables for r in _table_rows(t, page_number)] + _outside_rows(page, tables, page_number)
    placed.sort(key=lambda item: item[0])
    rows = [row for _, row in placed]
    for number, row in enumerate(rows, start=1):
        row.line = number
    return rows, columns


def _open(path: Path) -> Any:
    inflate.start_pdf_budget()
    try:
        pdf = pdfplumber.open(path)
        check_pdf_pages(pdf.doc, file=path.name)
        pages = pdf.pages
    except Exception as exc:
        cause = unwrapped(exc)
        if isinstance(cause, FileRejected):
            raise as_file_error(cause, file=path.name) from None
        if "password" in type(cause).__name__.lower() or "encrypt" in type(cause).__name__.lower():
            raise UnreadableFile("encrypted PDF: save it without a password and drop it in again",
                                 file=path.name) from None
        detail = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise UnreadableFile(f"damaged PDF, cannot be opened ({detail})", file=path.name) from None
    if not pages:
        pdf.close()
        raise UnreadableFile("PDF has no pages", file=path.name)
    return pdf


def _render(path: Path, page_numbers: list[int], dpi: int) -> list[tuple[str, Any]]:
    """Scanned pages as RGB arrays, each keyed by the hash of its pixels."""
    import numpy as np
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        images = []
        for number in page_numbers:
            image = np.asarray(document[number - 1].render(scale=dpi / 72).to_pil().convert("RGB"))
            images.append((hashlib.sha256(image.tobytes()).hexdigest(), image))
        return images
    finally:
        document.close()


def read_pdf_grid(path: Path, *, dpi: int = RENDER_DPI, workers: int | None = None) -> Grid:
    pdf = _open(path)
    by_page: dict[int, list[Row]] = {}
    scanned = []
    columns = None
    try:
        for number, page in enumerate(pdf.pages, start=1):
            try:
                check_page_points(page.width, page.height, number, file=path.name)
                check_page_content(page, number, file=path.name)
                if has_text_layer(page):
                    by_page[number], columns = page_to_rows(page, number, columns=columns)
                else:
                    check_page_pixels(page.width, page.height, number, dpi=dpi, file=path.name)
                    scanned.append(number)
            except Exception as exc:
                raise as_file_error(exc, file=path.name, where=f"PDF page {number}: ") from None
            finally:
                page.close()
        count = len(pdf.pages)
    finally:
        pdf.close()
    if scanned:
        from extractors.ocr import recognise_pages

        for start in range(0, len(scanned), PAGES_IN_MEMORY):  # a long scan is rendered a batch at a time
            batch = scanned[start:start + PAGES_IN_MEMORY]
            recognised = recognise_pages(_render(path, batch, dpi), page_numbers=batch, workers=workers)
            by_page.update(zip(batch, recognised, strict=True))
    rows = [row for number in sorted(by_page) for row in by_page[number]]
    return Grid(file=path.name, kind="pdf", rows=rows, pages=count)
