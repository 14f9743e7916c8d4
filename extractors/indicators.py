"""Rows of the 绩效指标 table to indicators, by labels and taxonomy, not fixed positions.

A dump slides rows a column or two left or right, so each row is placed by trying every shift
up to `max_shift` against the header's columns and keeping the one that fits best: numbers
under 分值 and 得分, taxonomy names under 一级/二级指标, nothing outside the table. Merged cells
arrive blank and are filled down from the row above.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

from extractors.cells import Row
from extractors.family import LEVEL1, LEVEL2, NUMBER, Family
from extractors.numbers import NOT_APPLICABLE, ValueParseError, is_number, parse_number
from extractors.packed import Cell, indicator_rows
from extractors.text import label_key
from schemas.model import Indicator

MAX_SHIFT = 3
OPTIONAL = frozenset({"nature", "unit"})  # columns a family may print; never placed unless named


@dataclass(slots=True)
class Placed:
    """A row's cells by indicator column, after the best shift."""

    cells: dict[str, str]
    shift: int
    fit: float


def header_to_columns(row: Row, family: Family) -> dict[str, int] | None:
    """The header row's column of each indicator column it has, or None if this is no header.

    A column the header does not name stands where the family's order puts it, if that cell is
    free (an unreadable header cell); one with no place there is absent (a form without 分值).
    """
    found: dict[str, int] = {}
    for col, text in row.filled():
        name = family.match(text, "indicator_columns")
        if name and name not in found:
            found[name] = col
    if len(found) < 3:
        return None
    order = family.indicator_order
    anchor = next(iter(found))
    base = found[anchor] - order.index(anchor)
    taken = set(found.values())
    last = max(taken)
    columns = {}
    for i, name in enumerate(order):
        col = found.get(name, base + i)
        if name in found or (col not in taken and (col <= last or name == order[-1])
                             and name not in OPTIONAL):
            columns[name] = col
    return columns


@dataclass(slots=True)
class _Facts:
    """What each cell of a row is, worked out once and then read by every shift tried."""

    cells: list[str]
    bits: list[int]  # `Family.cell_bits` of each cell (0 for a blank one)
    filled_before: list[int]  # filled_before[i]: filled cells left of column i

    @classmethod
    def of(cls, cells: list[str], family: Family) -> _Facts:
        bits_of = family.cell_bits
        return cls(cells, [bits_of(c) if c else 0 for c in cells], list(accumulate(map(bool, cells), initial=0)))

    def has_number(self) -> bool:
        return any(b & NUMBER for b in self.bits)


FIT_COLUMNS = ("level1", "level2", "level3", "weight", "score", "note")


def column_spots(cols: dict[str, int]) -> tuple[int, ...]:
    """The columns a fit reads (-1 for one the header lacks), then the table's first and last."""
    return (*[cols.get(k, -1) for k in FIT_COLUMNS], min(cols.values()), max(cols.values()))


def _fit(facts: _Facts, spots: tuple[int, ...], shift: int) -> float:
    """How well the row reads when shifted by `shift` columns; higher is better."""
    cells, bits, n = facts.cells, facts.bits, len(facts.cells)
    l1, l2, l3, weight, score, note, first, last = [s + shift if s >= 0 else -1 for s in spots] if shift else spots
    points = 0.0
    if spots[3] >= 0:
        if 0 <= weight < n and cells[weight]:
            points += 3.0 if bits[weight] & NUMBER else -3.0
        else:
            points -= 1.0
    if 0 <= score < n and cells[score]:
        points += 3.0 if bits[score] & NUMBER else -3.0
    lo, hi = max(0, min(n, first)), max(0, min(n, last + 1))
    before = facts.filled_before
    points -= 3.0 * (before[lo] + before[n] - before[hi])
    if 0 <= l1 < n and cells[l1]:
        points += 1.0 if bits[l1] & LEVEL1 else -1.0
    has_l2 = 0 <= l2 < n and bool(cells[l2])
    if has_l2:
        points += 1.0 if bits[l2] & LEVEL2 else -1.0
    if not (0 <= l3 < n and cells[l3]):
        points -= 1.0
    elif not has_l2 and bits[l3] & LEVEL2:
        points -= 1.0  # a 二级指标 name standing in the 三级 column: the row slid right
    if 0 <= note < n and cells[note] and bits[note] & NUMBER:
        points -= 2.0
    return points - 0.01 * abs(shift)


def _perfect(facts: _Facts, cols: dict[str, int]) -> float:
    """The fit of a row that stands exactly under the header: no shift can do better."""
    cells, n = facts.cells, len(facts.cells)
    present = 0
    for name in ("level1", "level2"):
        col = cols.get(name, -1)
        if 0 <= col < n and cells[col]:
            present += 1
    return 3.0 * ("weight" in cols) + 3.0 * ("score" in cols) + present


def row_facts(row: Row, family: Family, *, labelled: bool = True) -> _Facts:
    """The facts of an indicator row's cells; the 绩效指标 label of the block is no indicator's
    (`labelled=False`: the caller knows neither of the row's first two filled cells is a label)."""
    cells = row.cells
    if labelled and any(text and family.match(text, "labels") == "indicator_section" for text in cells[:2]):
        cells = ["" if i < 2 and text and family.match(text, "labels") == "indicator_section" else text
                 for i, text in enumerate(cells)]
    return _Facts.of(cells, family)


def place_facts(facts: _Facts, cols: dict[str, int], *, packed: bool = False, max_shift: int = MAX_SHIFT,
                spots: tuple[int, ...] | None = None) -> Placed:
    """A row's cells, known by their facts, under the columns they belong to (`spots`: the
    header's `column_spots`, when the caller keeps them)."""
    spots = spots or column_spots(cols)
    best, fit = 0, _fit(facts, spots, 0)
    perfect = _perfect(facts, cols)
    if fit < perfect:  # most rows fit where they stand: try shifts only if not
        fits = {0: fit}
        fits.update((s, _fit(facts, spots, s)) for s in range(-max_shift, max_shift + 1) if s)
        best = max(fits, key=lambda s: (fits[s], -abs(s), s))
        fit = fits[best]
    if packed and fit + 0.01 * abs(best) < perfect and (read := _read_compact(facts, cols)) is not None:
        return read
    cells, n = facts.cells, len(facts.cells)
    if best == 0 and 0 <= spots[-2] and spots[-1] < n:
        return Placed({name: cells[col] for name, col in cols.items()}, best, fit)
    return Placed({name: (cells[col + best] if 0 <= col + best < n else "") for name, col in cols.items()}, best, fit)


def _read_compact(facts: _Facts, cols: dict[str, int]) -> Placed | None:
    """A row whose blank cells were dropped (spaced text, fewer cells than columns), read by what
    each cell is rather than where it stands; None if it does not read as one indicator."""
    filled = [i for i, c in enumerate(facts.cells) if c]
    if not filled or len(filled) >= len(cols):
        return None
    bits = facts.bits
    cells = [Cell(facts.cells[i], bool(bits[i] & NUMBER) or facts.cells[i] in NOT_APPLICABLE, bool(bits[i] & LEVEL1),
                  bool(bits[i] & LEVEL2)) for i in filled]
    rows = indicator_rows(cells, tuple(sorted(cols, key=lambda name: cols[name])))
    if len(rows) != 1:
        return None
    return Placed(rows[0][1], 0, _perfect(facts, cols))


class IndicatorBuilder:
    """Turns placed rows into indicators, filling 一级/二级指标 down from the rows above."""

    def __init__(self, family: Family) -> None:
        self.family = family
        self.level1 = self.level2 = ""  # as the form prints them
        self.name1 = self.name2 = ""  # the taxonomy's names for them
        self.indicators: list[Indicator] = []
        self.unparsed: list[tuple[str, str, str]] = []

    def _levels(self, level1: str, level2: str) -> None:
        family = self.family
        if level1:
            name = family.match(level1, "level1") or level1
            if name != self.name1:
                self.level2 = self.name2 = ""
            self.name1, self.level1 = name, family.taxonomy_text(level1, "level1")
        if level2:
            self.name2 = family.match(level2, "level2") or level2
            self.level2 = family.taxonomy_text(level2, "level2")
            parents = family.parent.get(self.name2, [])
            if not level1 and parents and self.name1 not in parents and len(parents) == 1:
                self.name1 = self.level1 = parents[0]

    def _number(self, text: str, field: str, row: Row):
        try:
            return parse_number(text, field=field)
        except ValueParseError:
            self.unparsed.append((field, text, row.where()))
            return None

    def target(self, cells: dict[str, str]) -> str:
        """年度指标值 as printed; where 指标性质 and 度量单位 are columns of their own, printed together:
        `≥` `95` `%` -> `≥95%` (a 指标性质 that is no comparison, like 定性, is left out)."""
        nature = cells.get("nature", "")
        if nature and label_key(nature) not in self.family.nature_kept:
            nature = ""
        return f"{nature}{cells.get('target', '')}{cells.get('unit', '')}"

    def add(self, row: Row, placed: Placed) -> bool:
        """Add the row as an indicator (True), or take it as a label-only row (False if neither)."""
        c = placed.cells
        get = c.get
        weight_text, score_text = get("weight", ""), get("score", "")
        level1, level2, level3 = get("level1", ""), get("level2", ""), get("level3", "")
        if not (level3 or get("target") or get("actual") or weight_text or score_text):
            if level1 or level2:
                self._levels(level1, level2)
                return True
            return False
        if not level3 and not (is_number(weight_text) or is_number(score_text)):
            return False
        if not (get("target") or get("actual") or weight_text or score_text or level1 or level2):
            return False  # a lone text after the table (a footer, a note) is no indicator
        self._levels(level1, level2)
        weight = self._number(weight_text, "weight", row)
        score = self._number(score_text, "score", row)
        self.indicators.append(Indicator(
            seq=len(self.indicators) + 1, level1=self.level1, level2=self.level2, level3=level3,
            target=self.target(c), actual=get("actual", ""),
            weight=weight.value if weight else None, score=score.value if score else None,
            deviation_note=get("note", ""), weight_printed=weight, score_printed=score,
            source_line=row.line, source_page=row.page))
        return True
