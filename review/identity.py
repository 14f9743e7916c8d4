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


def _rivals(db: sqlite3.Connection, keys: dict[str, str]) -> dict[str, list[tuple[str, str, str]]]:
    """key -> (form_id, form_key, source_sha256) of the current forms under it, found in one query."""
    wanted = sorted({k for k in keys.values() if k})
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(f"select form_id, form_key, match_key, source_sha256 from forms where current = 1 and "
                      f"(form_key in ({marks}) or match_key in ({marks})) order by rowid", wanted * 2).fetchall()
    found: dict[str, list[tuple[str, str, str]]] = {}
    for form_id, key, match, sha in rows:
        for k in {key, match} & set(wanted):
            found.setdefault(k, []).append((form_id, key, sha))
    return found


def _supersede(db: sqlite3.Connection, form_id: str, sha: str, rivals: list[tuple[str, str, str]],
               precedence: dict[str, tuple]) -> None:
    """Of this form and the current forms of other files under its key, only the latest stays current."""
    others = [r for r in rivals if r[0] != form_id and r[2] != sha]
    if not others:
        return
    db.execute("update forms set form_key = ? where form_id = ?", (others[0][1], form_id))
    forms = [(form_id, sha), *((r[0], r[2]) for r in others)]
    still = {f for (f,) in db.execute(f"select form_id from forms where current = 1 and form_id in "
                                       f"({', '.join('?' * len(forms))})", [f for f, _ in forms]).fetchall()}
    contenders = [f for f in forms if f[0] in still]
    for _, file_sha in contenders:
        if file_sha not in precedence:
            precedence[file_sha] = _precedence(db, file_sha)
    winner = max(contenders, key=lambda f: precedence[f[1]])[0]
    db.executemany("update forms set current = 0, superseded_by = ? where form_id = ?",
                   [(winner, f) for f, _ in contenders if f != winner])


def _decided(db: sqlite3.Connection) -> tuple[set[str], set[str]]:
    """The form keys and form ids any decision was taken on."""
    rows = db.execute("select distinct form_key, form_id from decisions").fetchall()
    return {k for k, _ in rows if k}, {f for _, f in rows}


def settle_forms(db: sqlite3.Connection, form_ids: list[str]) -> None:
    """Forms just committed (in the commit's transaction): keyed, matched with the forms they
    re-issue, and re-checked with the decisions taken on those."""
    keys = _keys(db, form_ids)
    db.executemany("update forms set form_key = ?, match_key = ? where form_id = ?",
                   [(key, key, form_id) for form_id, key in keys.items()])
    rivals = _rivals(db, keys)
    shas = dict(db.execute(f"select form_id, source_sha256 from forms where form_id in "
                           f"({', '.join('?' * len(form_ids))})", form_ids).fetchall())
    precedence: dict[str, tuple] = {}  # of each file, looked up once
    for form_id, key in keys.items():
        if len(rivals.get(key, [])) > 1:
            _supersede(db, form_id, shas[form_id], rivals[key], precedence)
    decided_keys, decided_forms = _decided(db)
    if not decided_keys and not decided_forms:
        return
    identities = dict(db.execute(f"select form_id, form_key from forms where form_id in "
                                 f"({', '.join('?' * len(form_ids))})", form_ids).fetchall())
    reapply(db, [f for f in keys if identities[f] in decided_keys or f in decided_forms])


def match_key_after(db: sqlite3.Connection, form_id: str) -> None:
    """A form's key from its values now (after a correction of its year, department, unit or name)."""
    row = db.execute("select year, department, implementing_unit, project_name from forms where form_id = ?",
                     (form_id,)).fetchone()
    db.execute("update forms set match_key = ? where form_id = ?", (form_key(*row), form_id))
