"""Review decisions: accept a flag, correct a field, reopen a flag. The command line, the review
page and the Excel import all call these.

A decision is appended to the store's `decisions` with its reviewer, time, old and new value and
note, never changed afterwards; a reopen is a decision too, one that withdraws an earlier one.
Each decision is one transaction: checked first (an unknown flag or field, a value of the wrong
type, an indicator that does not exist is a `ReviewError` and changes nothing), then appended, the
form re-checked with every decision in force (`review.recheck`), and the store's generation moved
on so the next publish shows it.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from extractors.exceptions import ReviewError
from review.identity import match_key_after
from review.recheck import Decision, decisions_for, in_force, load_form, recheck
from review.values import apply_correction, current_value, field_name, normalise
from storage.store import Store, now

REVIEWER_ENV = "SELFEVAL_REVIEWER"


def reviewer_name(given: str | None = None) -> str:
    """The reviewer: as given, else $SELFEVAL_REVIEWER, else the login name."""
    if given:
        return given
    try:
        return os.environ.get(REVIEWER_ENV) or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(slots=True)
class Outcome:
    """What a decision did: its id, and the form's flags that changed status."""

    decision_id: int
    form_id: str
    text: str
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (flag_id, before, after)


@contextmanager
def _deciding(store: Store) -> Iterator[sqlite3.Connection]:
    with store.transaction() as db:
        yield db
        db.execute("update meta set value = value + 1 where key = 'generation'")


def _flag(db: sqlite3.Connection, flag_id: str) -> tuple:
    row = db.execute("select fl.flag_id, fl.form_id, fl.\"check\", fl.field, fl.expected, fl.found, fl.status, "
                     "coalesce(f.form_key, ''), coalesce(f.current, 1), coalesce(f.superseded_by, '') "
                     "from flags fl left join forms f using (form_id) where fl.flag_id = ?", (flag_id,)).fetchone()
    if row is None:
        raise ReviewError(f"no flag {flag_id!r} in this warehouse; `selfeval review list` shows the open ones")
    if not row[8]:
        raise ReviewError(f"flag {flag_id} is about a form superseded by {row[9]} (a re-issued file): "
                          "review that form's flags")
    return row


def _append(db: sqlite3.Connection, **values: object) -> int:
    names = list(values)
    cursor = db.execute(f"insert into decisions ({', '.join(names)}) values ({', '.join('?' * len(names))})",
                        list(values.values()))
    return int(cursor.lastrowid or 0)


def _statuses(db: sqlite3.Connection, form_id: str, key: str = "form_id") -> dict[str, str]:
    return dict(db.execute(f"select flag_id, status from flags where {key} = ?", (form_id,)).fetchall())


def _changes(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(f, before.get(f, ""), s) for f, s in sorted(after.items()) if before.get(f) != s]


def accept_in(db: sqlite3.Connection, flag_id: str, note: str, reviewer: str, via: str) -> Outcome:
    flag_id, form_id, check, fld, expected, found, status, form_key, _, _ = _flag(db, flag_id)
    if status == "accepted":
        raise ReviewError(f"flag {flag_id} is accepted already")
    if status == "corrected":
        raise ReviewError(f"flag {flag_id} no longer holds: a correction closed it")
    decision = _append(db, action="accept", flag_id=flag_id, form_id=form_id, form_key=form_key, check_code=check,
                       field=fld, reviewer=reviewer, decided_at=now(), old_value=status, new_value="accepted",
                       note=note, expected=expected, found=found, via=via)
    if not form_id:  # a file's own flag: nothing to re-check
        db.execute("update flags set status = 'accepted', decided_by = ? where flag_id = ?", (decision, flag_id))
        return Outcome(decision, "", f"accepted {flag_id}", [(flag_id, status, "accepted")])
    before = _statuses(db, form_id)
    recheck(db, form_id)
    return Outcome(decision, form_id, f"accepted {flag_id}", _changes(before, _statuses(db, form_id)))


def correct_in(db: sqlite3.Connection, form_id: str, fld: str, value: str, seq: int | None, note: str,
               reviewer: str, via: str) -> Outcome:
    row = db.execute("select form_key, current, superseded_by from forms where form_id = ?", (form_id,)).fetchone()
    if row is None:
        raise ReviewError(f"no form {form_id!r} in this warehouse; `selfeval review list` names the flagged ones")
    form_key, current, superseded_by = row
    if not current:
        raise ReviewError(f"form {form_id} is superseded by {superseded_by} (a re-issued file): correct that one")
    name = field_name(fld, seq)
    decisions = in_force(decisions_for(db, form_key, form_id))
    form = load_form(db, form_id)
    for earlier in decisions:
        if earlier.action == "correct":
            apply_correction(form, earlier.field, earlier.new_value)
    stored = normalise(form, name, value)
    old = current_value(form, name)
    decision = _append(db, action="correct", form_id=form_id, form_key=form_key, field=name, reviewer=reviewer,
                       decided_at=now(), old_value=old, new_value=stored, note=note, via=via)
    before = _statuses(db, form_id)
    recheck(db, form_id)
    match_key_after(db, form_id)
    return Outcome(decision, form_id, f"corrected {name} of {form_id}: {old} → {stored}",
                   _changes(before, _statuses(db, form_id)))


def _closing_decision(db: sqlite3.Connection, flag_id: str, form_id: str, form_key: str) -> Decision | None:
    decided_by = db.execute("select decided_by from flags where flag_id = ?", (flag_id,)).fetchone()[0]
    return next((d for d in decisions_for(db, form_key, form_id) if d.decision_id == decided_by), None)


def reopen_in(db: sqlite3.Connection, flag_id: str, note: str, reviewer: str, via: str) -> Outcome:
    """Open a closed flag again by withdrawing the decision that closed it: an acceptance, or the
    correction whose re-check closed it (the field goes back to its value before)."""
    flag_id, form_id, check, fld, expected, found, status, form_key, _, _ = _flag(db, flag_id)
    if status == "open":
        raise ReviewError(f"flag {flag_id} is open already")
    closing = _closing_decision(db, flag_id, form_id, form_key)
    if closing is None:
        raise ReviewError(f"flag {flag_id} was closed by no decision in force; nothing to withdraw")
    decision = _append(db, action="reopen", flag_id=flag_id, form_id=form_id, form_key=form_key, check_code=check,
                       field=closing.field, reviewer=reviewer, decided_at=now(), old_value=status, new_value="open",
                       note=note, expected=expected, found=found, withdraws=closing.decision_id, via=via)
    if not form_id:
        db.execute("update flags set status = 'open', decided_by = 0 where flag_id = ?", (flag_id,))
        return Outcome(decision, "", f"reopened {flag_id}", [(flag_id, status, "open")])
    before = _statuses(db, form_id)
    recheck(db, form_id)
    match_key_after(db, form_id)
    what = f"withdrew decision {closing.decision_id} ({closing.action} {closing.field or closing.flag_id})"
    return Outcome(decision, form_id, f"reopened {flag_id}: {what}", _changes(before, _statuses(db, form_id)))


def accept(store: Store, flag_id: str, *, note: str = "", reviewer: str | None = None, via: str = "cli") -> Outcome:
    with _deciding(store) as db:
        return accept_in(db, flag_id, note, reviewer_name(reviewer), via)


def correct(store: Store, form_id: str, fld: str, value: str, *, seq: int | None = None, note: str = "",
            reviewer: str | None = None, via: str = "cli") -> Outcome:
    with _deciding(store) as db:
        return correct_in(db, form_id, fld, value, seq, note, reviewer_name(reviewer), via)


def reopen(store: Store, flag_id: str, *, note: str = "", reviewer: str | None = None, via: str = "cli") -> Outcome:
    with _deciding(store) as db:
        return reopen_in(db, flag_id, note, reviewer_name(reviewer), via)
