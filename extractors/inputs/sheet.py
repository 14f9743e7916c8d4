"""Spreadsheets: .xlsx/.xlsm through openpyxl, .xls (the old binary format) through xlrd.

Every sheet is read in order, every non-blank row a `Row` whose cells start at column A, so a
cell's address is exact: `where(col)` says `sheet 2022表 cell D7`, `page` is the sheet's number
and `line` its row number. A merged range's text stands in its top-left cell, the cells it
covers are blank; text wrapped inside a cell is joined. Numbers are shown as the sheet displays
them (`extractors.inputs.numfmt`), in both formats: 0.9 in a `0.00%` cell is `90.00%`, 27000
in `#,##0` is `27,000` (xlrd reads an .xls file's number formats with `formatting_info=True`).
Formulas give the value the sheet last calculated; dates show as 2022-12-31.

A file named .xls that is another kind is read as what it is: an .xlsx renamed, or a web page
(what many sites' "export to Excel" writes); an Excel 2003 XML spreadsheet is refused saying
what to do.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile, UnsupportedFile
from extractors.inputs.html import is_markup
from extractors.inputs.numfmt import display_value
from extractors.limits import check_sheet_cells
from extractors.text import clean_cell

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an .xls, or an encrypted .xlsx, starts so
ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx starts so
# An .xlsx locked with a password is an OLE file holding a stream of this name (no Workbook stream)
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
ENCRYPTED = "encrypted workbook: save it without a password and drop it in again"
# xlrd's cell types (xlrd.XL_CELL_*), here so that reading a cell needs no attribute look-up
XL_EMPTY, XL_TEXT, XL_NUMBER, XL_DATE, XL_BOOLEAN, XL_ERROR, XL_BLANK = range(7)


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

    data = path.read_bytes()
    if data[:8] == OLE_MAGIC:  # an .xls renamed, or a workbook locked with a password
        return read_xls_grid(path)
    try:  # from the bytes, not the name: openpyxl refuses a workbook whose name does not end .xlsx
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UnreadableFile(f"damaged or not an Excel workbook ({detail})", file=path.name) from None
    try:
        rows = [row for number, ws in enumerate(workbook.worksheets, start=1)
                for row in sheet_rows(_xlsx_sheet_values(ws), sheet=ws.title, number=number)]
        return Grid(file=path.name, kind="xlsx", rows=rows, pages=len(workbook.worksheets))
    finally:
        workbook.close()


def _blank_merged(values: list[list[str]], ranges: Iterable[tuple[int, int, int, int]]) -> None:
    """Blank every cell a merged range (rows r0..r1-1, columns c0..c1-1, from A1) covers other
    than its top-left one, as far as the values reach."""
    for r0, r1, c0, c1 in ranges:
        for r in range(r0, min(r1, len(values))):
            row = values[r]
            for c in range(c0 + (r == r0), min(c1, len(row))):
                row[c] = ""


def _xls_formats(book: Any) -> list[str]:
    """Each cell style (XF) index's number format, as a format string: `0.00%`, `#,##0`."""
    formats = book.format_map
    return [formats[xf.format_key].format_str if xf.format_key in formats else "" for xf in book.xf_list]


def _xls_number_text(ctype: int, value: float, fmt: str | None, datemode: int) -> str:
    """An .xls number, date, truth value or error as the sheet shows it."""
    import xlrd

    if ctype == XL_NUMBER:
        return text_of(value, fmt)
    if ctype == XL_DATE:
        try:
            return text_of(xlrd.xldate_as_datetime(value, datemode))
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return text_of(value)  # a date format on a number no calendar holds: General
    if ctype == XL_BOOLEAN:
        return text_of(bool(value))
    if ctype == XL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return ""


def _xls_sheet_values(sheet: Any, formats: list[str], datemode: int) -> list[list[str]]:
    """xlrd rows from A1 (blanks before the used area included) as displayed, merged cells blank."""
    check_sheet_cells(sheet.nrows, sheet.ncols, sheet.name)
    values = []
    for r in range(sheet.nrows):
        line = []
        for c, (ctype, value) in enumerate(zip(sheet.row_types(r), sheet.row_values(r), strict=True)):
            if ctype == XL_TEXT:
                line.append(clean_cell(value))
            elif ctype in (XL_EMPTY, XL_BLANK):
                line.append("")
            else:
                style = sheet.cell_xf_index(r, c)
                line.append(_xls_number_text(ctype, value, formats[style] if 0 <= style < len(formats) else None,
                                             datemode))
        values.append(line)
    _blank_merged(values, sheet.merged_cells)
    return values


def _xls_damaged() -> tuple[type[BaseException], ...]:
    """What xlrd raises on a damaged file: its own errors, and the struct, index and decoding
    errors of records cut short or overwritten."""
    import struct

    import xlrd
    from xlrd.compdoc import CompDocError

    return (xlrd.XLRDError, CompDocError, struct.error, IndexError, KeyError, ValueError, AssertionError,
            OverflowError, EOFError, TypeError)


def read_xls_grid(path: Path) -> Grid:
    import xlrd

    data = path.read_bytes()
    if data[:4] == ZIP_MAGIC:  # an .xlsx renamed .xls
        return read_xlsx_grid(path)
    if data[:8] != OLE_MAGIC and is_markup(data):
        return _read_markup_xls(path, data)
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=io.StringIO(),
                                  ignore_workbook_corruption=True)
        formats = _xls_formats(book)
        rows = []
        for number, sheet in enumerate(book.sheets(), start=1):
            rows += sheet_rows(_xls_sheet_values(sheet, formats, book.datemode), sheet=sheet.name, number=number)
        return Grid(file=path.name, kind="xls", rows=rows, pages=book.nsheets)
    except _xls_damaged() as exc:
        if isinstance(exc, xlrd.XLRDError) and ("encrypted" in str(exc).lower() or ENCRYPTED_PACKAGE in data):
            raise UnreadableFile(ENCRYPTED, file=path.name) from None  # FILEPASS, or a locked .xlsx
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise UnreadableFile(f"damaged or not an Excel workbook ({detail})", file=path.name) from None


def _read_markup_xls(path: Path, data: bytes) -> Grid:
    """An .xls that is markup: a web page (what many sites' "export to Excel" writes) is read as
    one; an Excel 2003 XML spreadsheet is refused with what to do."""
    head = data[:4096].lower()
    if b"<workbook" in head and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise UnsupportedFile("an Excel 2003 XML spreadsheet named .xls: open it in Excel or WPS, save it as "
                              ".xlsx, and drop it in again", file=path.name)
    from extractors.inputs.html import read_html_grid

    return read_html_grid(path)
