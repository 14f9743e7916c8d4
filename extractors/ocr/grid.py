"""Tables from ruling lines: the grid their rules make, and the merged cells (regions) of that grid.

Column boundaries are where vertical rules run, row boundaries where horizontal rules run, over
the whole table. A merged cell is a region of grid cells with no rule between them: its text
goes to its top-left grid cell and the others stay blank, as in a text dump.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import cv2
import numpy as np

from extractors.ocr.ruling import Rules

TOUCH = 12           # px: a rule ends on another rule when it stops this close to it
MERGE = 10           # px: rules this close are the same boundary
WALL = 0.5           # share of a grid cell's side a rule must cover to separate two cells
MIN_TABLE_WIDTH = 0.2  # of the page width


@dataclass(slots=True)
class Table:
    """A table's grid boundaries and, for each grid cell, the region (merged cell) it belongs to."""

    xs: list[float]
    ys: list[float]
    region: np.ndarray  # rows × cols of region ids; a region's id is its top-left cell's index

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.ys) - 1, len(self.xs) - 1

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The grid cell (row, col) holding the point, or None outside the table."""
        if not (self.xs[0] <= x <= self.xs[-1] and self.ys[0] <= y <= self.ys[-1]):
            return None
        col = min(max(bisect_right(self.xs, x) - 1, 0), len(self.xs) - 2)
        row = min(max(bisect_right(self.ys, y) - 1, 0), len(self.ys) - 2)
        return row, col

    def anchor(self, row: int, col: int) -> tuple[int, int]:
        """The top-left grid cell of the merged cell that (row, col) is part of."""
        return divmod(int(self.region[row, col]), self.shape[1])

    def anchors(self) -> list[tuple[int, int]]:
        """The top-left grid cell of every merged cell, row by row."""
        rows, cols = self.shape
        return [(r, c) for r in range(rows) for c in range(cols) if self.anchor(r, c) == (r, c)]

    def region_box(self, row: int, col: int) -> tuple[float, float, float, float]:
        cells = np.argwhere(self.region == self.region[row, col])
        (r0, c0), (r1, c1) = cells.min(axis=0), cells.max(axis=0)
        return self.xs[c0], self.ys[r0], self.xs[c1 + 1], self.ys[r1 + 1]


def _cluster(values: list[float], *, merge: float) -> list[float]:
    """Sorted positions, those within `merge` of each other taken as one (their mean)."""
    groups: list[list[float]] = []
    for value in sorted(values):
        if groups and value - groups[-1][-1] <= merge:
            groups[-1].append(value)
        else:
            groups.append([value])
    return [sum(g) / len(g) for g in groups]


def _meets(rule: tuple[float, int, int], across: tuple[float, int, int], *, touch: float) -> bool:
    """Whether a rule and one running the other way touch or cross."""
    return across[1] - touch <= rule[0] <= across[2] + touch and rule[1] - touch <= across[0] <= rule[2] + touch


def _connected(rules: Rules, *, touch: float) -> tuple[list, list]:
    """Rules that meet at least two rules running the other way; a stroke of text meets fewer."""
    h_kept = [h for h in rules.h_segments if sum(_meets(h, v, touch=touch) for v in rules.v_segments) >= 2]
    v_kept = [v for v in rules.v_segments if sum(_meets(v, h, touch=touch) for h in h_kept) >= 2]
    return h_kept, v_kept


def _table_boxes(rules: Rules, *, min_width: float) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1) of the networks of rules wide enough to be tables."""
    mask = cv2.dilate(rules.horizontal | rules.vertical, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    width = mask.shape[1]
    boxes = []
    for label in range(1, count):
        x, y, w, h, _ = stats[label]
        if w >= width * min_width and h >= 10:
            boxes.append((int(x), int(y), int(x + w - 1), int(y + h - 1)))
    return sorted(boxes, key=lambda b: b[1])


def _coverage(mask: np.ndarray, *, at: float, lo: float, hi: float, vertical: bool, spread: int = 4) -> float:
    """Share of the stretch lo..hi (its ends left out) along which a rule runs at `at`."""
    margin = (hi - lo) * 0.2
    a, b = int(lo + margin), int(hi - margin)
    if b <= a:
        return 1.0
    c = int(round(at))
    band = mask[a:b, max(c - spread, 0):c + spread + 1] if vertical else mask[max(c - spread, 0):c + spread + 1, a:b]
    if band.size == 0:
        return 0.0
    return float((band.any(axis=1) if vertical else band.any(axis=0)).mean())


def _regions(rules: Rules, xs: list[float], ys: list[float], *, wall: float) -> np.ndarray:
    """Region id of every grid cell: cells with no rule between them are one merged cell."""
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and _coverage(rules.vertical, at=xs[c + 1], lo=ys[r], hi=ys[r + 1], vertical=True) < wall:
                union(r * cols + c, r * cols + c + 1)
            if r + 1 < rows and _coverage(rules.horizontal, at=ys[r + 1], lo=xs[c], hi=xs[c + 1],
                                          vertical=False) < wall:
                union(r * cols + c, (r + 1) * cols + c)
    return np.array([find(i) for i in range(rows * cols)], dtype=np.int64).reshape(rows, cols)


def rules_to_tables(rules: Rules, *, touch: float = TOUCH, merge: float = MERGE, wall: float = WALL,
                    min_width: float = MIN_TABLE_WIDTH) -> list[Table]:
    """Every ruled table on the page, top to bottom."""
    hs, vs = _connected(rules, touch=touch)
    tables = []
    for x0, y0, x1, y1 in _table_boxes(rules, min_width=min_width):
        # The box's own edges close a table left open at a side (cut off at the foot of a page).
        ys = _cluster([y for y, a, b in hs if y0 <= y <= y1 and a >= x0 - touch and b <= x1 + touch] + [y0, y1],
                      merge=merge)
        xs = _cluster([x for x, a, b in vs if x0 <= x <= x1 and a >= y0 - touch and b <= y1 + touch] + [x0, x1],
                      merge=merge)
        if len(xs) < 2 or len(ys) < 2:
            continue
        tables.append(Table(xs, ys, _regions(rules, xs, ys, wall=wall)))
    return tables
