"""One page image to rows: turn it upright and straight, find its tables' grids, read their cells
and the text outside them, fill the cells.

Where the rules give a grid, the cells are read directly (`extractors.ocr.cells`) and only the
ink outside the tables goes to the detector (`extractors.ocr.loose`). A cell whose read looks
wrong (confidence under `REREAD_SCORE`, or ink running into its rule) is read again from
full-page detection, once for the page, and the surer read of the two is kept. A page with no
grid is read by full-page detection alone.

A table row becomes a `Row` over all of its table's grid columns: a merged cell's text in its
top-left grid cell, blanks where it spans, wrapped lines joined. Text outside the tables (the
title, the year, page numbers) becomes a row per line, cut into cells only where a wide gap parts
it, as runs of spaces part the cells of a text dump. All rows are in reading order, top to
bottom, numbered from 1 on the page.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from extractors.cells import Box, Row
from extractors.exceptions import UnreadableFile
from extractors.ocr import ruling
from extractors.ocr.cells import CellLine, read_cell_lines, tables_to_cell_lines
from extractors.ocr.crossing import split_crossing_lines
from extractors.ocr.engine import TextLine, image_to_text_lines
from extractors.ocr.grid import Table, rules_to_tables
from extractors.ocr.loose import read_loose
from extractors.ocr.orient import Inked, page_to_upright
from extractors.text import join_texts

SAME_LINE = 0.5  # two pieces of text are on one line when their centres are this many line heights apart or less
LOOSE_GAP = 3.0  # line heights of empty paper that part two cells of a line outside the tables
DEFAULT_LINE = 1 / 80  # of the page width: a line's height when no cell holds one to measure
REREAD_SCORE = 0.8  # a cell read with less confidence than this is read again from full-page detection


def image_to_rgb(image: np.ndarray) -> np.ndarray:
    """Any page array (gray, RGB, RGBA) as contiguous 8-bit RGB."""
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0 or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise UnreadableFile(f"not a page image: an array of shape {array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 2 or array.shape[2] == 1:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    if array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_RGBA2RGB)
    return np.ascontiguousarray(array)


def _group_lines(lines: list[TextLine], *, same_line: float = SAME_LINE) -> list[list[TextLine]]:
    """Pieces of text grouped into lines, top to bottom, each line left to right."""
    groups: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda t: t.centre[1]):
        height = line.box[3] - line.box[1]
        if groups and abs(line.centre[1] - groups[-1][-1].centre[1]) <= same_line * height:
            groups[-1].append(line)
        else:
            groups.append([line])
    return [sorted(group, key=lambda t: t.box[0]) for group in groups]


def lines_to_text(lines: list[TextLine], *, same_line: float = SAME_LINE) -> tuple[str, float]:
    """Pieces of text read top to bottom, left to right, as one value, and their mean confidence."""
    ordered = [t for group in _group_lines(lines, same_line=same_line) for t in group]
    return join_texts([t.text for t in ordered]), sum(t.score for t in ordered) / len(ordered)


def table_to_rows(table: Table, lines: list[TextLine], *, page: int) -> list[tuple[float, Row]]:
    """A table's rows with their top edges; rows with nothing in them are left out."""
    rows, cols = table.shape
    by_anchor: dict[tuple[int, int], list[TextLine]] = {}
    for line in lines:
        cell = table.cell_at(*line.centre)
        if cell is not None:
            by_anchor.setdefault(table.anchor(*cell), []).append(line)
    placed = []
    for r in range(rows):
        texts: list[str] = []
        boxes: list[Box | None] = []
        scores: list[float] = []
        for c in range(cols):
            text, score = lines_to_text(by_anchor[(r, c)]) if (r, c) in by_anchor else ("", 1.0)
            texts.append(text)
            scores.append(score)
            boxes.append(table.region_box(r, c) if table.anchor(r, c) == (r, c) else
                         (table.xs[c], table.ys[r], table.xs[c + 1], table.ys[r + 1]))
        if any(texts):
            placed.append((table.ys[r], Row(cells=texts, line=0, page=page, boxes=boxes, confidence=scores)))
    return placed


def _split_at_gaps(group: list[TextLine], *, gap: float) -> list[list[TextLine]]:
    """A line of loose text cut where a gap wider than `gap` line heights separates its pieces."""
    parts = [[group[0]]]
    for piece in group[1:]:
        height = piece.box[3] - piece.box[1]
        if piece.box[0] - parts[-1][-1].box[2] > gap * height:
            parts.append([piece])
        else:
            parts[-1].append(piece)
    return parts


def _bounds(lines: list[TextLine]) -> Box:
    return (min(t.box[0] for t in lines), min(t.box[1] for t in lines),
            max(t.box[2] for t in lines), max(t.box[3] for t in lines))


def loose_to_rows(lines: list[TextLine], *, page: int, gap: float = LOOSE_GAP) -> list[tuple[float, Row]]:
    """Text outside every table: a row per line of the page, cut into cells only at wide gaps."""
    placed = []
    for group in _group_lines(lines):
        parts = _split_at_gaps(group, gap=gap)
        texts, scores = zip(*(lines_to_text(part) for part in parts), strict=True)
        boxes: list[Box | None] = [_bounds(part) for part in parts]
        placed.append((_bounds(group)[1], Row(cells=list(texts), line=0, page=page, boxes=boxes,
                                              confidence=list(scores))))
    return placed


def lines_to_rows(lines: list[TextLine], tables: list[Table], *, page: int) -> list[Row]:
    """Recognised text placed in the tables' cells or on lines of its own, in reading order."""
    inside: list[list[TextLine]] = [[] for _ in tables]
    loose = []
    for line in lines:
        owner = next((i for i, t in enumerate(tables) if t.cell_at(*line.centre) is not None), None)
        if owner is None:
            loose.append(line)
        else:
            inside[owner].append(line)
    placed = loose_to_rows(loose, page=page)
    for table, its_lines in zip(tables, inside, strict=True):
        placed += table_to_rows(table, its_lines, page=page)
    placed.sort(key=lambda item: item[0])
    rows = [row for _, row in placed]
    for number, row in enumerate(rows, start=1):
        row.line = number
    return rows


def _cells_in_doubt(lines: list[TextLine], cell_lines: list[CellLine], *, min_score: float) -> set[tuple[int, int, int]]:
    """(table, row, col) of every cell with a line read with little confidence or running into a rule."""
    return {(c.table, *c.cell) for line, c in zip(lines, cell_lines, strict=True)
            if line.score < min_score or c.touches_rule}


def _cell_of(line: TextLine, tables: list[Table]) -> tuple[int, int, int] | None:
    for index, table in enumerate(tables):
        cell = table.cell_at(*line.centre)
        if cell is not None:
            return (index, *table.anchor(*cell))
    return None


def _mean_score(lines: list[TextLine]) -> float:
    return sum(t.score for t in lines) / len(lines) if lines else 0.0


def reread_doubtful(lines: list[TextLine], cell_lines: list[CellLine], tables: list[Table], gray: np.ndarray,
                    engine: Any, *, min_score: float = REREAD_SCORE) -> list[TextLine]:
    """Cells whose read looks wrong read again from full-page detection, where that reads them surer."""
    doubtful = _cells_in_doubt(lines, cell_lines, min_score=min_score)
    if not doubtful:
        return lines
    rgb = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    detected = split_crossing_lines(image_to_text_lines(rgb, engine), tables, rgb, engine)
    by_cell: dict[tuple[int, int, int], list[TextLine]] = {}
    for line in detected:
        cell = _cell_of(line, tables)
        if cell in doubtful:
            by_cell.setdefault(cell, []).append(line)
    ours: dict[tuple[int, int, int], list[TextLine]] = {}
    for line, c in zip(lines, cell_lines, strict=True):
        ours.setdefault((c.table, *c.cell), []).append(line)
    better = {cell for cell, theirs in by_cell.items() if _mean_score(theirs) > _mean_score(ours.get(cell, []))}
    kept = [line for line, c in zip(lines, cell_lines, strict=True) if (c.table, *c.cell) not in better]
    return kept + [line for cell in better for line in by_cell[cell]]


def read_tables(page: Inked, tables: list[Table], engine: Any) -> list[TextLine]:
    """The text of every cell of the tables, and of the page outside them."""
    gray, rules = page.upright.gray, ruling.rules_to_mask(page.rules)
    cell_lines, typical = tables_to_cell_lines(page.text, tables)
    typical = typical or DEFAULT_LINE * gray.shape[1]
    read = read_cell_lines(gray, rules, cell_lines, tables, engine, typical=typical)
    kept = [c for c in cell_lines if c in read]
    lines = reread_doubtful([read[c] for c in kept], kept, tables, gray, engine)
    return lines + read_loose(gray, page.text, tables, typical, engine)


def read_page(image: np.ndarray, engine: Any, *, page: int) -> list[Row]:
    """A page image to rows as recognised, labels not yet snapped; boxes in the page's pixels as given."""
    upright = page_to_upright(ruling.to_gray(image_to_rgb(image)), engine)
    tables = rules_to_tables(upright.rules)
    if tables:
        lines = read_tables(upright, tables, engine)
    else:  # no grid known: the detector finds the text, as in any page of prose
        lines = image_to_text_lines(cv2.cvtColor(upright.upright.gray, cv2.COLOR_GRAY2RGB), engine)
    rows = lines_to_rows(lines, tables, page=page)
    for row in rows:
        row.boxes = [upright.upright.to_page(b) if b else None for b in row.boxes or []]
    return rows
