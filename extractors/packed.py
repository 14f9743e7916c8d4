"""Indicator cells packed together — blank cells dropped, as spaced and flattened copies print
them — read back under the indicator header's columns.

Each column takes what it can hold (a taxonomy name under 一级/二级指标, a number under 分值 and
得分, a comparison under 指标性质, text elsewhere, a wrapped text over up to three cells) and loses
something when left blank; the best reading of a whole run of cells, rows and all, is found at
once by dynamic programming (`indicator_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from extractors.numbers import NOT_APPLICABLE, try_number
from extractors.text import join_texts

OPERATORS = regex.compile(r"^(?:[≥≤＝=＞＜><]=?|定性|定量|不[低少高多超]于)$")
MAX_TEXT_TOKENS = 3  # cells a text column may take when a wrapped cell was cut at its spaces
NEGATIVE = -1e9


# What an indicator column gains for the cell it takes, and loses left blank.
EMPTY = {"level1": 0.0, "level2": 0.0, "level3": -3.0, "nature": -0.5, "target": -1.5, "unit": -0.2,
         "actual": -1.5, "weight": -4.0, "score": -4.0, "note": 0.0}
TEXT_COLUMNS = frozenset({"level3", "target", "actual", "note"})


@dataclass(slots=True)
class Cell:
    """What a token of the indicator rows may be."""

    text: str
    number: bool
    level1: bool
    level2: bool

    @property
    def plain(self) -> bool:
        return not (self.number or self.level1 or self.level2)


def _gain(column: str, cell: Cell) -> float | None:
    """What the column gains for the cell, or None when the cell cannot stand there."""
    if column == "level1":
        return 3.0 if cell.level1 else None
    if column == "level2":
        return 3.0 if cell.level2 else None
    if column in ("weight", "score"):
        number = try_number(cell.text) if cell.number else None
        return 2.5 if number is not None and (column == "score" or number.value <= 100) else \
            (0.5 if cell.text in NOT_APPLICABLE else None)
    if column == "nature":
        return 1.5 if OPERATORS.match(cell.text) else None
    if column == "unit":
        return 0.8 if cell.plain and len(cell.text) <= 4 else None
    if column == "level3":
        return None if cell.number else (1.0 if cell.plain else 0.2)
    if column == "note":
        return 0.3 if cell.plain else None
    return 1.0 if not (cell.level1 or cell.level2) else None  # target, actual: text or a number


def _fills(column: str, cells: list[Cell], j: int) -> list[tuple[int, float]]:
    """(cells taken, gain) for each way the column may take cells from j on."""
    gain = _gain(column, cells[j])
    if gain is None:
        return []
    out = [(1, gain)]
    if column in TEXT_COLUMNS and cells[j].plain:
        for k in range(2, MAX_TEXT_TOKENS + 1):
            if j + k > len(cells) or not cells[j + k - 1].plain:
                break
            out.append((k, gain - 0.6 * (k - 1)))
    return out


def indicator_rows(cells: list[Cell], columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The best reading of a run of indicator cells as rows under the columns, blanks anywhere:
    each row as its first cell's index and its texts by column."""
    n, width = len(cells), len(columns)
    # best[j][s][c]: the best score from cell j, column s of a row, c = the row took a cell already
    best = [[[NEGATIVE, NEGATIVE] for _ in range(width + 1)] for _ in range(n + 1)]
    step: dict[tuple[int, int, int], tuple[int, int, int, int]] = {}
    best[n][0][0] = 0.0
    for j in range(n, -1, -1):
        # a row not yet begun (c = 0) never depends on one begun at the same cell: work those out first
        for c in (0, 1):
            if c:
                best[j][width][1] = best[j][0][0]
                step[(j, width, 1)] = (j, 0, 0, 0)
            for s in range(width - 1, -1, -1):
                if j == n and s == 0 and c == 0:
                    continue
                options = [(EMPTY[columns[s]] + best[j][s + 1][c], (j, s + 1, c, 0))]
                if j < n:
                    options += [(gain + best[j + k][s + 1][1], (j + k, s + 1, 1, k))
                                for k, gain in _fills(columns[s], cells, j)]
                score, move = max(options, key=lambda o: o[0])
                if score > NEGATIVE / 2:
                    best[j][s][c] = score
                    step[(j, s, c)] = move
    return _walk(step, cells, columns)


def _walk(step: dict, cells: list[Cell], columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    rows: list[tuple[int, dict[str, str]]] = []
    state, start = (0, 0, 0), 0
    row: dict[str, str] = {}
    while state in step:
        j, s, c = state
        nj, ns, nc, took = step[state]
        if s < len(columns) and took:
            row[columns[s]] = join_texts([cell.text for cell in cells[j:j + took]])
        if s == len(columns):
            rows.append((start, row))
            row, start = {}, j
        state = (nj, ns, nc)
    if row:
        rows.append((start, row))
    return rows
