"""The store: the warehouse's authority, one SQLite database in WAL mode.

It holds the ledger of files seen (`files`), the rows of the contract tables (`forms`,
`indicators`, `flags`; their columns come from `schemas.tables.COLUMNS`, so a column added there
is added here when the store is next opened), the claims of a running run, the runs themselves,
the review decisions (appended, never changed) and each form as it was extracted (so a decision
can be applied to it again). The parquet tables readers use are published from it
(`storage.publish`). Every change is a transaction: a batch's files, their rows and their ledger
rows commit together or not at all.

One run at a time per warehouse: see `storage.runlock`.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.runlock import RunBusy, RunLocking

__all__ = ["FileRecord", "RunBusy", "Store", "Unmoved", "published_generation", "work_left"]
STORE_FILE = "selfeval.sqlite"
ROW_TABLES = ("forms", "indicators", "flags")
PUBLISHED_TABLES = ("files", *ROW_TABLES)  # the contract's tables, each a symlink in the warehouse
_SQL = {"str": "TEXT NOT NULL DEFAULT ''", "int": "INTEGER NOT NULL DEFAULT 0", "Int64": "INTEGER", "float": "REAL"}
_KEYS = {"forms": "form_id", "indicators": "form_id, seq", "flags": "flag_id"}
# Columns of the store's own beside the contract's: where a file was and where it went; whether a
# form is the current one of its project (a re-issued file supersedes an earlier one).
_EXTRA = {
    "files": ('"id" INTEGER PRIMARY KEY AUTOINCREMENT', '"run_id" TEXT NOT NULL DEFAULT \'\'',
              '"source_path" TEXT NOT NULL DEFAULT \'\'', '"moved_to" TEXT NOT NULL DEFAULT \'\'',
              '"moved" INTEGER NOT NULL DEFAULT 0'),
    "forms": ('"current" INTEGER NOT NULL DEFAULT 1', '"superseded_by" TEXT NOT NULL DEFAULT \'\''),
}
# Added since a store was first made, so added to an older store when it is opened: when a file
# was last modified (a re-issued file is the later one), the key a form is matched by after its
# corrections, the decision that closed a flag.
_ADDED = {
    "files": {"mtime_ns": "INTEGER NOT NULL DEFAULT 0"},
    "forms": {"match_key": "TEXT NOT NULL DEFAULT ''"},
    "flags": {"decided_by": "INTEGER NOT NULL DEFAULT 0"},
    "decisions": {"action": "TEXT NOT NULL DEFAULT ''", "form_key": "TEXT NOT NULL DEFAULT ''",
                  "check_code": "TEXT NOT NULL DEFAULT ''", "expected": "TEXT NOT NULL DEFAULT ''",
                  "found": "TEXT NOT NULL DEFAULT ''", "withdraws": "INTEGER NOT NULL DEFAULT 0",
                  "via": "TEXT NOT NULL DEFAULT ''"},
}
_FIXED = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists claims (path text primary key, sha256 text not null, run_id text not null,
    pid integer, host text, claimed_at text);
create table if not exists decisions (decision_id integer primary key autoincrement, flag_id text,
    form_id text, field text, reviewer text, decided_at text, old_value text, new_value text, note text);
create table if not exists extractions (form_id text primary key, form blob not null);
create unique index if not exists files_loaded_once on files(sha256) where status = 'loaded';
create index if not exists files_sha on files(sha256);
create index if not exists files_unmoved on files(moved) where moved = 0;
"""

_INDEXES = """
create index if not exists forms_key on forms(form_key) where current = 1;
create index if not exists forms_match on forms(match_key) where current = 1;
create index if not exists flags_form on flags(form_id);
create index if not exists flags_file on flags(source_sha256);
create index if not exists decisions_key on decisions(form_key);
create index if not exists decisions_form on decisions(form_id);
"""


def _columns() -> dict[str, dict[str, str]]:
    """The contract tables' columns (imported when first needed: a quick look at the store
    should not pay for pandas and pandera)."""
    from schemas.tables import COLUMNS

    return COLUMNS


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One file's outcome as the ledger keeps it, and where its bytes go once it is committed."""

    file_name: str
    sha256: str
    status: str
    reason: str = ""
    forms: int = 0
    source_path: str = ""
    moved_to: str = ""
    mtime_ns: int = 0  # when the file was last modified: of two files holding one form, the later is current


@dataclass(frozen=True, slots=True)
class Unmoved:
    """A committed file whose bytes were not yet moved out of the inbox."""

    id: int
    source_path: str
    moved_to: str
    status: str
    reason: str


class Store(RunLocking):
    def __init__(self, warehouse: Path | str) -> None:
        self.root = Path(warehouse)
        self.path = self.root / STORE_FILE
        self.run_id = ""

    @classmethod
    def open(cls, warehouse: Path | str) -> Store:
        store = cls(warehouse)
        store.root.mkdir(parents=True, exist_ok=True)
        with store.connect() as db:
            store._create(db)
        return store

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("pragma journal_mode=wal")
            db.execute("pragma synchronous=full")  # a committed outcome survives a crash of the machine
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so that writers queue rather than deadlock."""
        with self.connect() as db:
            db.execute("begin immediate")
            try:
                yield db
            except BaseException:
                db.execute("rollback")
                raise
            db.execute("commit")

    def _create(self, db: sqlite3.Connection) -> None:
        db.execute("begin immediate")
        for table, columns in _columns().items():
            parts = [*_EXTRA.get(table, ()), *(f"{_quote(c)} {_SQL[k]}" for c, k in columns.items())]
            if table in _KEYS:
                parts.append(f"primary key ({_KEYS[table]})")
            db.execute(f"create table if not exists {table} ({', '.join(parts)})")
            have = {row[1] for row in db.execute(f"pragma table_info({table})")}
            for column, kind in columns.items():  # a column added to the contract since
                if column not in have:
                    db.execute(f"alter table {table} add column {_quote(column)} {_SQL[kind]}")
        for statement in filter(str.strip, _FIXED.split(";")):
            db.execute(statement)
        for table, added in _ADDED.items():
            have = {row[1] for row in db.execute(f"pragma table_info({table})")}
            for column, kind in added.items():
                if column not in have:
                    db.execute(f"alter table {table} add column {_quote(column)} {kind}")
        for statement in filter(str.strip, _INDEXES.split(";")):
            db.execute(statement)
        db.execute("insert or ignore into meta values ('generation', '0')")
        from storage.legacy import has_earlier_layout, import_earlier_layout

        empty = db.execute("select count(*) from files").fetchone()[0] == 0
        if empty and has_earlier_layout(self.root):
            import_earlier_layout(self.root, db, _columns())
            db.execute("update meta set value = value + 1 where key = 'generation'")
        db.execute("commit")

    # -- claims ------------------------------------------------------------------------------------

    def take_over_claims(self) -> list[tuple[str, str]]:
        """Drop the claims of runs that died (only a lock holder calls this): (path, run) of each."""
        with self.transaction() as db:
            stale = db.execute("select path, run_id from claims where run_id != ?", (self.run_id,)).fetchall()
            db.execute("delete from claims where run_id != ?", (self.run_id,))
        return stale

    def claim(self, items: Iterable[tuple[str, str]]) -> None:
        """Claim (path, sha256) of every file this run will work on, before any work."""
        host, pid, at = socket.gethostname(), os.getpid(), now()
        with self.transaction() as db:
            db.executemany("insert or replace into claims values (?, ?, ?, ?, ?, ?)",
                           [(path, sha, self.run_id, pid, host, at) for path, sha in items])

    def release(self, paths: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany("delete from claims where path = ?", [(p,) for p in paths])

    # -- outcomes -----------------------------------------------------------------------------------

    def loaded_files(self, shas: Iterable[str] | None = None) -> dict[str, str]:
        """sha256 -> name of each loaded file (of those given, or all)."""
        with self.connect() as db:
            if shas is None:
                rows = db.execute("select sha256, file_name from files where status = 'loaded'").fetchall()
            else:
                db.execute("create temp table wanted (sha256 text primary key)")
                db.executemany("insert or ignore into wanted values (?)", [(s,) for s in shas])
                rows = db.execute("select f.sha256, f.file_name from files f join wanted using (sha256) "
                                  "where f.status = 'loaded'").fetchall()
        return dict(rows)

    def commit(self, records: list[FileRecord], rows: dict[str, list[list[Any]]],
               settle: Callable[[sqlite3.Connection, list[str]], None] | None = None) -> None:
        """Ledger rows and table rows of a batch, and the release of its claims: all or nothing.
        `settle(db, form_ids)` then works on the new forms in the same transaction (re-issued
        files superseding earlier forms, review decisions applied again)."""
        at, columns_of = now(), _columns()
        names = list(columns_of["files"])
        ledger = [[*(_ledger_value(r, c, at) for c in names), self.run_id, r.source_path, r.moved_to, r.mtime_ns]
                  for r in records]
        with self.transaction() as db:
            for table in ROW_TABLES:
                if rows.get(table):
                    columns = ", ".join(_quote(c) for c in columns_of[table])
                    marks = ", ".join("?" * len(columns_of[table]))
                    db.executemany(f"insert into {table} ({columns}) values ({marks})", rows[table])
            db.executemany("insert or replace into extractions values (?, ?)", rows.get("extractions", []))
            columns = ", ".join(_quote(c) for c in [*names, "run_id", "source_path", "moved_to", "mtime_ns"])
            db.executemany(f"insert into files ({columns}) values ({', '.join('?' * (len(names) + 4))})", ledger)
            db.executemany("update flags set archived_file = ? where source_sha256 = ?",
                           [(r.moved_to, r.sha256) for r in records if r.status == "loaded"])
            db.executemany("delete from claims where path = ?", [(r.source_path,) for r in records])
            if settle is not None and rows.get("forms"):
                settle(db, [row[0] for row in rows["forms"]])
            db.execute("update meta set value = value + 1 where key = 'generation'")

    def unmoved(self) -> list[Unmoved]:
        with self.connect() as db:
            rows = db.execute("select id, source_path, moved_to, status, reason from files where moved = 0 "
                              "order by id").fetchall()
        return [Unmoved(*row) for row in rows]

    def mark_moved(self, moved: Iterable[tuple[int | str, str]]) -> None:
        """(id or source path, where the bytes are now) of files moved out of the inbox."""
        with self.transaction() as db:
            for key, target in moved:
                column = "id" if isinstance(key, int) else "source_path"
                if not target:  # the file left before it could be archived: its flags point nowhere
                    db.execute(f"update flags set archived_file = '' where source_sha256 in (select sha256 "
                               f"from files where {column} = ? and moved = 0 and status = 'loaded')", (key,))
                db.execute(f"update files set moved = 1, moved_to = ? where {column} = ? and moved = 0",
                           (target, key))

    def generation(self) -> int:
        with self.connect() as db:
            return int(db.execute("select value from meta where key = 'generation'").fetchone()[0])

    def read_rows(self, db: sqlite3.Connection, table: str) -> list[tuple]:
        """The published rows of a table, in key order (the ledger in its own order)."""
        names = list(_columns()[table])
        columns = ", ".join(_quote(c) for c in names)
        if table == "files":
            return db.execute(f"select {columns} from files order by id").fetchall()
        if table == "forms":
            return db.execute(f"select {columns} from forms where current = 1 order by form_id").fetchall()
        columns = ", ".join(f"t.{_quote(c)}" for c in names)
        # A flag about a file rather than one of its forms (form_id "") is published with its file.
        return db.execute(f"select {columns} from {table} t left join forms f using (form_id) "
                          "where f.current = 1 or t.form_id = '' "
                          f"order by {', '.join('t.' + k.strip() for k in _KEYS[table].split(','))}").fetchall()


_BLANK = {"str": "", "int": 0, "Int64": None, "float": None}


def _ledger_value(record: FileRecord, column: str, at: str) -> Any:
    """A ledger column's value; a column the record does not know (added to the contract) is blank."""
    return at if column == "seen_at" else getattr(record, column, _BLANK[_columns()["files"][column]])


def published_generation(root: Path) -> int:
    """The generation `<warehouse>/forms` points at; -1 when nothing is published yet."""
    target = root / "forms"
    if not target.is_symlink():
        return -1
    try:
        return int(Path(os.readlink(target)).parent.name)
    except ValueError:
        return -1


def work_left(warehouse: Path) -> str:
    """What a run that died left undone in this warehouse ('' when nothing), read without the
    contract's modules so that `selfeval run` on an empty inbox answers at once."""
    path = warehouse / STORE_FILE
    if not path.exists():
        return ""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        claims = db.execute("select count(*) from claims").fetchone()[0]
        unmoved = db.execute("select count(*) from files where moved = 0").fetchone()[0]
        generation = int(db.execute("select value from meta where key = 'generation'").fetchone()[0])
    except sqlite3.Error as exc:
        return f"store unreadable ({exc})"
    finally:
        db.close()
    if claims or unmoved:
        return f"{claims} files claimed and {unmoved} not yet moved by a run that died"
    return "" if generation == published_generation(warehouse) else "tables not yet published"
