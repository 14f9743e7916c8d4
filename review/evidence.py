"""The evidence for a flag: the rows of the file around the value, that value's cell picked out,
and for a PDF page or a page image a picture of the cell cut from the rendered page.

The archived file is read again, by the same reader that loaded it (a scanned page's recognition
comes from the page cache), and the row is found by its place (`Row.where`), the same words the
flag's `location` holds. A text-layer PDF's boxes are in points, a recognised page's in pixels of
the page rendered at `RENDER_DPI`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from extractors.cells import Box, Grid, Row
from extractors.exceptions import SelfevalError
from extractors.inputs.image import SUFFIXES as IMAGE_SUFFIXES

AROUND = 3           # rows shown before and after the value's row
MARGIN = 40          # pixels of the page kept round a cell's picture
IMAGE_DPI = 200      # the recognised pages' resolution (extractors.inputs.pdf.RENDER_DPI)


@dataclass(slots=True)
class ExcerptRow:
    where: str
    cells: list[str]
    marked: int | None  # the column holding the value (None: not this row, or the row as a whole)
    is_value_row: bool


@dataclass(slots=True)
class Excerpt:
    rows: list[ExcerptRow]
    note: str = ""  # why there is no excerpt


@lru_cache(maxsize=4)
def _grid(path: str, stamp: float) -> Grid:
    from extractors.inputs import read_grid

    return read_grid(Path(path))


def read_archived(path: str) -> Grid | str:
    """The archived file's grid, or why it cannot be read now."""
    file = Path(path)
    if not path or not file.is_file():
        return f"the file is no longer at {path or 'its archived place'}"
    try:
        return _grid(str(file), file.stat().st_mtime)
    except SelfevalError as exc:
        return f"the file cannot be read again: {exc}"


def find(grid: Grid, location: str) -> tuple[int, int | None] | None:
    """(row index, column) of the place `location`, or None."""
    for index, row in enumerate(grid.rows):
        if row.where() == location:
            return index, None
        for col in range(len(row.cells)):
            if row.where(col) == location:
                return index, col
    return None


def excerpt(path: str, location: str, around: int = AROUND) -> Excerpt:
    grid = read_archived(path)
    if isinstance(grid, str):
        return Excerpt([], grid)
    found = find(grid, location) if location else None
    if found is None:
        return Excerpt([], f"{location or 'the place'} was not found in {Path(path).name}")
    index, col = found
    rows = grid.rows[max(0, index - around): index + around + 1]
    return Excerpt([ExcerptRow(r.where(), list(r.cells), col if r is grid.rows[index] else None,
                               r is grid.rows[index]) for r in rows])


def _page_image(path: Path, row: Row) -> tuple[Any, float] | None:
    """The page the row stands on as a PIL image, and pixels per unit of the row's boxes."""
    from PIL import Image

    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        from extractors.inputs.image import file_to_image

        return Image.fromarray(file_to_image(path.read_bytes(), file=path.name, page=row.page or 1)), 1.0
    if suffix != ".pdf" or not row.page:
        return None
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[row.page - 1].render(scale=IMAGE_DPI / 72).to_pil().convert("RGB")
    finally:
        document.close()
    recognised = row.confidence is not None  # a scanned page: boxes in pixels of this rendering
    return image, 1.0 if recognised else IMAGE_DPI / 72


def cell_image(path: str, location: str) -> bytes | None:
    """A PNG of the value's cell with a margin of its page, the cell outlined; None where the
    file has no pages to picture (text, sheets, web pages) or the place has no box."""
    grid = read_archived(path)
    if isinstance(grid, str):
        return None
    found = find(grid, location)
    if found is None:
        return None
    row = grid.rows[found[0]]
    col = found[1]
    chosen = (row.boxes or []) if col is None else (row.boxes or [])[col:col + 1]
    boxes = [b for b in chosen if b]
    page = _page_image(Path(path), row) if boxes else None
    if page is None:
        return None
    return _crop(*page, _union(boxes))


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _crop(image: Any, scale: float, box: Box) -> bytes:
    from PIL import ImageDraw

    x0, y0, x1, y1 = (v * scale for v in box)
    left, top = max(0, int(x0) - MARGIN), max(0, int(y0) - MARGIN)
    right, bottom = min(image.width, int(x1) + MARGIN), min(image.height, int(y1) + MARGIN)
    piece = image.crop((left, top, right, bottom)).convert("RGB")
    ImageDraw.Draw(piece).rectangle((x0 - left - 2, y0 - top - 2, x1 - left + 2, y1 - top + 2), outline=(220, 0, 0),
                                    width=3)
    out = io.BytesIO()
    piece.save(out, format="PNG")
    return out.getvalue()
