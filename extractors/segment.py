"""Cutting a grid into one segment per form.

A form starts at its title — any family's (财政项目支出绩效自评表, 部门预算项目支出绩效自评表,
绩效目标自评表, …), found even when damaged (a wrong or missing character, the year on the same line,
full-width brackets, traditional characters) by a fuzzy match on the whole line — confirmed by a
项目名称 row soon after, so a sentence that mentions the title is not a form. It ends at its total
row (总分, 合计). Page numbers inside a form are dropped; cover pages and notes between forms belong
to no segment. A 项目名称 row after a total with no title of its own also starts a form, its title
lost. Each segment is given the family its title and labels match best.

A title-like line that starts no form is kept as a `Stray` with the reason, and so is the title
of a document that is no project form (部门整体支出绩效自评表, 绩效目标申报表, …): nothing is dropped
without a word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

from extractors.catalog import Catalog, DocumentKind, TitleMatch, load_documents
from extractors.cells import Row
from extractors.exceptions import ValueParseError
from extractors.family import Family
from extractors.numbers import parse_year

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
    title: TitleMatch | None = None
    family: Family | None = None  # the family chosen for the form


@dataclass(slots=True)
class Stray:
    """A line that looks like a title but starts no form, and why."""

    line: int
    page: int
    text: str
    reason: str
    document: DocumentKind | None = None


@dataclass(slots=True)
class Cut:
    segments: list[Segment]
    strays: list[Stray]


def as_catalog(families: Family | Catalog) -> Catalog:
    """A catalog of one family when one family is given."""
    return families if isinstance(families, Catalog) else _only(families)


@cache
def _only(family: Family) -> Catalog:
    return Catalog((family,), load_documents(), family)


def is_title_row(row: Row, families: Family | Catalog) -> bool:
    """A row that holds only a form's title: one or two cells, or a letter-spaced title cut into many."""
    found = as_catalog(families).is_title_row(row)
    return found is not None and found.family is not None


def is_page_furniture(row: Row, catalog: Catalog) -> bool:
    """A page number or running line, not part of the form; a row of several numbers is never one."""
    if len(row.text()) > PAGE_FURNITURE_MAX:
        return False
    filled = [c for c in row.cells if c]
    return len(filled) == 1 and catalog.is_skipped_line(filled[0])


def first_label(row: Row, catalog: Catalog, group: str = "labels") -> str | None:
    """The label the row's first filled cell is, if any."""
    for text in row.cells:
        if text:
            return catalog.match(text, group)
    return None


def _year_near(rows: list[Row], start: int, catalog: Catalog) -> tuple[int | None, int]:
    """The year printed on the title line or the two lines after it, and the rows it used."""
    for offset, row in enumerate(rows[start:start + 3]):
        if offset and (first_label(row, catalog) or len(row.filled()) > 2):
            break
        try:
            return parse_year(row.text()), offset + 1
        except ValueParseError:
            continue
    return None, 1


def _unconfirmed(rows: list[Row], i: int, catalog: Catalog) -> str | None:
    """Why the title at row i starts no form, or None: a 项目名称 row must follow it within the
    window, before any other title ("" when the title is repeated below: the lower one starts)."""
    for row in rows[i + 1:i + 1 + catalog.confirm_within]:
        if first_label(row, catalog) == "project_name":
            return None
        if is_title_row(row, catalog):
            log.debug("%s: a title repeated below: the lower one starts the form", rows[i].where())
            return ""
    log.debug("%s: a title, but no 项目名称 row follows: not a form", rows[i].where())
    return f"no 项目名称 row within {catalog.confirm_within} rows after it"


def _titles(rows: list[Row], catalog: Catalog) -> tuple[dict[int, TitleMatch], list[int], list[Stray]]:
    """Confirmed form titles by row index, rows that end the form before them (other documents'
    titles), and the title-like lines that start nothing."""
    starts: dict[int, TitleMatch] = {}
    stops: list[int] = []
    strays: list[Stray] = []
    for i, row in enumerate(rows):
        found = catalog.is_title_row(row)
        if found is None:
            continue
        text = row.text()
        if found.document is not None:
            stops.append(i)
            strays.append(Stray(row.line, row.page, text, f"a {found.document.kind}: {found.document.what}",
                                found.document))
        elif (why := _unconfirmed(rows, i, catalog)) is None:
            starts[i] = found
        elif why:
            strays.append(Stray(row.line, row.page, text, f"a title ({found.title}, score {found.score:.0f}) "
                                                          f"but {why}"))
    log.debug("%d form titles found", len(starts))
    return starts, stops, strays


def _body(rows: list[Row], begin: int, stop: int, catalog: Catalog) -> tuple[list[Row], int]:
    """The form's rows from `begin` up to its total row (inclusive) or `stop`, and where it ended."""
    body = []
    for j in range(begin, stop):
        row = rows[j]
        if is_page_furniture(row, catalog):
            continue
        body.append(row)
        if first_label(row, catalog) == "total":
            return body, j + 1
    return body, stop


def rows_to_cut(rows: list[Row], families: Family | Catalog) -> Cut:
    """One segment per form, in file order, each with its family; and the strays."""
    catalog = as_catalog(families)
    starts, stops, strays = _titles(rows, catalog)
    segments: list[Segment] = []
    bounds = sorted({*starts, *stops, len(rows)})
    for start, title in starts.items():
        stop = next(b for b in bounds if b > start)
        year, used = _year_near(rows, start, catalog)
        body, end = _body(rows, start + used, stop, catalog)
        preamble = [r.text() for r in rows[start:start + used]]
        segments.append(Segment(len(segments) + 1, body, year, rows[start].line, preamble=preamble, title=title,
                                family=catalog.choose(body, title)))
        # A form whose title was lost: a 项目名称 row between this form's end and the next title.
        while end < stop:
            orphan = next((j for j in range(end, stop) if first_label(rows[j], catalog) == "project_name"), None)
            if orphan is None:
                break
            body, end = _body(rows, orphan, stop, catalog)
            segments.append(Segment(len(segments) + 1, body, year, rows[orphan].line,
                                    notes=["title missing: form starts at its 项目名称 row"], title=title,
                                    family=catalog.choose(body, title)))
    return Cut(segments, strays)


def rows_to_segments(rows: list[Row], families: Family | Catalog) -> list[Segment]:
    """One segment per form, in file order."""
    return rows_to_cut(rows, families).segments
