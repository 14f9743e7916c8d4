"""What a reviewer looks at, read from the store (the authority, never behind a publish): the
flags with their forms, one flag whole, a form's versions and decisions, the forms a run flagged."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from extractors.exceptions import ReviewError
from review.recheck import Decision, decisions_for
from storage.store import STORE_FILE, Store

STATUSES = ("open", "accepted", "corrected", "all")
LANGS = ("zh", "en")


@dataclass(slots=True)
class FlagRow:
    flag_id: str
    form_id: str
    check: str
    severity: str
    message: str
    message_en: str
    field: str
    expected: str
    found: str
    status: str
    project_name: str
    department: str
    year: int | None
    amount_unit: str
    source_file: str
    page: int
    line: int
    sheet: str
    cell: str
    location: str
    archived_file: str
    decided_by: int

    def text(self, lang: str = "zh") -> str:
        return self.message_en if lang == "en" and self.message_en else self.message


_FLAG_SELECT = ("select fl.flag_id, fl.form_id, fl.\"check\", fl.severity, fl.message, fl.message_en, fl.field, "
                "fl.expected, fl.found, fl.status, coalesce(f.project_name, ''), coalesce(f.department, ''), f.year, "
                "coalesce(f.amount_unit, ''), fl.source_file, fl.page, fl.line, fl.sheet, fl.cell, fl.location, "
                "fl.archived_file, fl.decided_by from flags fl left join forms f using (form_id) "
                "where (f.current = 1 or fl.form_id = '')")
_FILTERS = {"check": 'fl."check" = ?', "severity": "fl.severity = ?", "department": "f.department like ?",
            "year": "f.year = ?", "file": "fl.source_file like ?", "form": "fl.form_id = ?"}


def open_store(warehouse: Path | str) -> Store:
    """The warehouse's store, which must exist: review never makes an empty one."""
    if not (Path(warehouse) / STORE_FILE).exists():
        raise ReviewError(f"no warehouse at {warehouse} (no {STORE_FILE}): load forms with `selfeval run` first")
    return Store.open(warehouse)


def flags(db: sqlite3.Connection, *, status: str = "open", **filters: object) -> list[FlagRow]:
    """Flags of current forms (and of files), filtered; `department` and `file` match a part."""
    if status not in STATUSES:
        raise ReviewError(f"bad status {status!r}; allowed: {', '.join(STATUSES)}")
    query, args = _FLAG_SELECT, list[object]()
    if status != "all":
        query += " and fl.status = ?"
        args.append(status)
    for name, value in filters.items():
        if value in (None, ""):
            continue
        query += f" and {_FILTERS[name]}"
        args.append(f"%{value}%" if name in ("department", "file") else value)
    query += " order by coalesce(f.department, ''), fl.\"check\", fl.flag_id"
    return [FlagRow(*row) for row in db.execute(query, args).fetchall()]


def flag(db: sqlite3.Connection, flag_id: str) -> FlagRow:
    row = db.execute(_FLAG_SELECT.replace("where (f.current = 1 or fl.form_id = '')", "where fl.flag_id = ?"),
                     (flag_id,)).fetchone()
    if row is None:
        raise ReviewError(f"no flag {flag_id!r} in this warehouse; `selfeval review list` shows the open ones")
    return FlagRow(*row)


FORM_FIELDS = ("form_id", "project_name", "department", "implementing_unit", "year", "amount_unit", "source_file",
               "status", "form_key", "current", "superseded_by", "total_score")


def form(db: sqlite3.Connection, form_id: str) -> dict:
    row = db.execute(f"select {', '.join(FORM_FIELDS)} from forms where form_id = ?", (form_id,)).fetchone()
    if row is None:
        raise ReviewError(f"no form {form_id!r} in this warehouse")
    return dict(zip(FORM_FIELDS, row, strict=True))


def value_of(db: sqlite3.Connection, form_id: str, field: str) -> object:
    """A form's or an indicator's stored value (`indicators[3].score`), None if it has none."""
    if field.startswith("indicators["):
        seq, _, name = field[len("indicators["):].partition("].")
        row = db.execute(f'select "{name}" from indicators where form_id = ? and seq = ?',
                         (form_id, int(seq))).fetchone() if name.isidentifier() else None
        return row[0] if row else None
    names = {r[1] for r in db.execute("pragma table_info(forms)")}
    if field not in names:
        return None
    return db.execute(f'select "{field}" from forms where form_id = ?', (form_id,)).fetchone()[0]


def shown_value(field: str, value: object) -> str:
    """A stored value as a reviewer reads it: an amount in 元 with separators, a rate in percent."""
    from schemas.format import amount, percent
    from schemas.model import AMOUNT_FIELDS

    if value is None or value == "":
        return ""
    if isinstance(value, float) and field in AMOUNT_FIELDS:
        return amount(value)
    if isinstance(value, float) and field == "execution_rate":
        return percent(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(slots=True)
class Version:
    form_id: str
    source_file: str
    seen_at: str
    current: int
    superseded_by: str


def history(db: sqlite3.Connection, form_id: str) -> tuple[list[Version], list[Decision]]:
    """The versions of the form (its own and those of re-issued files) and every decision on them."""
    key = form(db, form_id)["form_key"]
    rows = db.execute("select f.form_id, f.source_file, coalesce(fi.seen_at, ''), f.current, f.superseded_by "
                      "from forms f left join files fi on fi.sha256 = f.source_sha256 and fi.status = 'loaded' "
                      "where f.form_id = ? or (? != '' and f.form_key = ?) order by fi.id, f.form_id",
                      (form_id, key, key)).fetchall()
    return [Version(*row) for row in rows], decisions_for(db, key, form_id)


@dataclass(slots=True)
class FlaggedForm:
    form_id: str
    project_name: str
    department: str
    checks: str
    errors: int


def flagged_in_run(db: sqlite3.Connection, run_id: str) -> list[FlaggedForm]:
    """The current forms a run loaded that still have open flags, those with errors first."""
    rows = db.execute(
        "select f.form_id, f.project_name, f.department, group_concat(distinct fl.\"check\"), "
        "sum(fl.severity = 'error') from forms f join files fi on fi.sha256 = f.source_sha256 "
        "and fi.status = 'loaded' join flags fl on fl.form_id = f.form_id and fl.status = 'open' "
        "where fi.run_id = ? and f.current = 1 group by f.form_id "
        "order by sum(fl.severity = 'error') > 0 desc, f.department, f.project_name", (run_id,)).fetchall()
    return [FlaggedForm(*row) for row in rows]


_RUN_FORMS = ("select f.form_id from forms f join files fi on fi.sha256 = f.source_sha256 "
              "and fi.status = 'loaded' where fi.run_id = ?")


def superseded_in_run(db: sqlite3.Connection, run_id: str) -> tuple[int, int]:
    """Of a run's forms, how many a later copy of the same form supersedes (kept in the store as
    history), and how many forms of earlier runs the run's forms supersede."""
    older = db.execute(f"select count(*) from forms where current = 0 and form_id in ({_RUN_FORMS})",
                       (run_id,)).fetchone()[0]
    replaced = db.execute(f"select count(*) from forms where current = 0 and superseded_by in ({_RUN_FORMS}) "
                          f"and form_id not in ({_RUN_FORMS})", (run_id, run_id)).fetchone()[0]
    return older, replaced
