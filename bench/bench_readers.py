"""Seconds per file of each new reader against the bare library on the same files, in one run.

.venv/bin/python bench/bench_readers.py [--repeat N]

HTML: read_html_grid vs lxml parse + table walk; XLSX: read_xlsx_grid vs openpyxl load + cell
read (and python-calamine load + cell read, for the choice of library); XLS: read_xls_grid vs
calamine; DOCX: read_docx_grid vs python-docx load + table walk; unruled and horizontally ruled
PDFs: read_pdf_grid vs pdfplumber extract_words + extract_tables. Files are the golden fixtures
(7 forms each). Best of N; aim: every reader within 1.5x of its bare library.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe  # noqa: E402
from extractors.inputs.docx import read_docx_grid  # noqa: E402
from extractors.inputs.html import read_html_grid  # noqa: E402
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


def best(fn: Callable[[Path], object], path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - start)
    return min(times)


PAIRS = [
    ("html", FIXTURES / "html-utf8" / "seed.html", read_html_grid, [("lxml parse + table walk", bare_lxml)]),
    ("xlsx", FIXTURES / "xlsx-sheets" / "seed-sheets.xlsx", read_xlsx_grid,
     [("openpyxl load + cell read", bare_openpyxl), ("calamine load + cell read", bare_calamine)]),
    ("xls", FIXTURES / "xls" / "seed-sheets.xls", read_xls_grid, [("calamine load + cell read", bare_calamine)]),
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
    print("\n".join(describe(("lxml", "openpyxl", "python-calamine", "python-docx", "pdfplumber"))))
    print(f"seconds per file, best of {args.repeat}; each reader against its bare library, same file, same run")
    missed = 0
    for kind, path, reader, bares in PAIRS:
        reader(path)  # imports and caches out of the timing
        for _, bare in bares:
            bare(path)
        ours = best(reader, path, args.repeat)
        for i, (name, bare) in enumerate(bares):
            base = best(bare, path, args.repeat)
            ratio = ours / base
            aim = "" if i else ("aim ≤ 1.5×: met" if ratio <= 1.5 else "aim ≤ 1.5×: MISSED")
            missed += bool(aim.endswith("MISSED"))
            print(f"  {kind:<12} reader {ours * 1000:8.1f} ms   {name:<42} {base * 1000:8.1f} ms   {ratio:5.2f}×  {aim}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
