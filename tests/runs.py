"""What the kill, concurrency, serve and Dask tests share: an inbox of known files, `selfeval`
as a subprocess, and the exactly-once check of a warehouse against the inbox it was given."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

from schemas.tables import COLUMNS
from storage.publish import rows_to_arrow
from tests.conftest import FIXTURES

SELFEVAL = Path(sys.executable).with_name("selfeval")
SEED = next((FIXTURES / "seed").glob("*.txt")).read_bytes()
GOLD = json.loads((FIXTURES / "seed" / "gold.json").read_text(encoding="utf-8"))
FORMS_PER_SEED = len(GOLD["forms"])
INDICATORS_PER_SEED = sum(len(f["indicators"]) for f in GOLD["forms"])
FLAGS_PER_SEED = sum(len(checks) for checks in GOLD["expected_flags"].values())
JUNK = os.urandom(512) + b"\x00binary"


def seed_variant(n: int) -> bytes:
    """The seed's forms in other bytes (trailing blank lines), so each is a file of its own."""
    return SEED + b"\n" * n


def fill_inbox(inbox: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    """The files written in order, each modified a second after the one before (of two files
    holding the same forms, the later is current: the same one in every run of a test)."""
    start = time.time() - 3600
    for number, (name, data) in enumerate(files.items()):
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_bytes(data)
        os.utime(inbox / name, (start + number, start + number))
    return files


def selfeval(*args: str, env: dict[str, str | None] | None = None, fault: str = "",
             **popen: object) -> subprocess.Popen:
    """`selfeval ARGS` started as a user starts it, in this environment changed by `env` (a None
    value removes the variable); `fault` sets the SELFEVAL_FAULT test hook."""
    merged = {**os.environ, **(env or {})}
    environment = {k: v for k, v in merged.items() if v is not None}
    environment.pop("SELFEVAL_FAULT", None)
    if fault:
        environment["SELFEVAL_FAULT"] = fault
    return subprocess.Popen([str(SELFEVAL), *args], env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **popen)  # type: ignore[call-overload]


def run_args(work: Path, *more: str) -> list[str]:
    return ["run", "--inbox", str(work / "inbox"), "--warehouse", str(work / "warehouse"), "--settle", "0", *more]


def stored_bytes(work: Path) -> Counter:
    """The bytes of every file in archive/ and rejected/ (reasons aside), counted."""
    found: Counter = Counter()
    for folder in ("archive", "rejected"):
        for path in (work / folder).rglob("*") if (work / folder).exists() else []:
            if path.is_file() and not path.name.endswith(".reason.txt"):
                found[path.read_bytes()] += 1
    return found


def assert_exactly_once(work: Path, inputs: dict[str, bytes]) -> None:
    """Each input once in the ledger, each distinct file's forms once, no doubled row, every
    byte in archive/ or rejected/, nothing left in the inbox, no temporary file anywhere."""
    warehouse = work / "warehouse"
    files = pd.read_parquet(warehouse / "files")
    assert sorted(files["file_name"]) == sorted(inputs), files[["file_name", "status", "reason"]]
    loaded = files[files["status"] == "loaded"]
    assert loaded["sha256"].is_unique
    seeds = {data for data in inputs.values() if data.startswith(SEED)}
    assert len(loaded) == len(seeds)
    forms = pd.read_parquet(warehouse / "forms")
    indicators = pd.read_parquet(warehouse / "indicators")
    flags = pd.read_parquet(warehouse / "flags")
    assert forms["form_id"].is_unique and not indicators.duplicated(["form_id", "seq"]).any()
    assert flags["flag_id"].is_unique
    # the seed's variants are re-issues of the same forms: one current set is published
    current = 1 if seeds else 0
    assert (len(forms), len(indicators), len(flags)) == (
        FORMS_PER_SEED * current, INDICATORS_PER_SEED * current, FLAGS_PER_SEED * current)
    assert [p for p in (work / "inbox").rglob("*") if p.is_file()] == []
    assert stored_bytes(work) == Counter(inputs.values())
    leftovers = [p for p in work.rglob("*") if p.name.endswith(".tmp") or ".link-" in p.name]
    assert leftovers == []
    assert len([p for p in (warehouse / ".published").iterdir()]) <= 2
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        assert db.execute("select count(*) from claims").fetchone()[0] == 0
        assert db.execute("select count(*) from files where moved = 0").fetchone()[0] == 0
        assert db.execute("select count(*) from files").fetchone()[0] == len(inputs)
        stored = db.execute("select count(*), count(distinct form_id), sum(current) from forms").fetchone()
        assert stored == (FORMS_PER_SEED * len(seeds), FORMS_PER_SEED * len(seeds), FORMS_PER_SEED * current)


def every_version(warehouse: Path) -> list[pd.DataFrame]:
    """forms, indicators and flags of every form the run loaded, read from the store with the
    published tables' types: most cases hold the seed's forms, so the last of them to be modified
    is current and published, and the others are kept as versions it superseded."""
    tables = []
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        for table in ("forms", "indicators", "flags"):
            columns = ", ".join('"' + c + '"' for c in COLUMNS[table])
            tables.append(rows_to_arrow(table, db.execute(f"select {columns} from {table}").fetchall()).to_pandas())
    return tables
