"""A form re-checked with the decisions taken on it: corrections applied, flags recomputed.

The form comes back as it was extracted (the store's `extractions`), every correction still in
force is applied in the order it was taken, and the checks run again. A flag that no longer holds
is closed (`corrected`, naming the decision); a flag that holds is `accepted` when an acceptance
in force says the form really prints those values, else `open`; `forms.status` follows. All of
it is written in the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pandera.errors import SchemaErrors

from extractors.exceptions import ReviewError
from review.values import apply_correction
from schemas.checks import form_to_flags
from schemas.model import Flag, Form
from schemas.saved import blob_to_form
from schemas.tables import COLUMNS, forms_to_frames, frame_to_rows

DECISION_COLUMNS = ("decision_id", "action", "flag_id", "form_id", "form_key", "check_code", "field", "reviewer",
                    "decided_at", "old_value", "new_value", "note", "expected", "found", "withdraws", "via")


@dataclass(slots=True)
class Decision:
    decision_id: int
    action: str  # accept, correct, reopen
    flag_id: str
    form_id: str
    form_key: str
    check_code: str
    field: str
    reviewer: str
    decided_at: str
    old_value: str
    new_value: str
    note: str
    expected: str
    found: str
    withdraws: int
    via: str


def _quote(name: str) -> str:
    return '"' + name + '"'


def decisions_for(db: sqlite3.Connection, form_key: str, form_id: str) -> list[Decision]:
    """Every decision on the form and on earlier forms it stands for (same `form_key`), in order."""
    columns = ", ".join(DECISION_COLUMNS)
    rows = db.execute(f"select {columns} from decisions where (form_key != '' and form_key = ?) or form_id = ? "
                      "order by decision_id", (form_key, form_id)).fetchall()
    return [Decision(*row) for row in rows]


def in_force(decisions: list[Decision]) -> list[Decision]:
    """Acceptances and corrections not withdrawn by a later reopen."""
    withdrawn = {d.withdraws for d in decisions if d.action == "reopen"}
    return [d for d in decisions if d.action in ("accept", "correct") and d.decision_id not in withdrawn]


def load_form(db: sqlite3.Connection, form_id: str) -> Form:
    row = db.execute("select form from extractions where form_id = ?", (form_id,)).fetchone()
    if row is None:
        raise ReviewError("the form was loaded before forms were kept as extracted: it cannot be re-checked; "
                          "drop its file in again under another name after editing it", form=form_id)
    form = blob_to_form(row[0])
    form.form_id = form_id
    return form


def corrected_form(db: sqlite3.Connection, form_id: str, decisions: list[Decision]) -> Form:
    form = load_form(db, form_id)
    for decision in decisions:
        if decision.action == "correct":
            apply_correction(form, decision.field, decision.new_value)
    return form


def _same(a: str, b: str) -> bool:
    """Two printed values agree: the same text, or the same number however it is printed."""
    if a == b:
        return True
    from extractors.numbers import parse_percent, try_number

    def read(text: str) -> float | None:
        try:
            value = parse_percent(text) if text.rstrip().endswith("%") else try_number(text)
        except ValueError:
            return None
        return None if value is None else value.value

    x, y = read(a), read(b)
    return x is not None and y is not None and abs(x - y) <= 1e-9 * max(1.0, abs(x))


def acceptance_of(flag: Flag, form_key: str, decisions: list[Decision]) -> Decision | None:
    """The acceptance in force that covers this flag with the values it has now."""
    for decision in reversed(decisions):
        if decision.action != "accept":
            continue
        same_flag = decision.flag_id == flag.flag_id or (
            form_key != "" and decision.form_key == form_key and (decision.check_code, decision.field) ==
            (flag.check, flag.field))
        if same_flag and _same(decision.expected, flag.expected) and _same(decision.found, flag.found):
            return decision
    return None


def _rows(forms: list[Form], flags: list[Flag]) -> dict[str, dict[str, list[list]]]:
    """The re-checked forms' rows, validated together: table -> form_id -> rows."""
    try:
        frames = forms_to_frames(forms, flags)
    except SchemaErrors as exc:
        case = exc.failure_cases.iloc[0]
        raise ReviewError(f"the corrected form breaks the table schema ({case['column']}: {case['check']}, "
                          f"value {case['failure_case']!r})", form=forms[0].form_id if len(forms) == 1 else "") from None
    grouped: dict[str, dict[str, list[list]]] = {}
    for table, frame in frames.items():
        at = list(COLUMNS[table]).index("form_id")
        for row in frame_to_rows(frame):
            grouped.setdefault(table, {}).setdefault(row[at], []).append(row)
    return grouped


def _write_form(db: sqlite3.Connection, form_id: str, rows: dict[str, list[list]]) -> None:
    names = [c for c in COLUMNS["forms"] if c not in ("form_id", "form_key")]
    record = dict(zip(COLUMNS["forms"], rows["forms"][0], strict=True))
    db.execute(f"update forms set {', '.join(_quote(n) + ' = ?' for n in names)} where form_id = ?",
               [*(record[n] for n in names), form_id])
    db.execute("delete from indicators where form_id = ?", (form_id,))
    columns = COLUMNS["indicators"]
    db.executemany(f"insert into indicators ({', '.join(map(_quote, columns))}) values "
                   f"({', '.join('?' * len(columns))})", rows["indicators"])


def _write_flags(db: sqlite3.Connection, form_id: str, rows: list[list], statuses: dict[str, tuple[str, int]],
                 closed_by: int) -> None:
    """The form's flags as re-checked; earlier ones that no longer hold stay, closed."""
    columns = list(COLUMNS["flags"])
    archived = db.execute("select moved_to from files where status = 'loaded' and sha256 = "
                          "(select source_sha256 from forms where form_id = ?)", (form_id,)).fetchone()
    now = {row[0] for row in rows}
    db.execute(f"update flags set status = 'corrected', decided_by = ? where form_id = ? and status != 'corrected' "
               f"and flag_id not in ({', '.join('?' * len(now))})", (closed_by, form_id, *now))
    db.executemany("delete from flags where flag_id = ?", [(flag_id,) for flag_id in now])
    status_at, archived_at = columns.index("status"), columns.index("archived_file")
    for row in rows:
        row[status_at] = statuses[row[0]][0]
        row[archived_at] = archived[0] if archived else ""
    db.executemany(f"insert into flags ({', '.join(map(_quote, columns))}, decided_by) values "
                   f"({', '.join('?' * (len(columns) + 1))})", [[*row, statuses[row[0]][1]] for row in rows])


def _statuses(flags: list[Flag], form_key: str, decisions: list[Decision]) -> dict[str, tuple[str, int]]:
    statuses = {}
    for flag in flags:
        accepted = acceptance_of(flag, form_key, decisions)
        statuses[flag.flag_id] = ("accepted", accepted.decision_id) if accepted else ("open", 0)
    return statuses


def recheck_many(db: sqlite3.Connection, form_ids: list[str]) -> None:
    """Re-check stored forms with the decisions in force on each, validated in one go."""
    keys = dict(db.execute(f"select form_id, form_key from forms where form_id in ({', '.join('?' * len(form_ids))})",
                           form_ids).fetchall())
    done = []
    for form_id in form_ids:
        decisions = in_force(decisions_for(db, keys[form_id], form_id))
        form = corrected_form(db, form_id, decisions)
        done.append((form, form_to_flags(form), decisions))
    rows = _rows([form for form, _, _ in done], [flag for _, flags, _ in done for flag in flags])
    for form, flags, decisions in done:
        form_id = form.form_id
        corrections = [d.decision_id for d in decisions if d.action == "correct"]
        _write_form(db, form_id, {t: rows.get(t, {}).get(form_id, []) for t in ("forms", "indicators")})
        _write_flags(db, form_id, rows.get("flags", {}).get(form_id, []),
                     _statuses(flags, keys[form_id], decisions), corrections[-1] if corrections else 0)
        db.execute("update forms set status = case when exists (select 1 from flags where form_id = ? and "
                   "status = 'open') then 'flagged' else 'ok' end where form_id = ?", (form_id, form_id))


def recheck(db: sqlite3.Connection, form_id: str) -> None:
    """Re-check one stored form with the decisions in force on it."""
    recheck_many(db, [form_id])


def reapply(db: sqlite3.Connection, form_ids: list[str]) -> None:
    """Forms just committed: re-checked if decisions are in force on them or on the forms they stand for."""
    keys = dict(db.execute(f"select form_id, form_key from forms where form_id in ({', '.join('?' * len(form_ids))})",
                           form_ids).fetchall())
    due = [f for f in form_ids if in_force(decisions_for(db, keys[f], f))]
    if due:
        recheck_many(db, due)
