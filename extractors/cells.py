"""The cell model every input kind produces: a grid of rows that remember where they came from.

A text line, a pdfplumber table row, an OCR'd table row, a spreadsheet row and a web page's or
Word document's table row all become a `Row`: its cells' texts by column, plus where it stands.
`page` and `line` are a PDF's page and the row's place on it, or a text file's line; a
spreadsheet row keeps its sheet (`page` is the sheet's number, `line` its row number) and a
table row of a web page or Word document its table and row, so `where` can name the exact cell:
`sheet 2022表 cell D7`, `table 2 row 7 col 3`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[float, float, float, float]


def column_letters(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: a spreadsheet's name for a column."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(slots=True)
class Row:
    cells: list[str]
    line: int
    page: int = 0
    boxes: list[Box | None] | None = None
    confidence: list[float] | None = None
    sheet: str = ""       # a spreadsheet row: its sheet's name
    table: int = 0        # a web page's or Word document's table row: the table's number (1-based)
    number: int = 0       # the row's number in its sheet or table (1-based)
    first_col: int = 0    # the sheet's or table's column (0-based) of cells[0]

    def cell(self, col: int) -> str:
        return self.cells[col] if 0 <= col < len(self.cells) else ""

    def filled(self) -> list[tuple[int, str]]:
        """(column, text) of every non-blank cell."""
        return [(i, c) for i, c in enumerate(self.cells) if c]

    def text(self) -> str:
        return "".join(self.cells)

    def where(self, col: int | None = None) -> str:
        if self.sheet:
            if col is None:
                return f"sheet {self.sheet} row {self.number}"
            return f"sheet {self.sheet} cell {column_letters(self.first_col + col)}{self.number}"
        if self.table:
            place = f"table {self.table} row {self.number}"
            return place + (f" col {self.first_col + col + 1}" if col is not None else "")
        page = f"page {self.page} " if self.page else ""
        return f"{page}line {self.line}" + (f" col {col + 1}" if col is not None else "")


@dataclass(slots=True)
class Grid:
    """All rows of one file, in reading order."""

    file: str
    kind: str
    rows: list[Row] = field(default_factory=list)
    pages: int = 0
