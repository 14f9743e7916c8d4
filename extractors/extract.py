"""A file's rows to its forms: segment, choose each form's family, rebuild — one pure function.

`grid_to_extraction` returns the forms and the file's own findings (a title-like line that
yields no form, a document that is no project form), or raises `NoFormsFound` naming what in the
file came nearest to a form: the best title candidate and its score, and the labels missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.catalog import Catalog, load_catalog
from extractors.cells import Row
from extractors.exceptions import NoFormsFound
from extractors.family import AUTO, Family
from extractors.indicators import MAX_SHIFT
from extractors.rebuild import segment_to_form
from extractors.segment import Cut, Stray, as_catalog, first_label, rows_to_cut
from schemas.checks import file_flag
from schemas.format import place_zh
from schemas.model import Flag, Form

NO_FORM = "no 财政项目支出绩效自评表 found, nor another family's project form"
NEAREST_LINE_MAX = 80  # longer lines are prose, never named as the nearest thing to a title
LANDMARKS = {"project_name": "a 项目名称 row", "funds": "a funds header (年初预算数, 全年执行数, …)",
             "indicators": "an indicator header (一级指标, 二级指标, …)", "total": "a 总分 row"}


@dataclass(slots=True)
class Extraction:
    forms: list[Form]
    flags: list[Flag] = field(default_factory=list)  # about the file, not one of its forms (form_id "")


def form_id_for(sha256: str, ordinal: int) -> str:
    """Stable: the same form in the same bytes has the same id on every run."""
    return f"{sha256[:16]}-{ordinal:03d}"


def catalog_for(family: Family | Catalog | str | None) -> Catalog:
    """`None` or "auto": every family, each form choosing; a name or a Family: that one forced."""
    if family is None or isinstance(family, str):
        return load_catalog(family or AUTO)
    return as_catalog(family)


def stray_to_flag(stray: Stray, file: str, sha256: str) -> Flag:
    where = f"page {stray.page} line {stray.line}" if stray.page else f"line {stray.line}"
    place = place_zh(where)
    if stray.document is not None:
        return file_flag("other_document", f"{place}是{stray.document.kind}，不是项目支出绩效自评表，未载入",
                         where, stray.text, file, sha256,
                         f"{where} holds {stray.document.kind}, {stray.document.what}: not loaded")
    return file_flag("title_without_form", f"{place}「{stray.text[:40]}」像是表格标题，但没有读成一张表（{stray.reason}）",
                     where, stray.text, file, sha256,
                     f"{where} looks like a form title but starts no form: {stray.reason}")


def landmarks(rows: list[Row], catalog: Catalog) -> set[str]:
    """Which parts of a form the rows hold anywhere (see `LANDMARKS`)."""
    found = set()
    for row in rows:
        label = first_label(row, catalog)
        if label in ("project_name", "total"):
            found.add(label)
        cells = [t for _, t in row.filled()]
        for group, name in (("funds_columns", "funds"), ("indicator_columns", "indicators")):
            if name not in found and sum(1 for t in cells if catalog.match(t, group)) >= 3:
                found.add(name)
    return found


def no_forms_reason(rows: list[Row], cut: Cut, catalog: Catalog) -> str:
    """Why a file holds no form, naming what came nearest."""
    documents = list(dict.fromkeys(s.document for s in cut.strays if s.document is not None))
    if documents:
        what = "; ".join(f"{d.kind}, {d.what}" for d in documents)
        return f"{NO_FORM}: the file holds only {what}"
    candidates = [(catalog.nearest_title(r.text()), r) for r in rows if 0 < len(r.text()) <= NEAREST_LINE_MAX]
    missing = [text for name, text in LANDMARKS.items() if name not in landmarks(rows, catalog)]
    lacks = f"; it lacks {', '.join(missing)}" if missing else ""
    if cut.strays:
        stray = cut.strays[0]
        return f"{NO_FORM}: line {stray.line} {stray.text!r} is {stray.reason}{lacks}"
    if not any(r.text() for r in rows):
        return f"{NO_FORM}: no text in it at all (blank pages, or a scan too faint to read)"
    if not candidates:
        return f"{NO_FORM}, and no title-like line{lacks}"
    match, row = max(candidates, key=lambda c: c[0].score)
    against = f" (score {match.score:.0f} against {match.title})" if match.title else ""
    return f"{NO_FORM}: nearest is {row.where()} {row.text()[:40]!r}{against}{lacks}"


def grid_to_extraction(rows: list[Row], family: Family | Catalog | str | None = None, *, file: str, sha256: str,
                       max_shift: int = MAX_SHIFT) -> Extraction:
    """Every form of the rows, each rebuilt with its family, and the file's own findings."""
    catalog = catalog_for(family)
    cut = rows_to_cut(rows, catalog)
    if not cut.segments:
        reason = no_forms_reason(rows, cut, catalog)
        hint = "" if any(s.document for s in cut.strays) else "; is it a 项目支出绩效自评表? try --debug"
        raise NoFormsFound(reason + hint, file=file)
    forms = [segment_to_form(s, s.family or catalog.primary, form_id=form_id_for(sha256, s.ordinal),
                             source_file=file, source_sha256=sha256, max_shift=max_shift) for s in cut.segments]
    return Extraction(forms, [stray_to_flag(s, file, sha256) for s in cut.strays])


def grid_to_forms(rows: list[Row], family: Family | Catalog | str | None = None, *, file: str, sha256: str,
                  max_shift: int = MAX_SHIFT) -> list[Form]:
    """The forms of the rows (see `grid_to_extraction`)."""
    return grid_to_extraction(rows, family, file=file, sha256=sha256, max_shift=max_shift).forms
