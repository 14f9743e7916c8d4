"""A form's table written out in each text shape real copies take (see LAYOUTS.md, section 2).

Each writer turns a laid-out `Table` (`tests/material/layout.py`, `families.py`) into lines of text: `tabs` (blank cells
kept), `spaced` (runs of spaces, blank cells gone), `pipes` (`| a | b |`, colspans as empty cells,
a long cell broken over two lines), `cell_lines` (one cell a line, blank lines between),
`flattened` (the whole form on one or two lines, cells joined by one space). `to_traditional`
writes any of them in traditional characters, with pinyin after some labels' characters.
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


def flattened(table: Table, *, lines: int = 1, before: Sequence[str] = (), after: Sequence[str] = ()) -> list[str]:
    """The filled cells joined by one space on one line (or cut into two at a cell boundary), with
    page chrome or document metadata before and after."""
    cells = [*before, *(c for row in table_rows(table) for c in row if c), *after]
    if lines == 1:
        return [" ".join(cells)]
    cut = len(cells) // 2
    return [" ".join(cells[:cut]), " ".join(cells[cut:])]


def to_traditional(lines: list[str], *, pinyin: bool = False) -> list[str]:
    """The text in traditional characters; with `pinyin`, 項(xiàng)目 after the characters of labels."""
    out = [_TO_TRADITIONAL.convert(line) for line in lines]
    if not pinyin:
        return out
    marked = {_TO_TRADITIONAL.convert(k): v for k, v in PINYIN.items()}
    labels = {_TO_TRADITIONAL.convert(w) for w in ("项目名称", "总分")}
    for label in labels:
        annotated = "".join(f"{ch}({marked[ch]})" if ch in marked else ch for ch in label)
        out = [line.replace(label, annotated) for line in out]
    return out


SHAPES: dict[str, Callable[[Table], list[str]]] = {
    "tabs": tabs, "spaced": spaced, "pipes": pipes, "cell_lines": cell_lines, "flattened": flattened,
}


def forms_text(tables: Sequence[Table], shape: str | Sequence[str], *, gap: str = "") -> str:
    """Several forms' tables as one file's text, each in its shape (one shape, or one per form)."""
    shapes = [shape] * len(tables) if isinstance(shape, str) else list(shape)
    blocks = ["\n".join(SHAPES[s](t)) for t, s in zip(tables, shapes, strict=True)]
    return f"\n{gap}\n".join(blocks) + "\n"
