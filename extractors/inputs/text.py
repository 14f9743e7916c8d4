"""Text dumps: UTF-8 (with or without BOM) or GB18030, in any of the shapes copied forms take
(tabs, runs of spaces, pipe rows, one cell a line, flattened), or comma-separated in a .csv file."""

from __future__ import annotations

import csv
from pathlib import Path

import regex

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile
from extractors.shapes import lines_to_rows
from extractors.text import clean_cell

ENCODINGS = ("utf-8-sig", "gb18030")
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


def text_to_rows(text: str) -> list[Row]:
    """One row per table row, the shape read block by block (`extractors.shapes`): tab rows, spaced
    rows, pipe rows, one cell a line, flattened copies; a row keeps its line in the file."""
    return lines_to_rows(lines_of(text))


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
