"""The published tables: parquet snapshots of the store, what readers and `selfeval sql` read.

Each publish reads the four tables in one read transaction of the store (one consistent state),
writes them into a new generation folder `.published/<generation>/<table>/`, one file per year
(`2022.parquet`; `no-year.parquet` for forms whose year was not printed; the ledger by the year a
file was seen), and then points the symlink `<warehouse>/<table>` at it with an atomic rename. A
reader opening `<warehouse>/forms` therefore sees one generation, whole; the previous generation
stays on disk until the next publish, for readers still on it. However many files were loaded,
a table is at most one file per year.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import ARROW_SCHEMAS, COLUMNS, TABLES, empty_frame
from storage.store import Store, published_generation

PUBLISHED = ".published"
PUBLISH_LOCK = "selfeval.publish.lock"
KEEP_GENERATIONS = 2   # the current one and the one before, for a reader still reading it
NO_YEAR = "no-year"


def _fault(point: str) -> None:
    """The kill tests' hook (`flows.faults`), without this layer importing the one above it."""
    if os.environ.get("SELFEVAL_FAULT", "").startswith(point + ":"):
        os.kill(os.getpid(), 9)


@contextmanager
def _publish_lock(root: Path) -> Iterator[None]:
    fd = os.open(root / PUBLISH_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


TIMESTAMPS = {("files", "seen_at")}  # kept as ISO 8601 text in the store, published as UTC timestamps
_UTC = pa.timestamp("s", tz="UTC")


@cache
def _schema(table: str) -> pa.Schema:
    """The table's arrow schema, with the pandas metadata that gives a reader its dtypes back."""
    frame = empty_frame(table)
    schema = ARROW_SCHEMAS[table]
    for name in [n for t, n in TIMESTAMPS if t == table]:
        frame[name] = pd.Series([], dtype="datetime64[s, UTC]")
        schema = schema.set(schema.get_field_index(name), pa.field(name, _UTC))
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False).schema


def _array(column: tuple, kind: pa.DataType) -> pa.Array:
    if kind == _UTC:
        return pa.array([datetime.fromisoformat(v) if v else None for v in column], type=kind)
    return pa.array(column, type=kind)


def rows_to_arrow(table: str, rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS[table])
    schema = _schema(table)
    arrays = [_array(column, field.type) for column, field in zip(columns, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)


def _year_keys(table: str, rows: list[tuple], form_years: dict[str, int | None]) -> list[str]:
    names = list(COLUMNS[table])
    if table == "files":
        at = names.index("seen_at")
        return [row[at][:4] or NO_YEAR for row in rows]
    if table == "forms":
        year = names.index("year")
        return [str(row[year]) if row[year] is not None else NO_YEAR for row in rows]
    form = names.index("form_id")
    return [str(y) if (y := form_years.get(row[form])) is not None else NO_YEAR for row in rows]


def _write_table(folder: Path, table: str, rows: list[tuple], form_years: dict[str, int | None]) -> int:
    """One parquet file per year; a table without rows gets one empty file that keeps its columns."""
    folder.mkdir(parents=True)
    if not rows:
        pq.write_table(rows_to_arrow(table, []), folder / "empty.parquet")
        return 1
    by_year: dict[str, list[tuple]] = defaultdict(list)
    for key, row in zip(_year_keys(table, rows, form_years), rows, strict=True):
        by_year[key].append(row)
    for key, part in by_year.items():
        pq.write_table(rows_to_arrow(table, part), folder / f"{key}.parquet")
    return len(by_year)


def _point(root: Path, table: str, target: Path) -> None:
    """Make `<warehouse>/<table>` a symlink to target, atomically; an old real folder is kept aside."""
    link = root / table
    if link.exists() and not link.is_symlink():  # a warehouse of the earlier layout: keep its parts
        link.rename(root / PUBLISHED / f"before-{time.strftime('%Y%m%dT%H%M%S')}-{table}")
    temporary = root / f".{table}.link-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, root), temporary)
    os.replace(temporary, link)


def _prune(root: Path, base: Path, keep: list[str]) -> None:
    """Remove generations no reader needs, and symlinks a publish that died left half-made."""
    for leftover in root.glob(".*.link-*"):
        leftover.unlink(missing_ok=True)
    for folder in base.iterdir():
        if folder.name.isdigit() and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def publish(store: Store) -> int:
    """Publish the store's current state unless it is published already; returns its generation."""
    root = store.root
    with _publish_lock(root):
        with store.connect() as db:
            db.execute("begin")  # one snapshot of every table
            generation = int(db.execute("select value from meta where key = 'generation'").fetchone()[0])
            if generation == published_generation(root):
                db.execute("rollback")
                return generation
            rows = {table: store.read_rows(db, table) for table in TABLES}
            db.execute("rollback")
        forms = list(COLUMNS["forms"])
        form_id, year = forms.index("form_id"), forms.index("year")
        form_years = {row[form_id]: row[year] for row in rows["forms"]}
        base = root / PUBLISHED
        folder = base / f"{generation:012d}"
        if folder.exists():  # left half-written by a publish that died
            shutil.rmtree(folder)
        for table in TABLES:
            _write_table(folder / table, table, rows[table], form_years)
        _fault("during-publish")
        for table in TABLES:
            _point(root, table, folder / table)
        previous = sorted(p.name for p in base.iterdir() if p.name.isdigit() and p.name < folder.name)
        _prune(root, base, [folder.name, *previous[-(KEEP_GENERATIONS - 1):]])
        return generation


def is_published(store: Store) -> bool:
    return store.generation() == published_generation(store.root)
