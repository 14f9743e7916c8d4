"""Gold-format forms to office attachments: XLSX workbooks (openpyxl) and DOCX documents (python-docx).

XLSX: each form's title and year are rows merged across the table's width, the table's merged
ranges are merged cells, amounts and scores are numbers with the number format that prints them
as the form does (`#,##0`, `0.00`), and 执行率 a number in `0.00%` (or, with
`SheetStyle(rate_as_text=True)`, the text `90.00%`). A sheet holds one form or several, one under
the other with blank rows between; `first_col` starts the forms further right.

DOCX: each form's title and year are paragraphs above a Word table whose merged ranges are
`gridSpan` (across) and `vMerge` (down) cells, as Word writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.material.layout import NATIONAL, Cell, Labels, Table, covered, form_to_table

SHEET_GAP = 2  # blank rows between two forms on one sheet


@dataclass(frozen=True)
class SheetStyle:
    """How forms are placed on sheets."""

    rate_as_text: bool = False     # 执行率 as the text "90.00%" rather than a formatted number
    first_col: int = 1             # the sheet column (1 = A) of the table's first column
    first_row: int = 1             # the sheet row of the first form's title

    def __post_init__(self) -> None:
        if not (1 <= self.first_col <= 20 and 1 <= self.first_row <= 50):
            raise ValueError(f"first_col={self.first_col}, first_row={self.first_row}: allowed 1–20 and 1–50")


def _put(ws: Any, row: int, col: int, value: Cell | str, style: SheetStyle) -> None:
    from openpyxl.styles import Alignment

    if not isinstance(value, Cell):
        return
    cell = ws.cell(row=row, column=col)
    if value.value is not None and not (style.rate_as_text and value.fmt.endswith("%")):
        cell.value = value.value
        cell.number_format = value.fmt
    else:
        cell.value = value.text
        cell.data_type = "s"  # `=12次` is text a person typed (as '=12次), not a formula
    cell.alignment = Alignment(horizontal="center" if value.centred else "left", vertical="center", wrap_text=True)


def table_to_sheet(ws: Any, table: Table, top: int, style: SheetStyle) -> int:
    """Write one laid-out form from sheet row `top`; returns the row after it."""
    left = style.first_col
    for line in table.heading:
        _put(ws, top, left, Cell(line, centred=True), style)
        ws.merge_cells(start_row=top, start_column=left, end_row=top, end_column=left + table.columns - 1)
        top += 1
    block = table.block
    hidden = covered(block)
    for r, row in enumerate(block.rows):
        for c, value in enumerate(row):
            if (c, r) not in hidden:
                _put(ws, top + r, left + c, value, style)
    for (a, b), (x, y) in block.spans:
        ws.merge_cells(start_row=top + b, start_column=left + a, end_row=top + y, end_column=left + x)
    return top + len(block.rows)


def sheets_to_xlsx(sheets: Sequence[tuple[str, Sequence[Table]]], path: str | Path, *,
                   style: SheetStyle | None = None) -> Path:
    """Write a workbook: each (sheet name, laid-out forms) a sheet, forms one under the other."""
    from openpyxl import Workbook

    style = style or SheetStyle()
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, tables in sheets:
        ws = workbook.create_sheet(name)
        top = style.first_row
        for table in tables:
            top = table_to_sheet(ws, table, top, style) + SHEET_GAP
    path = Path(path)
    workbook.save(path)
    return path


def forms_to_xlsx(forms: Sequence[Mapping[str, Any]], path: str | Path, *, per_sheet: int = 1,
                  style: SheetStyle | None = None, labels: Labels = NATIONAL) -> Path:
    """Write gold forms to a workbook, `per_sheet` forms on each sheet (sheets 表1, 表2, …)."""
    tables = [form_to_table(form, labels) for form in forms]
    sheets = [(f"表{i // per_sheet + 1}", tables[i:i + per_sheet]) for i in range(0, len(tables), per_sheet)]
    return sheets_to_xlsx(sheets, path, style=style)


def table_to_docx(document: Any, table: Table) -> None:
    """Append one laid-out form: heading paragraphs, then the Word table with its merges."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    for line in table.heading:
        document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.CENTER
    block = table.block
    word = document.add_table(rows=len(block.rows), cols=table.columns)
    word.style = "Table Grid"
    hidden = covered(block)
    for r, row in enumerate(block.rows):
        for c, value in enumerate(row):
            if isinstance(value, Cell) and (c, r) not in hidden:
                paragraph = word.cell(r, c).paragraphs[0]
                paragraph.add_run(value.text)
                if value.centred:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for (a, b), (x, y) in block.spans:
        word.cell(b, a).merge(word.cell(y, x))


def tables_to_docx(tables: Sequence[Table], path: str | Path) -> Path:
    """Write laid-out forms to one Word document, a page break between forms."""
    from docx import Document

    document = Document()
    for i, table in enumerate(tables):
        if i:
            document.add_page_break()
        table_to_docx(document, table)
    path = Path(path)
    document.save(str(path))
    return path


def forms_to_docx(forms: Sequence[Mapping[str, Any]], path: str | Path, *, labels: Labels = NATIONAL) -> Path:
    """Write gold forms to one Word document."""
    return tables_to_docx([form_to_table(form, labels) for form in forms], path)


def saved_by_libreoffice(source: Path, kind: str, folder: Path) -> Path:
    """`source` saved by LibreOffice into `folder` as `kind` (`doc:MS Word 97`, `odt`, `rtf`, `ods`), as
    a user of LibreOffice or WPS would save it."""
    import shutil
    import subprocess

    exe = shutil.which("soffice")
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is needed to write office files: scripts/system-packages.sh")
    subprocess.run([exe, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                    "--convert-to", kind, "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=120)
    return folder / f"{source.stem}.{kind.split(':')[0]}"


def docx_to_doc(docx: Path, doc: Path) -> Path:
    """A Word 97–2003 copy of a .docx, written by LibreOffice (as offices still send them)."""
    import shutil
    import tempfile

    from docx import Document

    with tempfile.TemporaryDirectory(prefix="selfeval-doc-") as folder:
        document = Document(str(docx))
        document.add_paragraph("")  # Word ends a body with a paragraph, never with a table
        docx = Path(folder) / docx.name
        document.save(str(docx))
        shutil.move(saved_by_libreoffice(docx, "doc:MS Word 97", Path(folder)), doc)
    return doc
