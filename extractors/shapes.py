"""Text lines to rows of cells, the shape read block by block, not once per file.

A copied form arrives in one of several shapes, and one file may change shape between forms:

- tab rows: cells parted by tabs, blank cells kept (a copy from Excel or WPS);
- spaced rows: cells parted by runs of two or more spaces, blank cells gone (PDF viewers, OCR);
- pipe rows: `| 项目名称 | 某某经费 | |` (web pages saved as text, Markdown), a row broken over
  two lines where a cell held a line break, `|---|` rules skipped;
- one cell a line: every cell on its own line (Word paragraphs, some HTML-to-text tools);
- flattened: a whole form on one or two long lines (document-sharing sites, PDF text copied in
  reading order).

Lines of the first three shapes are rows as they stand. A run of one-cell lines that holds a
form's labels, and flattened lines, are a stream of cells with no rows left: `extractors.flattened`
rebuilds their rows from the labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from extractors.catalog import Catalog, load_catalog
from extractors.cells import Row
from extractors.flattened import Token, tokens_to_rows
from extractors.text import clean_cell

SPACES = regex.compile(r"(?: |\u3000|\u00a0){2,}")
PIPE_RULE = regex.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
FLAT_MIN_LENGTH = 80  # a flattened form is longer than any table row
FLAT_MIN_LABELS = 4  # distinct row labels a flattened line holds (项目名称, 主管部门, 年度资金总额, 总分, …)
STREAM_MIN_LABELS = 3  # label lines a run of one-cell lines holds to be read as a stream of cells
PIPES = "|｜"


@dataclass(slots=True)
class Line:
    number: int
    text: str


def split_pipes(text: str) -> list[str]:
    """`| a | b \\| c |` -> ['a', 'b | c']: the outer bars dropped, escaped bars kept in their cell."""
    body = text.strip()
    if body[:1] in PIPES:
        body = body[1:]
    if body[-1:] in PIPES and not body.endswith("\\|"):
        body = body[:-1]
    cells = regex.split(r"(?<!\\)[|｜]", body)
    return [clean_cell(c.replace("\\|", "|")) for c in cells]


def split_tabs(text: str) -> list[str]:
    cells = text.split("\t")
    wide = " " in text or "\u3000" in text or "\xa0" in text or "\r" in text or "\f" in text or "\v" in text
    return [clean_cell(c) for c in cells] if wide else cells


def split_spaces(text: str) -> list[str]:
    return [clean_cell(c) for c in SPACES.split(text.strip())]


def is_pipe_line(text: str) -> bool:
    body = text.lstrip()
    return body[:1] in PIPES and any(p in body[1:] for p in PIPES)


def is_flat_line(text: str, catalog: Catalog) -> bool:
    """A whole form on a line: long, and holding several of a form's row labels."""
    return len(text) >= FLAT_MIN_LENGTH and catalog.labels_in(text) >= FLAT_MIN_LABELS


def _pipe_row(lines: list[Line], i: int) -> tuple[Row, int]:
    """A pipe row from line i, joined with the lines it was broken over; and the next line's index."""
    text, j = lines[i].text.rstrip(), i
    while not text.endswith(tuple(PIPES)) and j + 1 < len(lines) and lines[j + 1].text.strip():
        j += 1
        text += "\n" + lines[j].text.rstrip()
    return Row(cells=split_pipes(text), line=lines[i].number), j + 1


def _cell_run(lines: list[Line], i: int, catalog: Catalog) -> int:
    """The end of the run of one-cell lines from line i (blank lines inside it allowed)."""
    j = i
    while j < len(lines) and (not lines[j].text.strip() or _one_cell(lines[j].text, catalog)):
        j += 1
    return j


def _one_cell(text: str, catalog: Catalog) -> bool:
    return "\t" not in text and not is_pipe_line(text) and not SPACES.search(text.strip()) \
        and not is_flat_line(text, catalog)


def _tokens(lines: list[Line]) -> list[Token]:
    return [Token(clean_cell(line.text), line.number) for line in lines if line.text.strip()]


def _flat_tokens(lines: list[Line]) -> list[Token]:
    return [Token(part, line.number) for line in lines for part in line.text.split() if part]


def _rows(lines: list[Line], catalog: Catalog) -> Iterator[Row]:
    i = 0
    while i < len(lines):
        line = lines[i]
        text = line.text
        if not text.strip():
            i += 1
        elif "\t" in text:
            yield Row(split_tabs(text), line.number)
            i += 1
        elif PIPE_RULE.match(text.strip()):
            i += 1
        elif is_pipe_line(text):
            row, i = _pipe_row(lines, i)
            yield row
        elif is_flat_line(text, catalog):
            j = i + 1
            while j < len(lines) and (not lines[j].text.strip() or is_flat_line(lines[j].text, catalog)
                                      or _continues_flat(lines, j, catalog)):
                j += 1
            yield from tokens_to_rows(_flat_tokens(lines[i:j]), catalog)
            i = j
        else:
            j = _cell_run(lines, i, catalog)
            run = lines[i:j]
            if sum(1 for r in run if r.text.strip() and catalog.is_row_label(r.text.strip())) >= STREAM_MIN_LABELS:
                yield from tokens_to_rows(_tokens(run), catalog)
                i = j
            else:
                spaced = bool(SPACES.search(text.strip()))
                yield Row(cells=split_spaces(text) if spaced else [clean_cell(text)], line=line.number, packed=spaced)
                i += 1


def _continues_flat(lines: list[Line], j: int, catalog: Catalog) -> bool:
    """The second line of a two-line flattened copy: long, holding labels or taxonomy names of its own."""
    text = lines[j].text
    return len(text) >= FLAT_MIN_LENGTH and "\t" not in text and not is_pipe_line(text) \
        and catalog.words_in(text) >= FLAT_MIN_LABELS


def lines_to_rows(texts: list[str], catalog: Catalog | None = None) -> list[Row]:
    """One row per table row, whatever shape each block of lines has; rows keep their file line."""
    filled = [(n, t) for n, t in enumerate(texts, start=1) if t and not t.isspace()]
    if all("\t" in t for _, t in filled):  # a tab dump throughout: rows as they stand
        return [Row(split_tabs(t), n) for n, t in filled]  # (cells, line): the commonest shape, read fastest
    lines = [Line(n, t) for n, t in enumerate(texts, start=1)]
    return list(_rows(lines, catalog or load_catalog()))
