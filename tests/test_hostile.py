"""Hostile and odd files at reader level: each is read or rejected with a reason naming what it
is (and the limit it passed), in bounded memory; nothing ends as an internal error.

Each file is read by `read_grid` in a fresh process (`tests.material.probe`), so the peak resident
memory asserted is that file's own, imports included (about 90 MiB; 120 MiB with pypdfium2).
"""

from __future__ import annotations

import contextvars
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pytest

from extractors.exceptions import LimitExceeded, UnreadableFile, unwrapped
from extractors.inputs import READERS, read_grid
from tests.conftest import FIXTURES
from tests.material import bad
from tests.material.probe import probe_in_subprocess

SEED = FIXTURES / "seed" / "2022-shanghai-disabled-persons-federation.txt"
WQY = FIXTURES / "pdf-wqy" / "seed-wqy.pdf"
GiB = 1 << 30

# name, how to build it, the outcome, words its reason must hold, peak memory allowed (MiB).
# The figures in the comments are what each did before it was bounded.
REJECTED: list[tuple[str, Callable[[Path], Path], str, str, int]] = [
    # 9.2 GiB resident, then "internal error PdfiumError: Failed to fill bitmap rectangle"
    ("page-20000pt.pdf", bad.huge_page_pdf, "LimitExceeded",
     "page 1 is 20000×20000 pt, over the 5000 pt limit (SELFEVAL_MAX_PAGE_PT)", 300),
    # 5.4 GiB resident, 25 s, "no form found"
    ("bomb.pdf", bad.bomb_pdf, "LimitExceeded",
     "a compressed stream in the PDF inflates past the 64 MiB limit (SELFEVAL_MAX_STREAM_BYTES)", 300),
    # 16 MiB of operands: 110 s of parsing and 173 MiB when only the stream limit bounded it
    ("operands-16MiB.pdf", bad.operand_flood_pdf, "LimitExceeded",
     "page 1's drawing instructions are 16 MiB, over the 4 MiB limit (SELFEVAL_MAX_CONTENT_BYTES)", 300),
    # still running after 600 s
    ("pages-2000.pdf", bad.many_pages_pdf, "LimitExceeded",
     "the PDF has 2,000 pages, over the 1,000-page limit (SELFEVAL_MAX_PDF_PAGES)", 300),
    # rejected as "internal error DecompressionBombError"
    ("claims-1e9.png", lambda p: bad.png_claiming(p, 31_623, 31_623, rows=4), "LimitExceeded",
     "the image is 1,000,014,129 pixels, over the 80,000,000-pixel limit (SELFEVAL_MAX_IMAGE_PIXELS)", 300),
    ("side-20000.png", lambda p: bad.png_claiming(p, 20_000, 20_000), "LimitExceeded",
     "the image is 400,000,000 pixels, over the 80,000,000-pixel limit (SELFEVAL_MAX_IMAGE_PIXELS)", 300),
    ("side-10000.png", lambda p: bad.png_claiming(p, 10_000, 10_000), "LimitExceeded",
     "the image is 10,000×10,000 pixels, over the 80,000,000-pixel limit (SELFEVAL_MAX_IMAGE_PIXELS)", 300),
    # 3.3 GiB resident, 38 s
    ("text-200MB.txt", lambda p: bad.sparse_file(p, 200_000_000, SEED.read_bytes()), "LimitExceeded",
     "the file is 190.7 MiB, over the 64 MiB limit (SELFEVAL_MAX_TEXT_BYTES)", 300),
    ("page-100MB.html", lambda p: bad.sparse_file(p, 100 << 20, b"<html><body>"), "LimitExceeded",
     "the file is 100 MiB, over the 64 MiB limit (SELFEVAL_MAX_TEXT_BYTES)", 300),
    ("file-300MB.pdf", lambda p: bad.sparse_file(p, 300 << 20, WQY.read_bytes()), "LimitExceeded",
     "the file is 300 MiB, over the 256 MiB limit (SELFEVAL_MAX_FILE_BYTES)", 300),
    # still running after 120 s: openpyxl walks A1:XFD1048576
    ("sparse.xlsx", bad.sparse_xlsx, "LimitExceeded", "sheet 'Sheet' spans 1,048,576 rows × 16,384 columns, "
     "over the 2,000,000-cell limit (SELFEVAL_MAX_SHEET_CELLS)", 300),
    # 1.35 GiB and 4.9 s through calamine before .xls went through xlrd; xlrd pads every row at open
    ("sparse.xls", bad.sparse_xls, "LimitExceeded", "sheet '表1' spans 65,536 rows × 256 columns, "
     "over the 2,000,000-cell limit (SELFEVAL_MAX_SHEET_CELLS)", 400),
    ("unknown-filter.pdf", bad.unknown_filter_pdf, "UnreadableFile",
     "PDF page 1: damaged, or uses a feature pdfminer cannot read (PDFNotImplementedError", 300),
    ("encrypted.pdf", lambda p: bad.encrypted_pdf(bad_forms(), p), "UnreadableFile",
     "encrypted PDF: save it without a password", 300),
    ("truncated.pdf", lambda p: bad.truncated_pdf(WQY, p), "UnreadableFile", "damaged PDF", 300),
]


def bad_forms() -> list[dict]:
    from tests.material import load_gold_forms

    return load_gold_forms()[:1]


@pytest.mark.parametrize(("name", "build", "outcome", "reason", "peak_mib"), REJECTED, ids=[r[0] for r in REJECTED])
def test_a_hostile_file_is_rejected_naming_why_in_bounded_memory(tmp_path, name, build, outcome, reason, peak_mib):
    result = probe_in_subprocess(build(tmp_path / name))
    assert (result["outcome"], result["file"]) == (outcome, name), result
    assert reason in result["reason"]
    assert result["peak_mib"] < peak_mib, result


def test_a_zip_bomb_workbook_is_rejected_by_its_directory_before_it_is_unzipped(tmp_path):
    """300 MiB of padding took 406 MiB to read; the limit is lowered here so the bomb stays small."""
    env = {**os.environ, "SELFEVAL_MAX_UNZIPPED_BYTES": "16M"}
    result = probe_in_subprocess(bad.zip_bomb_xlsx(tmp_path / "bomb.xlsx", padding=32 << 20), env=env)
    assert (result["outcome"], result["reason"]) == (
        "LimitExceeded", "the file's zipped parts unzip to 32 MiB, over the 16 MiB limit (SELFEVAL_MAX_UNZIPPED_BYTES)")
    assert result["peak_mib"] < 200, result


# Files a reader gets through: the loops end, the nesting is parsed (each page has a line of text,
# so only the blank scan is rendered and recognised, and only it loads the OCR engine).
READ: list[tuple[str, Callable[[Path], Path], int, int, int]] = [
    ("xobject-loop.pdf", bad.xobject_loop_pdf, 1, 2, 300),  # its line, and the XObject's drawn once
    ("page-tree-loop.pdf", bad.page_tree_loop_pdf, 1, 1, 300),  # the one page, once
    ("nested-100000.pdf", bad.deep_nesting_pdf, 1, 1, 300),  # the line after the nesting
    ("blank-scan-20.pdf", bad.blank_scan_pdf, 20, 0, 1500),  # the OCR engine alone takes ~700 MiB
]


@pytest.mark.parametrize(("name", "build", "pages", "rows", "peak_mib"), READ, ids=[r[0] for r in READ])
def test_a_looping_nested_or_blank_pdf_is_read_to_its_real_pages(tmp_path, name, build, pages, rows, peak_mib):
    result = probe_in_subprocess(build(tmp_path / name))
    assert (result["outcome"], result["pages"], result["rows"]) == ("read", pages, rows), result
    assert result["peak_mib"] < peak_mib, result


# -- limits changed through the environment, in process --------------------------------------------

def test_a_smaller_page_limit_rejects_a_short_pdf_naming_its_count(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFEVAL_MAX_PDF_PAGES", "5")
    with pytest.raises(LimitExceeded) as info:
        read_grid(bad.many_pages_pdf(tmp_path / "six.pdf", pages=6))
    assert info.value.reason == "the PDF has 6 pages, over the 5-page limit (SELFEVAL_MAX_PDF_PAGES)"
    assert info.value.limit == "SELFEVAL_MAX_PDF_PAGES" and info.value.file == "six.pdf"
    monkeypatch.setenv("SELFEVAL_MAX_PDF_PAGES", "6")
    assert read_grid(tmp_path / "six.pdf").pages == 6


def test_a_page_tree_that_lies_about_its_count_is_counted_by_walking_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFEVAL_MAX_PDF_PAGES", "5")
    data = bad.many_pages_pdf(tmp_path / "lying.pdf", pages=7).read_bytes().replace(b"/Count 7", b"/Count 1")
    (tmp_path / "lying.pdf").write_bytes(data)
    with pytest.raises(LimitExceeded, match="the PDF has more than 5 pages, over the 5-page limit"):
        read_grid(tmp_path / "lying.pdf")


def test_a_scanned_page_over_the_pixel_limit_is_not_rendered(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFEVAL_MAX_PAGE_PIXELS", "2000000")
    monkeypatch.setattr("extractors.ocr.recognise_pages", lambda *a, **k: pytest.fail("rendered"))
    with pytest.raises(LimitExceeded) as info:
        read_grid(bad.blank_scan_pdf(tmp_path / "a4.pdf", pages=1))
    assert info.value.reason == ("page 1 is 1,653×2,339 pixels at 200 dpi, over the 2,000,000-pixel limit "
                                 "(SELFEVAL_MAX_PAGE_PIXELS)")


def test_every_stream_of_a_file_counts_against_the_decoded_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFEVAL_MAX_STREAM_BYTES", "1M")
    monkeypatch.setenv("SELFEVAL_MAX_DECODED_BYTES", "2M")
    content = zlib.compress(b"%" + b" " * (900 << 10) + b"\n" + bad.TEXT)  # 0.9 MiB, most of it a comment
    assert read_grid(pages_of(tmp_path / "one.pdf", [content])).pages == 1  # under both limits
    with pytest.raises(LimitExceeded, match=r"together inflate past the 2 MiB limit \(SELFEVAL_MAX_DECODED_BYTES\)"):
        read_grid(pages_of(tmp_path / "three.pdf", [content] * 3))


def pages_of(path: Path, contents: list[bytes]) -> Path:
    """A PDF of one page per flate-compressed content stream."""
    count = len(contents)
    kids = b" ".join(b"%d 0 R" % (3 + n) for n in range(count))
    return bad.raw_pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
          % (bad.HELVETICA, 3 + count + n) for n in range(count)],
        *[bad.stream(data, b"/Filter /FlateDecode") for data in contents]])


# -- a library's failure is a reason; our own bug stays a bug ---------------------------------------

def test_a_bug_in_our_own_code_is_not_passed_off_as_a_damaged_file(monkeypatch):
    def broken(page, number, **kwargs):
        return {}["no such key"]

    monkeypatch.setattr("extractors.inputs.pdf.page_to_rows", broken)
    with pytest.raises(KeyError):
        read_grid(WQY)


def test_a_library_failing_on_the_bytes_is_an_unreadable_file_naming_the_library(tmp_path):
    with pytest.raises(UnreadableFile) as info:
        read_grid(bad.unknown_filter_pdf(tmp_path / "filter.pdf"))
    assert info.value.reason.startswith("PDF page 1: damaged, or uses a feature pdfminer cannot read")
    assert "NoSuchDecode" in info.value.reason and info.value.file == "filter.pdf"


@pytest.mark.parametrize("suffix", sorted(READERS))
def test_a_zero_byte_file_of_any_kind_is_unreadable_as_empty(tmp_path, suffix):
    path = tmp_path / f"zero{suffix}"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFile) as info:
        read_grid(path)
    assert (info.value.reason, info.value.file) == ("empty file (0 bytes)", path.name)


def test_pdfplumber_used_outside_a_read_is_bounded_per_stream_and_never_adds_up(tmp_path, monkeypatch):
    monkeypatch.setenv("SELFEVAL_MAX_STREAM_BYTES", "1M")
    monkeypatch.setenv("SELFEVAL_MAX_DECODED_BYTES", "1M")
    page = pages_of(tmp_path / "one.pdf", [zlib.compress(b"%" + b" " * (900 << 10) + b"\n" + bad.TEXT)])
    bomb = pages_of(tmp_path / "bomb.pdf", [bad.zlib_bomb(2 << 20)])
    fresh = contextvars.Context()  # no read_pdf_grid has started a file's count in it
    assert [fresh.run(chars_on_page_one, page) for _ in range(3)] == [len(bad.LINE)] * 3  # 2.7 MiB in all
    with pytest.raises(Exception) as info:
        fresh.run(chars_on_page_one, bomb)
    assert isinstance(unwrapped(info.value), LimitExceeded)
    assert "SELFEVAL_MAX_STREAM_BYTES" in unwrapped(info.value).reason


def chars_on_page_one(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages[0].chars)
