"""Which forms are the same form, across files, and which of them is current.

A form's key is its year, 主管部门, 实施单位 and 项目名称 as extracted (width folded, simplified
characters, no whitespace), with `#2`, `#3` for a second and third form of one file under the same
key; a form lacking any of the four has no key and is only ever itself. A committed form is the
same form as a current one of another file whose key, or whose key after corrections, is its key:
it takes that form's `form_key` (so the decisions taken on the earlier form apply to it), and of
the two the one whose file was modified later is current (the other `superseded_by` it, kept in
the store, left out of the published tables); equal times go by file name, then by arrival.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections import Counter

from extractors.text import to_simplified
from review.recheck import reapply


def _part(text: str | None) -> str:
    return to_simplified("".join(unicodedata.normalize("NFKC", text or "").split()))


def form_key(year: int | None, department: str, implementing_unit: str, project_name: str) -> str:
    parts = [_part(department), _part(implementing_unit), _part(project_name)]
    if year is None or not all(parts):
        return ""
    return "|".join([str(year), *parts])


def _precedence(db: sqlite3.Connection, sha: str) -> tuple[int, str, int]:
    """Of two files holding one form, the greater is the later: modified later, then name, then arrival."""
    row = db.execute("select mtime_ns, file_name, id from files where sha256 = ? and status = 'loaded'",
                     (sha,)).fetchone()
    return tuple(row) if row else (0, "", 0)  # type: ignore[return-value]


def _keys(db: sqlite3.Connection, form_ids: list[str]) -> dict[str, str]:
    """form_id -> its key, numbered within its file."""
    marks = ", ".join("?" * len(form_ids))
    rows = db.execute(f"select form_id, source_sha256, year, department, implementing_unit, project_name "
                      f"from forms where form_id in ({marks}) order by form_id", form_ids).fetchall()
    seen: Counter = Counter()
    keys = {}
    for form_id, sha, *fields in rows:
        key = form_key(*fields)
        if key:
            seen[(sha, key)] += 1
            key += f"#{seen[(sha, key)]}" if seen[(sha, key)] > 1 else ""
        keys[form_id] = key
    return keys


def _supersede(db: sqlite3.Connection, form_id: str, key: str) -> None:
    """Of this form and the current forms of other files under its key, only the latest stays current."""
    sha = db.execute("select source_sha256 from forms where form_id = ?", (form_id,)).fetchone()[0]
    rivals = db.execute("select form_id, form_key, source_sha256 from forms where current = 1 and form_id != ? "
                        "and source_sha256 != ? and (form_key = ? or match_key = ?) order by rowid",
                        (form_id, sha, key, key)).fetchall()
    if not rivals:
        return
    db.execute("update forms set form_key = ? where form_id = ?", (rivals[0][1] or key, form_id))
    forms = [(form_id, sha), *((r[0], r[2]) for r in rivals)]
    winner = max(forms, key=lambda f: _precedence(db, f[1]))[0]
    db.executemany("update forms set current = 0, superseded_by = ? where form_id = ?",
                   [(winner, f) for f, _ in forms if f != winner])


def settle_forms(db: sqlite3.Connection, form_ids: list[str]) -> None:
    """Forms just committed (in the commit's transaction): keyed, matched with the forms they
    re-issue, and re-checked with the decisions taken on those."""
    keys = _keys(db, form_ids)
    db.executemany("update forms set form_key = ?, match_key = ? where form_id = ?",
                   [(key, key, form_id) for form_id, key in keys.items()])
    for form_id, key in keys.items():
        if key:
            _supersede(db, form_id, key)
    for form_id in keys:
        reapply(db, form_id)


def match_key_after(db: sqlite3.Connection, form_id: str) -> None:
    """A form's key from its values now (after a correction of its year, department, unit or name)."""
    row = db.execute("select year, department, implementing_unit, project_name from forms where form_id = ?",
                     (form_id,)).fetchone()
    db.execute("update forms set match_key = ? where form_id = ?", (form_key(*row), form_id))
