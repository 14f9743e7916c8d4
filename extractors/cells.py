"""The cell model every input kind produces: a grid of rows that remember where they came from.

A text line, a pdfplumber table row and an OCR'd table row all become a `Row`: its cells'
texts by column, plus the page, the line (or table row) and, where the input has them, each
cell's box and recognition confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[float, float, float, float]


@dataclass(slots=True)
class Row:
    cells: list[str]
    line: int
    page: int = 0
    boxes: list[Box | None] | None = None
    confidence: list[float] | None = None

    def cell(self, col: int) -> str:
        return self.cells[col] if 0 <= col < len(self.cells) else ""

    def filled(self) -> list[tuple[int, str]]:
        """(column, text) of every non-blank cell."""
        return [(i, c) for i, c in enumerate(self.cells) if c]

    def text(self) -> str:
        return "".join(self.cells)

    def where(self, col: int | None = None) -> str:
        page = f"page {self.page} " if self.page else ""
        return f"{page}line {self.line}" + (f" col {col + 1}" if col is not None else "")


@dataclass(slots=True)
class Grid:
    """All rows of one file, in reading order."""

    file: str
    kind: str
    rows: list[Row] = field(default_factory=list)
    pages: int = 0
