"""PDF pages whose table has no ruling lines, or only horizontal ones, read from word positions.

pdfplumber's ruled-table finder sees no table on such a page, and its text strategy cuts CJK
cells apart, so the grid is rebuilt here:

1. **Columns** are the x-ranges that words of the table's lines keep to: the gaps that lines of
   three or more separate texts leave open (the header rows and indicator rows) are the gutters.
   A word belongs to the column its left edge stands in, so text centred over merged columns
   lands in the first of them, as a merged cell's text does.
2. **Row boundaries** are the page's horizontal rules, each covering only the columns it is drawn
   across. Without rules they are drawn where the text leaves a horizontal corridor taller than
   the gap between two lines of one cell; a corridor that a single tall cell of a column crosses
   (a merged cell's wrapped text) is still a boundary for the other columns.
3. Each word goes to the cell between the nearest boundary above it that covers its column and
   the next; a cell's words are joined top to bottom, so a merged cell's text stands in its first
   row and wrapped text is one cell. Lines above and below the table are one-cell rows.

The rows are the same rows the ruled path gives. Limits: an unruled table whose merged cells are
centred vertically over three or more rows gives their text on the middle row; an unruled table
whose rows are no further apart than the lines inside a cell cannot be told apart from one row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from statistics import median
from typing import Any

from extractors.cells import Box, Row
from extractors.text import clean_cell

MIN_GRID_TEXTS = 3       # a line of at least this many separate texts shows the table's columns
MIN_GRID_LINES = 2       # a page needs this many such lines to be read as a table
WORD_JOIN = 0.4          # words closer than this many text heights are one text (a space inside a cell)
ROW_GAP = 0.45           # a corridor at least this many text heights tall parts two rows
RULE_MIN_WIDTH = 5.0     # points: a shorter horizontal stroke is no rule
TALL_BLOCK = 1.5         # a text this many times the height of a word is more than one line


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    col: int = 0

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(slots=True)
class Boundary:
    """The top of a row at `y` for the columns `cols` (a merged cell's column is not among them)."""

    y: float
    cols: frozenset[int]


def page_words(page: Any) -> list[Word]:
    return [Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"])
            for w in page.extract_words(keep_blank_chars=False, use_text_flow=False) if w["text"].strip()]


def text_lines(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual lines (tops within a third of a text height), each left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines and abs(word.top - lines[-1][0].top) <= word.height / 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def line_texts(line: list[Word], *, join: float = WORD_JOIN) -> list[tuple[float, float]]:
    """The x-ranges of a line's separate texts: words closer than `join` heights are one text."""
    spans: list[tuple[float, float]] = []
    for word in line:
        if spans and word.x0 - spans[-1][1] <= join * word.height:
            spans[-1] = (spans[-1][0], max(spans[-1][1], word.x1))
        else:
            spans.append((word.x0, word.x1))
    return spans


def _coverage(grid: list[list[tuple[float, float]]], left: float, steps: int) -> list[int]:
    cover = [0] * steps
    for spans in grid:
        for x0, x1 in spans:
            for x in range(max(0, int(x0 - left)), min(steps, int(x1 - left) + 1)):
                cover[x] += 1
    return cover


def _low_point(cover: list[int], left: float, a: float, b: float) -> float:
    """Where the next column begins in (a, b): the middle of the last stretch that the fewest
    texts cross."""
    lo, hi = max(0, int(a - left) + 1), min(len(cover), int(b - left) + 1)
    if lo >= hi:
        return b
    best = min(cover[lo:hi])
    end = max(x for x in range(lo, hi) if cover[x] == best)
    start = end
    while start - 1 >= lo and cover[start - 1] == best:
        start -= 1
    return left + (start + end + 1) / 2


def _run_edge(cover: list[int], left: float, x: float, step: int) -> float:
    """From x, the far edge of the texts standing there: walk while some text covers."""
    i = int(x - left)
    while 0 <= i + step < len(cover) and cover[i + step] > 0:
        i += step
    return left + i


@dataclass(slots=True)
class Columns:
    """Where a table's columns begin (after the first), and the table's left and right edges."""

    starts: list[float]
    left: float
    right: float

    def fits(self, other: Columns, tolerance: float = 6.0) -> bool:
        """Whether another page's table stands within the same left and right edges."""
        return abs(self.left - other.left) <= tolerance and abs(self.right - other.right) <= tolerance


def find_columns(lines: list[list[Word]]) -> Columns | None:
    """Where the table's columns begin, found from its header row.

    The header row is a line of the most separate texts (or one fewer: a header cell may wrap
    onto a line of its own), the one that shows the most columns; a column begins between two of its
    texts where the fewest texts of the table's lines cross (a merged cell's text may). Columns
    beyond the header's first and last text are found likewise from texts that stand wholly there.
    """
    spans_of = [line_texts(line) for line in lines]
    rows = [i for i, spans in enumerate(spans_of) if len(spans) >= 2]
    grid = [spans_of[i] for i in rows]
    if sum(1 for spans in grid if len(spans) >= MIN_GRID_TEXTS) < MIN_GRID_LINES:
        return None
    texts = [s for spans in grid for s in spans]
    # Right of the header, a wrapped last header cell may stand on lines of its own.
    beyond = [s for spans in spans_of[rows[0]:rows[-1] + 1] for s in spans]
    left, right = min(x0 for x0, _ in texts), max(x1 for _, x1 in texts)
    cover = _coverage(grid, left, int(right - left) + 2)
    most = max(len(spans) for spans in grid)
    found = [_header_starts(header, texts, beyond, cover, left) for header in grid if len(header) >= most - 1]
    return Columns(max(found, key=len), left, right)


def _header_starts(header: list[tuple[float, float]], texts: list[tuple[float, float]],
                   beyond: list[tuple[float, float]], cover: list[int], left: float) -> list[float]:
    """Column starts read from one header row and the texts beyond its ends."""
    starts = [_low_point(cover, left, a[1], b[0]) for a, b in zip(header, header[1:], strict=False)]
    first, last = header[0][0], header[-1][1]
    while inner := [x1 for _, x1 in texts if x1 < first - 1]:  # columns left of the header's first
        starts.insert(0, _low_point(cover, left, max(inner), first))
        first = _run_edge(cover, left, max(inner), -1)
    while outer := [x0 for x0, _ in beyond if x0 > last + 1]:  # and right of its last
        starts.append(_low_point(cover, left, last, min(outer)))
        last = _run_edge(cover, left, min(outer), +1)
    return sorted(set(starts))


def assign_columns(words: list[Word], starts: list[float]) -> None:
    for word in words:
        word.col = sum(1 for s in starts if word.x0 >= s - 0.5)


def column_centres(starts: list[float], left: float, right: float) -> list[float]:
    edges = [left, *starts, right]
    return [(a + b) / 2 for a, b in zip(edges, edges[1:], strict=False)]


def page_boundaries(page: Any, centres: list[float], *, min_width: float = RULE_MIN_WIDTH,
                    merge: float = 1.0) -> list[Boundary]:
    """The page's horizontal rules as row boundaries, each for the columns it is drawn across."""
    edges = sorted((e for e in page.horizontal_edges if e["x1"] - e["x0"] >= min_width), key=lambda e: e["top"])
    out: list[Boundary] = []
    for edge in edges:
        cols = frozenset(c for c, x in enumerate(centres) if edge["x0"] - 1 <= x <= edge["x1"] + 1)
        if not cols:
            continue
        if out and edge["top"] - out[-1].y <= merge:
            out[-1] = Boundary(out[-1].y, out[-1].cols | cols)
        else:
            out.append(Boundary(edge["top"], cols))
    return out


def _blocks(words: list[Word], min_gap: float) -> dict[int, list[tuple[float, float]]]:
    """Per column, the vertical extents of its texts, lines nearer than `min_gap` joined."""
    by_col: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for word in sorted(words, key=lambda w: w.top):
        blocks = by_col[word.col]
        if blocks and word.top - blocks[-1][1] < min_gap:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], word.bottom))
        else:
            blocks.append((word.top, word.bottom))
    return by_col


def _gaps(extents: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float]]:
    """Gaps at least `min_gap` tall between the union of the extents."""
    gaps, reach = [], None
    for top, bottom in sorted(extents):
        if reach is not None and top - reach >= min_gap:
            gaps.append((reach, top))
        reach = bottom if reach is None else max(reach, bottom)
    return gaps


def corridor_boundaries(words: list[Word], columns: int, min_gap: float, *, depth: int = 0) -> list[Boundary]:
    """Row boundaries where no rule is drawn: corridors in the text of the band; a column whose
    one tall text here crosses the corridor (a merged cell's wrapped text) is left out of it."""
    blocks = _blocks(words, min_gap)
    tall = TALL_BLOCK * median(w.height for w in words) if words else 0
    band_top = min((t for extents in blocks.values() for t, _ in extents), default=0)
    # A column's one tall text starting at the band's top may be a merged cell's wrapped text:
    # it does not close a corridor.
    closing = [(t, u) for extents in blocks.values() for t, u in extents
               if len(extents) > 1 or u - t <= tall or t > band_top + min_gap]
    gaps = _gaps(closing, min_gap)
    if not gaps or depth > 20:
        return []
    out = []
    for a, b in gaps:
        crossed = {col for col, extents in blocks.items() if any(t < b and u > a for t, u in extents)}
        out.append(Boundary((a + b) / 2, frozenset(range(columns)) - crossed))
    cuts = [-float("inf"), *(g.y for g in out), float("inf")]
    for upper, lower in zip(cuts, cuts[1:], strict=False):
        band = [w for w in words if upper < (w.top + w.bottom) / 2 < lower]
        out += corridor_boundaries(band, columns, min_gap, depth=depth + 1)
    return sorted(out, key=lambda g: g.y)


def cell_text(words: list[Word]) -> str:
    """A cell's words top to bottom, left to right, joined as a wrapped cell is."""
    return clean_cell("\n".join(" ".join(w.text for w in line) for line in text_lines(words)))


def _box(words: list[Word]) -> Box:
    return (min(w.x0 for w in words), min(w.top for w in words), max(w.x1 for w in words),
            max(w.bottom for w in words))


def words_to_table(words: list[Word], boundaries: list[Boundary], columns: int,
                   page_number: int) -> list[tuple[float, Row]]:
    """Each word into the cell below the nearest boundary above it that covers its column."""
    cells: dict[float, dict[int, list[Word]]] = defaultdict(lambda: defaultdict(list))
    for word in words:
        centre = (word.top + word.bottom) / 2
        above = [b.y for b in boundaries if b.y <= centre and word.col in b.cols]
        cells[max(above) if above else boundaries[0].y][word.col].append(word)
    rows = []
    for y in sorted(cells):
        by_col = cells[y]
        texts = [cell_text(by_col[c]) if c in by_col else "" for c in range(columns)]
        boxes: list[Box | None] = [_box(by_col[c]) if c in by_col else None for c in range(columns)]
        rows.append((y, Row(cells=texts, line=0, page=page_number, boxes=boxes)))
    return rows


def line_rows(lines: list[list[Word]], page_number: int) -> list[tuple[float, Row]]:
    """Lines of text outside the table, one cell each."""
    return [(line[0].top, Row(cells=[cell_text(line)], line=0, page=page_number, boxes=[_box(line)]))
            for line in lines]


def _table_lines(lines: list[list[Word]], min_gap: float) -> tuple[int, int]:
    """First and last index (exclusive) of the lines the unruled table holds: from the first line
    of two or more texts to the last, with the lines that continue its last row."""
    several = [i for i, line in enumerate(lines) if len(line_texts(line)) >= 2]
    first, last = several[0], several[-1] + 1
    while last < len(lines) and lines[last][0].top - max(w.bottom for w in lines[last - 1]) < min_gap:
        last += 1
    return first, last


def words_page_to_rows(page: Any, page_number: int, *, row_gap: float = ROW_GAP,
                       previous: Columns | None = None) -> tuple[list[tuple[float, Row]], Columns] | None:
    """A text-layer page without a ruled table to rows placed by their top, with the columns it
    used; None when its words show no table (prose, a cover page).

    `previous` is the columns of the document's last such page: a page whose own header row
    shows fewer of them (a form's second half, a form whose indicator block went over) but whose
    table stands within the same edges is read by those columns.
    """
    words = page_words(page)
    lines = text_lines(words)
    columns = find_columns(lines)
    if columns is None:
        return None
    if previous is not None and len(previous.starts) > len(columns.starts) and previous.fits(columns):
        columns = previous
    starts = columns.starts
    assign_columns(words, starts)
    count = len(starts) + 1
    min_gap = row_gap * median(w.height for w in words)
    centres = column_centres(starts, columns.left, columns.right)
    boundaries = page_boundaries(page, centres)
    if len(boundaries) >= 2:
        top, bottom = boundaries[0].y, boundaries[-1].y
        inside = [line for line in lines if top <= (line[0].top + line[0].bottom) / 2 <= bottom]
    else:
        first, last = _table_lines(lines, min_gap)
        inside = lines[first:last]
        table_words = [w for line in inside for w in line]
        top = inside[0][0].top - min_gap / 2
        boundaries = [Boundary(top, frozenset(range(count))), *corridor_boundaries(table_words, count, min_gap)]
    table = words_to_table([w for line in inside for w in line], boundaries, count, page_number)
    kept = {id(line) for line in inside}
    return table + line_rows([line for line in lines if id(line) not in kept], page_number), columns
