"""A table's cells read one by one: cropped, split into lines, recognised in one batch.

Where the ruling lines give the grid, no text needs finding: each merged cell (region) is
cropped inside its rules, cut into its lines where the row profile of its ink has a gap, each
line trimmed to its ink, and all the lines of the page are recognised in one call sorted by
width. A line shorter than a typical one (the strokes of 二 or 三 with a gap between them) is
joined to its neighbour. A cell whose only mark is a short flat bar holds a dash, as the text
reader shows it; it is not recognised.

Every line remembers its cell, so a read that looks wrong (low confidence, ink running into the
cell's rule) can be named and read again another way (`extractors.ocr.page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from extractors.ocr.engine import TextLine, crops_to_texts
from extractors.ocr.grid import Table
from extractors.ocr.marks import DASH, DASH_SCORE, is_dash

INSET = 1 / 300         # of the page width: kept clear inside a cell's rules when looking for its ink
PAD = 0.4               # of the line's height: paper left around a line's ink in its crop
THIN_LINE = 0.6         # of a typical line's height: a band of ink thinner than this is part of a line
TALL_LINE = 1.4         # of a typical line's height: two bands are one line only if together no taller
PAPER = 255


@dataclass(frozen=True, slots=True)
class CellLine:
    """One line of ink inside a cell: the cell (table, anchor) and its box on the upright page."""

    table: int
    cell: tuple[int, int]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the ink
    touches_rule: bool              # the ink runs up to the cell's left or right rule


def _bands(profile: Any) -> list[tuple[int, int]]:
    """Runs of rows (start, end exclusive) where the profile is non-zero."""
    inked = np.concatenate([[False], np.asarray(profile) > 0, [False]])
    edges = np.flatnonzero(inked[1:] != inked[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _join_thin(bands: list[tuple[int, int]], typical: float) -> list[tuple[int, int]]:
    """Bands thinner than a line joined to the neighbour they make one line with."""
    out: list[tuple[int, int]] = []
    for band in bands:
        if out:
            prev = out[-1]
            thin = min(prev[1] - prev[0], band[1] - band[0]) < THIN_LINE * typical
            if thin and band[1] - prev[0] <= TALL_LINE * typical:
                out[-1] = (prev[0], band[1])
                continue
        out.append(band)
    return out


def _inside(table: Table, cell: tuple[int, int], inset: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = table.region_box(*cell)
    return int(x0) + inset, int(y0) + inset, int(x1) - inset, int(y1) - inset


def cell_to_lines(text: np.ndarray, table: Table, index: int, cell: tuple[int, int], *, inset: int,
                  typical: float) -> list[CellLine]:
    """The lines of ink inside one cell, top to bottom."""
    x0, y0, x1, y1 = _inside(table, cell, inset)
    if x1 <= x0 or y1 <= y0:
        return []
    inside = text[y0:y1, x0:x1]
    lines = []
    for top, bottom in _join_thin(_bands(inside.any(axis=1)), typical):
        cols = np.flatnonzero(inside[top:bottom].any(axis=0))
        left, right = int(cols[0]), int(cols[-1]) + 1
        touches = left == 0 or right == x1 - x0
        lines.append(CellLine(index, cell, (x0 + left, y0 + top, x0 + right, y0 + bottom), touches))
    return lines


def typical_height(text: np.ndarray, tables: list[Table], *, inset: int) -> float:
    """The median height of the bands of ink in the tables' cells: a line of text on this page."""
    heights = []
    for table in tables:
        for cell in table.anchors():
            x0, y0, x1, y1 = _inside(table, cell, inset)
            if x1 > x0 and y1 > y0:
                heights += [b - a for a, b in _bands(text[y0:y1, x0:x1].any(axis=1))]
    return float(np.median(heights)) if heights else 0.0


def tables_to_cell_lines(text: np.ndarray, tables: list[Table], *,
                         inset: float = INSET) -> tuple[list[CellLine], float]:
    """Every line of ink in every cell of the page's tables, and the height of a typical line."""
    px = max(2, int(text.shape[1] * inset))
    typical = typical_height(text, tables, inset=px)
    lines = [line for i, table in enumerate(tables) for cell in table.anchors()
             for line in cell_to_lines(text, table, i, cell, inset=px, typical=typical)]
    return lines, typical


def line_crop(gray: np.ndarray, rules: np.ndarray, line: CellLine, table: Table, *, pad: float = PAD) -> np.ndarray:
    """The line's RGB crop: its ink with some paper round it, never past its cell, rules whited out."""
    x0, y0, x1, y1 = line.box
    margin = max(2, int(round(pad * (y1 - y0))))
    cx0, cy0, cx1, cy1 = (int(v) for v in table.region_box(*line.cell))
    a, b = max(x0 - margin, cx0, 0), min(x1 + margin, cx1, gray.shape[1])
    c, d = max(y0 - margin, cy0, 0), min(y1 + margin, cy1, gray.shape[0])
    crop = gray[c:d, a:b].copy()
    crop[rules[c:d, a:b] > 0] = PAPER
    return cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)


def read_cell_lines(gray: np.ndarray, rules: np.ndarray, lines: list[CellLine], tables: list[Table],
                    engine: Any, *, typical: float) -> dict[CellLine, TextLine]:
    """Each cell line's recognised text in its box (lines read as nothing left out); a lone flat
    bar is a dash, not recognised."""
    dashes = {k for k, line in enumerate(lines) if _lone_dash(line, lines, typical)}
    todo = [k for k in range(len(lines)) if k not in dashes]
    reads = crops_to_texts([line_crop(gray, rules, lines[k], tables[lines[k].table]) for k in todo], engine)
    texts: dict[int, tuple[str, float]] = dict(zip(todo, reads, strict=True))
    texts.update({k: (DASH, DASH_SCORE) for k in dashes})
    return {line: TextLine(texts[k][0], texts[k][1], _float_box(line.box))
            for k, line in enumerate(lines) if texts[k][0]}


def _float_box(box: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def _lone_dash(line: CellLine, lines: list[CellLine], typical: float) -> bool:
    x0, y0, x1, y1 = line.box
    alone = sum(1 for other in lines if other.table == line.table and other.cell == line.cell) == 1
    return alone and is_dash(x1 - x0, y1 - y0, typical)
