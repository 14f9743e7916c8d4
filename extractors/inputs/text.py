"""Text dumps: UTF-8 (with or without BOM) or GB18030, cells split by tabs or runs of spaces,
or by commas in a .csv file."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import regex

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile
from extractors.text import clean_cell

ENCODINGS = ("utf-8-sig", "gb18030")
_SPACES = regex.compile(r"(?: |\u3000){2,}")
_CONTROL = regex.compile(r"[\x00-\x08\x0e-\x1f]")


def decode_text(data: bytes, *, file: str = "") -> str:
    """Bytes to text in the first encoding that decodes them cleanly."""
    if not data.strip():
        raise UnreadableFile("empty file", file=file)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _not_blank(data.decode("utf-16"), file)
    sample = data[:65536]
    if sample.count(0) or len(_CONTROL.findall(sample.decode("latin-1"))) > len(sample) // 100:
        raise UnreadableFile("binary content, not a text dump", file=file)
    for encoding in ENCODINGS:
        try:
            return _not_blank(data.decode(encoding), file)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("text in an unknown encoding (tried UTF-8 and GB18030)", file=file)


def _not_blank(text: str, file: str) -> str:
    """Full-width and non-breaking spaces are blank too."""
    if not text.strip():
        raise UnreadableFile("empty file (only blank lines)", file=file)
    return text


def lines_of(text: str) -> list[str]:
    """Lines split at line ends only (LF, CRLF, CR); a form feed or other break stays in its line."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _split_tabs(line: str) -> list[str]:
    return line.split("\t")


def text_to_rows(text: str) -> list[Row]:
    """One row per non-blank line; a cell keeps its column even when it is blank.

    A dump with tabs is split on tabs only (a run of spaces inside a cell is a wrap); one
    without is split on runs of two or more spaces.
    """
    split: Callable[[str], list[str]] = _split_tabs if "\t" in text else _SPACES.split
    rows = []
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            continue
        cells = split(line)
        if " " in line or "\u3000" in line or "\xa0" in line or "\r" in line or "\f" in line or "\v" in line:
            cells = [clean_cell(c) for c in cells]
        rows.append(Row(cells=cells, line=number))
    return rows


def csv_to_rows(text: str) -> list[Row]:
    """Comma-separated dumps (as spreadsheets export them), quoted cells and all."""
    rows = []
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            continue
        cells = next(csv.reader([line]), [])
        rows.append(Row(cells=[clean_cell(c) for c in cells], line=number))
    return rows


def read_text_grid(path: Path) -> Grid:
    data = path.read_bytes()
    return Grid(file=path.name, kind="text", rows=text_to_rows(decode_text(data, file=path.name)))


def read_csv_grid(path: Path) -> Grid:
    data = path.read_bytes()
    return Grid(file=path.name, kind="csv", rows=csv_to_rows(decode_text(data, file=path.name)))
