"""Spreadsheets: .xlsx/.xlsm through openpyxl, .xls (the old binary format) through python-calamine.

Every sheet is read in order, every non-blank row a `Row` whose cells start at column A, so a
cell's address is exact: `where(col)` says `sheet 2022表 cell D7`, `page` is the sheet's number
and `line` its row number. A merged range's text stands in its top-left cell, the cells it
covers are blank; text wrapped inside a cell is joined. Numbers are shown as the sheet displays
them (`extractors.inputs.numfmt`): 0.9 in a `0.00%` cell is `90.00%`. Formulas give the value
the sheet last calculated. An .xls file carries no number formats through calamine, so its
numbers show in General format (`0.9`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile
from extractors.inputs.numfmt import display_value
from extractors.limits import check_sheet_cells
from extractors.text import clean_cell

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls, or an encrypted .xlsx, starts so


def text_of(value: object, fmt: str | None = None) -> str:
    """A cell as a form's cell: displayed, layout whitespace out."""
    if isinstance(value, str):
        return clean_cell(value)
    return clean_cell(display_value(value, fmt))


def sheet_rows(values: Iterable[list[str]], *, sheet: str, number: int, first_row: int = 1) -> list[Row]:
    """A sheet's displayed rows (from `first_row`) to rows on the grid, blank rows left out."""
    rows = []
    for offset, cells in enumerate(values):
        if any(cells):
            row_number = first_row + offset
            rows.append(Row(cells=cells, line=row_number, page=number, sheet=sheet, number=row_number))
    return rows


def _xlsx_sheet_values(ws: Any) -> Iterable[list[str]]:
    """openpyxl rows from A1; a cell a merged range covers is a `MergedCell` without a value."""
    check_sheet_cells(ws.max_row, ws.max_column, ws.title)
    for row in ws.iter_rows(min_row=1, min_col=1):
        yield [text_of(cell.value, cell.number_format) if cell.value is not None else "" for cell in row]


def read_xlsx_grid(path: Path) -> Grid:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    head = path.read_bytes()[:8]
    if head == OLE_MAGIC:  # an .xls renamed, or a workbook locked with a password
        return read_xls_grid(path)
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UnreadableFile(f"damaged or not an Excel workbook ({detail})", file=path.name) from None
    try:
        rows = [row for number, ws in enumerate(workbook.worksheets, start=1)
                for row in sheet_rows(_xlsx_sheet_values(ws), sheet=ws.title, number=number)]
        return Grid(file=path.name, kind="xlsx", rows=rows, pages=len(workbook.worksheets))
    finally:
        workbook.close()


def _blank_merged(values: list[list[Any]], ranges: Iterable[Any], first: tuple[int, int]) -> None:
    """Blank every cell a merged range covers other than its top-left one (values start at `first`)."""
    top, left = first
    for (r0, c0), (r1, c1) in ranges:
        for r in range(max(r0, top), r1 + 1):
            for c in range(max(c0, left), c1 + 1):
                if (r, c) != (r0, c0) and 0 <= r - top < len(values) and 0 <= c - left < len(values[r - top]):
                    values[r - top][c - left] = None


def _xls_sheet_values(sheet: Any) -> tuple[list[list[str]], int]:
    """calamine rows from A1 (with blanks before the used area) and the sheet row of the first."""
    check_sheet_cells(sheet.total_height, sheet.total_width, sheet.name)
    values = sheet.to_python(skip_empty_area=False)
    _blank_merged(values, sheet.merged_cell_ranges or [], (0, 0))
    return [[text_of(v) if v not in (None, "") else "" for v in row] for row in values], 1


def read_xls_grid(path: Path) -> Grid:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise UnreadableFile("encrypted workbook: save it without a password and drop it in again",
                             file=path.name) from None
    except (CalamineError, OSError, ValueError) as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UnreadableFile(f"damaged or not an Excel workbook ({detail})", file=path.name) from None
    try:
        rows = []
        for number, name in enumerate(workbook.sheet_names, start=1):
            values, first_row = _xls_sheet_values(workbook.get_sheet_by_name(name))
            rows += sheet_rows(values, sheet=name, number=number, first_row=first_row)
        return Grid(file=path.name, kind="xls", rows=rows, pages=len(workbook.sheet_names))
    except (CalamineError, ValueError) as exc:
        raise UnreadableFile(f"damaged Excel workbook ({str(exc)[:120]})", file=path.name) from None
    finally:
        workbook.close()
