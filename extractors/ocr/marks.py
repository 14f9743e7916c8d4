"""Marks the text detector passes over: a lone dash (—, "not applicable") in an empty cell.

A cell with no recognised text is looked at once more: if, with the rules taken out, its only
ink is one short flat bar, it holds a dash, as the text reader would show it.
"""

from __future__ import annotations

import statistics

import cv2
import numpy as np

from extractors.ocr.engine import TextLine
from extractors.ocr.grid import Table
from extractors.ocr.ruling import Rules

DASH = "—"
DASH_SCORE = 0.9     # the confidence a dash found this way is given
MIN_WIDTH = 0.4      # of a text line's height: shorter bars are specks or hyphens
MAX_WIDTH = 2.5
MAX_THICKNESS = 0.25
MIN_SPECK = 0.01     # of a text line's height squared: smaller blobs are noise and ignored


def _dash_box(ink: np.ndarray, box: tuple[float, float, float, float], height: float) -> tuple | None:
    """The box of the one dash-shaped blob inside the cell, or None."""
    pad = max(4, int(0.15 * height))
    x0, y0, x1, y1 = int(box[0]) + pad, int(box[1]) + pad, int(box[2]) - pad, int(box[3]) - pad
    if x1 <= x0 or y1 <= y0:
        return None
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink[y0:y1, x0:x1], connectivity=8)
    blobs = [s for s in stats[1:] if s[4] >= MIN_SPECK * height * height]
    if len(blobs) != 1:
        return None
    x, y, w, h, _ = blobs[0]
    if MIN_WIDTH * height <= w <= MAX_WIDTH * height and h <= MAX_THICKNESS * height and w >= 3 * h:
        return (float(x0 + x), float(y0 + y), float(x0 + x + w), float(y0 + y + h))
    return None


def lone_dashes(ink: np.ndarray, rules: Rules, tables: list[Table], lines: list[TextLine]) -> list[TextLine]:
    """A dash for every empty cell whose only mark is one."""
    if not lines or not tables:
        return []
    height = statistics.median(t.box[3] - t.box[1] for t in lines)
    rules_mask = cv2.dilate(cv2.bitwise_or(rules.horizontal, rules.vertical), np.ones((5, 5), np.uint8))
    text_only = cv2.bitwise_and(ink, cv2.bitwise_not(rules_mask))
    found = []
    for table in tables:
        taken = {table.anchor(*cell) for t in lines if (cell := table.cell_at(*t.centre)) is not None}
        rows, cols = table.shape
        for r in range(rows):
            for c in range(cols):
                if table.anchor(r, c) != (r, c) or (r, c) in taken:
                    continue
                box = _dash_box(text_only, table.region_box(r, c), height)
                if box is not None:
                    found.append(TextLine(DASH, DASH_SCORE, box))
    return found
