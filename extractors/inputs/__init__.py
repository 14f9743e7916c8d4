"""Input kinds: one module per kind of file, each turning a file into a `Grid`.

`READERS` maps a file suffix to its reader; adding an input kind is adding a module that meets
the `Reader` contract and a line here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from extractors.cells import Grid
from extractors.exceptions import UnsupportedFile, as_file_error
from extractors.inputs import pdf, text
from extractors.inputs.docx import read_docx_grid
from extractors.inputs.html import read_html_grid
from extractors.inputs.image import read_image_grid
from extractors.inputs.office import read_office_grid
from extractors.inputs.sheet import read_xls_grid, read_xlsx_grid
from extractors.limits import check_file_size


class Reader(Protocol):
    def __call__(self, path: Path) -> Grid:
        """Read the file into a grid, or raise a `FileRejected` naming the reason."""
        ...


READERS: dict[str, Reader] = {
    ".txt": text.read_text_grid,
    ".tsv": text.read_text_grid,
    ".md": text.read_text_grid,  # pipe rows, as Markdown converters write tables
    ".csv": text.read_csv_grid,
    ".pdf": pdf.read_pdf_grid,
    ".png": read_image_grid,
    ".jpg": read_image_grid,
    ".jpeg": read_image_grid,
    ".tif": read_image_grid,  # office scanners write many pages to one TIFF
    ".tiff": read_image_grid,
    ".bmp": read_image_grid,
    ".html": read_html_grid,
    ".htm": read_html_grid,
    ".xlsx": read_xlsx_grid,
    ".xlsm": read_xlsx_grid,
    ".xls": read_xls_grid,
    ".docx": read_docx_grid,
    ".doc": read_office_grid,  # through LibreOffice, unless it is a web page or a .docx by another name
    ".rtf": read_office_grid,
    ".odt": read_office_grid,
    ".ods": read_office_grid,
}


def read_grid(path: Path) -> Grid:
    """Read any supported file into a grid."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        kinds = ", ".join(sorted(READERS))
        raise UnsupportedFile(f"unsupported file type {path.suffix or '(none)'!r}; selfeval reads {kinds}",
                              file=path.name)
    check_file_size(path)
    try:
        return reader(path)
    except Exception as exc:  # a library's failure on the file's bytes is a reason; our own bug stays one
        raise as_file_error(exc, file=path.name) from None
