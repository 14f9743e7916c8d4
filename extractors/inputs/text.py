"""Text dumps: UTF-8, GB18030/GBK, UTF-16 (with or without BOM) or Big5, in any of the shapes
copied forms take (tabs, runs of spaces, pipe rows, one cell a line, flattened), or read as CSV
from a .csv file."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import regex

from extractors.cells import Grid, Row
from extractors.exceptions import UnreadableFile
from extractors.limits import read_text_bytes
from extractors.shapes import lines_to_rows
from extractors.text import clean_cell

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BOM_STARTS = {bom[0] for bom, _ in BOMS}
# What charset-normalizer may name that we read; any other encoding is named in the reason.
READABLE = {"utf_8", "utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be",
            "gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950"}
MAX_CELL_LINES = 50  # a quoted CSV cell spanning more lines than this lacks its closing quote
READS = "UTF-8, UTF-16, GB18030/GBK and Big5"
SAMPLE_BYTES = 65536
GB_SAMPLE_CHARS = 4096
MIN_GB2312_SHARE = 0.9  # GB18030 text is taken as it decodes when this share of its Chinese is GB2312
_CONTROL = regex.compile(r"[\x00-\x08\x0e-\x1f]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0e, 0x20)])


def decode_text(data: bytes, *, file: str = "") -> str:
    """Bytes to text: a BOM's encoding, else UTF-8, else simplified-Chinese GB18030 (the fast paths),
    else what charset-normalizer detects (UTF-16 without BOM, Big5, …), if it is one we read."""
    if not data.strip():
        raise UnreadableFile("empty file", file=file)
    encoding = next((name for bom, name in BOMS if data.startswith(bom)), "") if data[0] in _BOM_STARTS else ""
    sample = data[:SAMPLE_BYTES]
    zeros = sample.count(0)
    if not encoding and zeros and _utf16_zeros(sample):
        encoding = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
    if not encoding:
        if zeros or _control_byte_share(sample) > 0.01:
            raise UnreadableFile("binary content, not a text dump", file=file)
        text = _utf8_or_gb(data)
        if text is not None:
            return _not_blank(text, file)
        encoding = _detected_encoding(data, file)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not valid {encoding} text (byte {exc.start:,})", file=file) from None
    if _control_share(text[:SAMPLE_BYTES]) > 0.01:
        raise UnreadableFile(f"binary content, not a text dump (as {encoding} it is control characters)", file=file)
    return _not_blank(text, file)


def _control_share(text: str) -> float:
    return len(_CONTROL.findall(text)) / max(1, len(text))


def _control_byte_share(sample: bytes) -> float:
    """`_control_share` of the bytes read as Latin-1 (a character a byte), counted without decoding."""
    return (len(sample) - len(sample.translate(None, _CONTROL_BYTES))) / max(1, len(sample))


def _utf16_zeros(sample: bytes) -> bool:
    """UTF-16 without a BOM: zero bytes (the high byte of ASCII) nearly all on one side of each pair."""
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return even + odd > len(sample) // 50 and max(even, odd) >= 0.95 * (even + odd)


def _utf8_or_gb(data: bytes) -> str | None:
    """The fast paths: strict UTF-8, or GB18030 whose Chinese is (nearly all) in GB2312."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    sample = text[:GB_SAMPLE_CHARS]
    ascii_count = len(sample.encode("ascii", "ignore"))
    wide = len(sample) - ascii_count
    common = (len(sample.encode("gb2312", "ignore")) - ascii_count) / 2
    return text if common >= MIN_GB2312_SHARE * wide else None


def _detected_encoding(data: bytes, file: str) -> str:
    """charset-normalizer's guess, if it is an encoding we read; otherwise the reason names it."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile(f"text in an unknown encoding (selfeval reads {READS})", file=file)
    if best.encoding not in READABLE:
        language = f", {best.language}" if best.language and best.language != "Unknown" else ""
        raise UnreadableFile(f"text in an encoding selfeval cannot read: it looks like {best.encoding}{language}; "
                             f"save it as UTF-8 (selfeval reads {READS})", file=file)
    return best.encoding


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


def csv_to_rows(text: str, *, max_cell_lines: int = MAX_CELL_LINES) -> list[Row]:
    """Comma-separated dumps as spreadsheets export them: a quoted cell may hold commas, doubled
    quotes and line breaks (Excel's Alt+Enter); a row's line is the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, start = [], 1
    try:
        for cells in reader:
            if reader.line_num - start >= max_cell_lines:
                raise UnreadableFile(f"CSV line {start}: a quoted cell runs over {max_cell_lines} lines; "
                                     "is its closing quote missing?")
            if len(cells) > 1 or (cells and cells[0].strip()):
                rows.append(Row(cells=[clean_cell(c) for c in cells], line=start))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UnreadableFile(f"CSV line {reader.line_num}: {exc}") from None
    return rows


def read_text_grid(path: Path) -> Grid:
    data = read_text_bytes(path)
    return Grid(file=path.name, kind="text", rows=text_to_rows(decode_text(data, file=path.name)))


def read_csv_grid(path: Path) -> Grid:
    data = read_text_bytes(path)
    return Grid(file=path.name, kind="csv", rows=csv_to_rows(decode_text(data, file=path.name)))
