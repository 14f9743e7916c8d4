"""Cutting a grid into one segment per form.

A form starts at its title, 财政项目支出绩效自评表, found even when damaged (a wrong or missing
character, the year on the same line, full-width brackets) by a fuzzy match on the whole line,
and confirmed by a 项目名称 row soon after, so a sentence that mentions the title is not a form.
It ends at its 总分 row. Page numbers inside a form are dropped; cover pages and notes between
forms belong to no segment. A 项目名称 row after a 总分 with no title of its own also starts a
form, its title lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from extractors.cells import Row
from extractors.exceptions import ValueParseError
from extractors.family import Family
from extractors.numbers import parse_year

SENTENCE_MARKS = frozenset("，。；！？、")
TITLE_LINE_SLACK = 24  # what a title line may carry that the strip patterns remove (附件, year, brackets)
PAGE_FURNITURE_MAX = 24  # no page number or running line is longer
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Segment:
    ordinal: int
    rows: list[Row]
    year: int | None = None
    title_line: int = 0
    notes: list[str] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)  # the title and year lines' text


def _title_line_max(family: Family) -> int:
    """The longest line that may still be a title: the title, its extras, a year and brackets."""
    title = family.spec.title
    return len(title.text) + title.max_extra + TITLE_LINE_SLACK


def is_title_text(text: str, family: Family) -> bool:
    """Whether a line's text is the form title, damaged or not."""
    title = family.spec.title
    if not text or len(text) > _title_line_max(family):
        return False
    stripped = text
    for pattern in family.title_strip:
        stripped = pattern.sub("", stripped)
    if len(stripped) > len(title.text) + title.max_extra or SENTENCE_MARKS.intersection(stripped):
        return False
    score = fuzz.ratio(stripped, title.text)
    # A sibling table (绩效目标表, 绩效评价表, …) is one character away too: it must be nearer the title.
    return score >= title.cutoff and all(fuzz.ratio(stripped, other) < score for other in title.not_titles)


def is_title_row(row: Row, family: Family) -> bool:
    """A row that holds only a title: one or two cells, or a letter-spaced title cut into many."""
    text = row.text()
    if not text or len(text) > _title_line_max(family):  # before splitting the row into cells
        return False
    filled = row.filled()
    if len(filled) > 2 and any(len(cell) > 2 for _, cell in filled):
        return False
    return is_title_text(text, family)


def is_page_furniture(row: Row, family: Family) -> bool:
    """A page number or running line, not part of the form; a row of several numbers is never one."""
    text = row.text()
    if len(text) > PAGE_FURNITURE_MAX:
        return False
    filled = row.filled()
    return len(filled) == 1 and family.is_skipped_line(filled[0][1])


def first_label(row: Row, family: Family, group: str = "labels") -> str | None:
    """The label the row's first filled cell is, if any."""
    text = next((c for c in row.cells if c), "")
    return family.match(text, group) if text else None


def _year_near(rows: list[Row], start: int, family: Family) -> tuple[int | None, int]:
    """The year printed on the title line or the two lines after it, and the rows it used."""
    for offset, row in enumerate(rows[start:start + 3]):
        if offset and (first_label(row, family) or len(row.filled()) > 2):
            break
        try:
            return parse_year(row.text()), offset + 1
        except ValueParseError:
            continue
    return None, 1


def _confirmed(rows: list[Row], i: int, family: Family) -> bool:
    """A 项目名称 row follows the title within the window, before any other title."""
    for row in rows[i + 1:i + 1 + family.spec.title.confirm_within]:
        if first_label(row, family) == "project_name":
            return True
        if is_title_row(row, family):
            log.debug("%s: a title repeated below: the lower one starts the form", rows[i].where())
            return False
    log.debug("%s: a title, but no 项目名称 row follows: not a form", rows[i].where())
    return False


def _starts(rows: list[Row], family: Family) -> list[int]:
    """Row indexes of confirmed titles."""
    starts = []
    for i, row in enumerate(rows):
        if is_title_row(row, family) and _confirmed(rows, i, family):
            starts.append(i)
    log.debug("%d form titles found", len(starts))
    return starts


def _body(rows: list[Row], begin: int, stop: int, family: Family) -> tuple[list[Row], int]:
    """The form's rows from `begin` up to its 总分 row (inclusive) or `stop`, and where it ended."""
    body = []
    for j in range(begin, stop):
        row = rows[j]
        if is_page_furniture(row, family):
            continue
        body.append(row)
        if first_label(row, family) == "total":
            return body, j + 1
    return body, stop


def rows_to_segments(rows: list[Row], family: Family) -> list[Segment]:
    """One segment per form, in file order."""
    starts = _starts(rows, family)
    segments: list[Segment] = []
    bounds = starts + [len(rows)]
    for k, start in enumerate(starts):
        year, used = _year_near(rows, start, family)
        body, end = _body(rows, start + used, bounds[k + 1], family)
        preamble = [r.text() for r in rows[start:start + used]]
        segments.append(Segment(len(segments) + 1, body, year, rows[start].line, preamble=preamble))
        # A form whose title was lost: a 项目名称 row between this form's end and the next title.
        while end < bounds[k + 1]:
            orphan = next((j for j in range(end, bounds[k + 1])
                           if first_label(rows[j], family) == "project_name"), None)
            if orphan is None:
                break
            body, end = _body(rows, orphan, bounds[k + 1], family)
            segments.append(Segment(len(segments) + 1, body, year, rows[orphan].line,
                                    notes=["title missing: form starts at its 项目名称 row"]))
    return segments
