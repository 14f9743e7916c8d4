"""Text that runs across a rule: split where the rule is and each part recognised on its own.

Text printed close to both sides of a cell border (a right-aligned number beside a
left-aligned one) can come back from the detector as one line, `10|5` read as `105`. Such a
line is cut at every rule it crosses between two cells, and each piece is read again without
the rule in it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from extractors.ocr.engine import TextLine, crop_to_text
from extractors.ocr.grid import Table

MIN_PART = 0.5  # of the line's height: less text than this on one side of a rule is no text
RULE_MARGIN = 3  # px left out on each side of the rule, so no ink of it is in a piece


def crossings(line: TextLine, table: Table, *, min_part: float = MIN_PART) -> list[float]:
    """The x of every rule between two cells that the line runs across."""
    x0, y0, x1, y1 = line.box
    cell = table.cell_at(*line.centre)
    if cell is None:
        return []
    row = cell[0]
    margin = min_part * (y1 - y0)
    cuts = []
    for j in range(1, len(table.xs) - 1):
        if x0 + margin < table.xs[j] < x1 - margin and table.anchor(row, j - 1) != table.anchor(row, j):
            cuts.append(table.xs[j])
    return cuts


def split_line(line: TextLine, cuts: list[float], image: np.ndarray, engine: Any, *,
               rule_margin: int = RULE_MARGIN) -> list[TextLine]:
    """The line's pieces between the cuts, each recognised again; pieces with no text are dropped."""
    x0, y0, x1, y1 = line.box
    edges = [x0, *cuts, x1]
    top, bottom = max(int(y0), 0), min(int(np.ceil(y1)), image.shape[0])
    pieces = []
    for k, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        left = int(a) + (rule_margin if k > 0 else 0)
        right = int(np.ceil(b)) - (rule_margin if k < len(cuts) else 0)
        text, score = crop_to_text(image[top:bottom, max(left, 0):max(right, 0)], engine)
        if text:
            pieces.append(TextLine(text, score, (float(left), y0, float(right), y1)))
    return pieces


def split_crossing_lines(lines: list[TextLine], tables: list[Table], image: np.ndarray, engine: Any, *,
                         min_part: float = MIN_PART) -> list[TextLine]:
    """Every line that crosses a rule between two cells replaced by its pieces."""
    out = []
    for line in lines:
        table = next((t for t in tables if t.cell_at(*line.centre) is not None), None)
        cuts = crossings(line, table, min_part=min_part) if table is not None else []
        out.extend(split_line(line, cuts, image, engine) if cuts else [line])
    return out
