"""A form's table written out in each text shape real copies take (see LAYOUTS.md, section 2).

Each writer turns a laid-out `Table` (`tests/material/layout.py`, `families.py`) into lines of text: `tabs` (blank cells
kept), `spaced` (runs of spaces, blank cells gone), `pipes` (`| a | b |`, colspans as empty cells,
a long cell broken over two lines), `cell_lines` (one cell a line, blank lines between),
`flattened` (the whole form on one or two lines, cells joined by one space). `to_traditional`
writes any of them in traditional characters, `with_pinyin` adds pinyin after some labels'
characters.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import opencc

from tests.material.layout import Cell, Table, covered

_TO_TRADITIONAL = opencc.OpenCC("s2t")
PINYIN = {"项": "xiàng", "目": "mù", "名": "míng", "称": "chēng", "总": "zǒng", "分": "fēn"}
WRAP_AT = 24  # a pipe cell longer than this is broken over two lines, as a cell with a line break is


def table_rows(table: Table) -> list[list[str]]:
    """The table's rows as printed texts: heading lines in their first cell, merged cells blank."""
    hidden = covered(table.block)
    rows = [[line] + [""] * (table.columns - 1) for line in table.heading]
    rows += [[v.text if isinstance(v, Cell) and (c, r) not in hidden else "" for c, v in enumerate(row)]
             for r, row in enumerate(table.block.rows)]
    return rows


def tabs(table: Table) -> list[str]:
    return ["\t".join(row) for row in table_rows(table)]


def spaced(table: Table, rng: random.Random | None = None) -> list[str]:
    """Filled cells parted by two to four spaces (or ideographic spaces); column positions lost."""
    rng = rng or random.Random(0)
    lines = []
    for row in table_rows(table):
        cells = [c for c in row if c]
        gaps = [rng.choice(("  ", "   ", "    ", "\u3000\u3000")) for _ in cells[1:]]
        lines.append(cells[0] + "".join(g + c for g, c in zip(gaps, cells[1:], strict=True)) if cells else "")
    return lines


def pipes(table: Table, *, wrap_at: int = WRAP_AT) -> list[str]:
    """Markdown-like rows; a long cell's text broken at its middle onto the next line."""
    lines = []
    for row in table_rows(table):
        line = "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
        long = next((c for c in row if len(c) > wrap_at), None)
        if long is None:
            lines.append(line)
            continue
        cut = line.index(long) + len(long) // 2
        lines += [line[:cut], line[cut:]]
    return lines


def markdown(table: Table) -> list[str]:
    """Pipe rows with a `|---|` rule under the first table row, as Markdown converters write them."""
    lines = pipes(table, wrap_at=10_000)
    top = len(table.heading)
    return lines[:top] + [lines[top], "|" + "---|" * table.columns] + lines[top + 1:]


def cell_lines(table: Table) -> list[str]:
    """Every filled cell on its own line, a blank line after each."""
    return [line for row in table_rows(table) for c in row if c for line in (c, "")]


def flattened(table: Table, *, lines: int = 1, before: Sequence[str] = (), after: Sequence[str] = (),
              glue: str = "", inside: Sequence[tuple[int, str]] = ()) -> list[str]:
    """The filled cells joined by one space on one line (or cut into two at a cell boundary), with
    page chrome or document metadata before and after; the figures of the row labelled `glue`
    run together with no space (`年度资金总额 99000.0030000.00…`); `inside` puts (at cell index,
    token) page chrome inside the form."""
    cells = []
    for row in table_rows(table):
        filled = [c for c in row if c]
        if glue and filled and filled[0] == glue:
            filled = [glue, "".join(filled[1:])]
        cells += filled
    for at, token in sorted(inside, reverse=True):
        cells.insert(at, token)
    cells = [*before, *cells, *after]
    if lines == 1:
        return [" ".join(cells)]
    cut = len(cells) // 2
    return [" ".join(cells[:cut]), " ".join(cells[cut:])]


def to_traditional(lines: list[str]) -> list[str]:
    """The text in traditional characters."""
    return [_TO_TRADITIONAL.convert(line) for line in lines]


def with_pinyin(lines: list[str], labels: Sequence[str] = ("項目名稱", "總分")) -> list[str]:
    """Pinyin in brackets after the characters of some labels, as 繁体 mirrors print them: 項(xiàng)目."""
    marked = {_TO_TRADITIONAL.convert(k): v for k, v in PINYIN.items()}
    for label in labels:
        annotated = "".join(f"{ch}({marked[ch]})" if ch in marked else ch for ch in label)
        lines = [line.replace(label, annotated) for line in lines]
    return lines


SHAPES: dict[str, Callable[[Table], list[str]]] = {
    "tabs": tabs, "spaced": spaced, "pipes": pipes, "cell_lines": cell_lines, "flattened": flattened,
}


def forms_text(tables: Sequence[Table], shape: str | Sequence[str], *, gap: str = "") -> str:
    """Several forms' tables as one file's text, each in its shape (one shape, or one per form)."""
    shapes = [shape] * len(tables) if isinstance(shape, str) else list(shape)
    blocks = ["\n".join(SHAPES[s](t)) for t, s in zip(tables, shapes, strict=True)]
    return f"\n{gap}\n".join(blocks) + "\n"
