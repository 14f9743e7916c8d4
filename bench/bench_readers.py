"""Seconds per file of each new reader against the bare library on the same files, in one run.

.venv/bin/python bench/bench_readers.py [--repeat N]

HTML (UTF-8 and GBK pages): read_html_grid vs lxml parse + table walk; XLSX: read_xlsx_grid vs
openpyxl load + cell read; XLS: read_xls_grid vs xlrd load (with formats) + cell read; both
workbooks also against python-calamine load + cell read, which gives no number formats (the
choice of library); DOCX: read_docx_grid vs python-docx load + table walk; unruled and
horizontally ruled PDFs: read_pdf_grid vs pdfplumber extract_words + extract_tables. Files are
the golden fixtures (7 forms each). Best of N; aim: every reader within 1.5x of its bare library.
The readers' caches (printed numbers) are emptied before each run, so every run reads the file
as a new one.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe  # noqa: E402
from extractors.inputs.docx import read_docx_grid  # noqa: E402
from extractors.inputs.html import read_html_grid  # noqa: E402
from extractors.inputs.numfmt import format_number  # noqa: E402
from extractors.inputs.pdf import read_pdf_grid  # noqa: E402
from extractors.inputs.sheet import read_xls_grid, read_xlsx_grid  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def bare_lxml(path: Path) -> None:
    import lxml.html

    root = lxml.html.document_fromstring(path.read_bytes())
    for table in root.iter("table"):
        for tr in table.iter("tr"):
            [td.text_content() for td in tr if td.tag in ("td", "th")]


def bare_openpyxl(path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            [(c.value, c.number_format) for c in row]


def bare_xlrd(path: Path) -> None:
    import io

    import xlrd

    book = xlrd.open_workbook(path, formatting_info=True, logfile=io.StringIO())
    for sheet in book.sheets():
        for r in range(sheet.nrows):
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                _ = cell.value, book.format_map[book.xf_list[cell.xf_index].format_key].format_str
        _ = sheet.merged_cells


def bare_calamine(path: Path) -> None:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        sheet = book.get_sheet_by_name(name)
        sheet.to_python(skip_empty_area=False)
        _ = sheet.merged_cell_ranges


def bare_docx(path: Path) -> None:
    import docx

    for table in docx.Document(str(path)).tables:
        for row in table.rows:
            [cell.text for cell in row.cells]


def bare_pdfplumber(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words()
            page.extract_tables()


def forget() -> None:
    """Empty the readers' caches, as for a new file."""
    format_number.cache_clear()


def fastest(fns: list[Callable[[Path], object]], path: Path, repeat: int) -> list[float]:
    """Each function's best time over `repeat` rounds; the functions take turns within a round,
    so a busy moment of the machine falls on the reader and its baselines alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, runs in zip(fns, times, strict=True):
            forget()
            start = time.perf_counter()
            fn(path)
            runs.append(time.perf_counter() - start)
    return [min(runs) for runs in times]


PAIRS = [
    ("html", FIXTURES / "html-utf8" / "seed.html", read_html_grid, [("lxml parse + table walk", bare_lxml)]),
    ("html gbk", FIXTURES / "html-gbk" / "seed-gbk.htm", read_html_grid, [("lxml parse + table walk", bare_lxml)]),
    ("xlsx", FIXTURES / "xlsx-sheets" / "seed-sheets.xlsx", read_xlsx_grid,
     [("openpyxl load + cell read", bare_openpyxl), ("calamine load + cell read", bare_calamine)]),
    ("xls", FIXTURES / "xls" / "seed-sheets.xls", read_xls_grid,
     [("xlrd load (formats) + cell read", bare_xlrd), ("calamine load + cell read", bare_calamine)]),
    ("docx", FIXTURES / "docx" / "seed.docx", read_docx_grid, [("python-docx load + table walk", bare_docx)]),
    ("pdf unruled", FIXTURES / "pdf-unruled" / "seed-unruled.pdf", read_pdf_grid,
     [("pdfplumber extract_words + extract_tables", bare_pdfplumber)]),
    ("pdf h-rules", FIXTURES / "pdf-hrules" / "seed-hrules.pdf", read_pdf_grid,
     [("pdfplumber extract_words + extract_tables", bare_pdfplumber)]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement, the fastest counts")
    args = parser.parse_args(argv)
    print("\n".join(describe(("lxml", "openpyxl", "xlrd", "python-calamine", "python-docx", "pdfplumber"))))
    for _, path, reader, bares in PAIRS:
        for fn in [reader] + [bare for _, bare in bares]:
            fn(path)  # imports out of the timing
    gc.collect()
    gc.freeze()  # as `selfeval run` does once its imports are done: no full collection walks the libraries
    print(f"seconds per file, best of {args.repeat} rounds taking turns; each reader against its bare library, "
          "same file, same run; imports frozen out of the collector")
    for kind, path, reader, bares in PAIRS:
        ours, *bases = fastest([reader] + [bare for _, bare in bares], path, args.repeat)
        for i, ((name, _), base) in enumerate(zip(bares, bases, strict=True)):
            ratio = ours / base
            aim = "" if i else ("aim ≤ 1.5×: met" if ratio <= 1.5 else "aim ≤ 1.5×: MISSED")
            print(f"  {kind:<12} reader {ours * 1000:8.1f} ms   {name:<42} {base * 1000:8.1f} ms   {ratio:5.2f}×  {aim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
