"""storage/: the store's schema follows the contract's columns, the published layout is bounded and
read whole, the inbox waits for files still being written and reads sub-folders."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from flows.runs import run_inbox
from flows.settings import Settings
from flows.workers import in_process
from storage.inbox import inbox_files, is_partial, settled
from storage.publish import publish
from storage.store import Store
from tests.runs import JUNK, SEED, fill_inbox, seed_variant


def run_plain(work: Path, **settings: object) -> object:
    built = Settings.build(inbox=work / "inbox", warehouse=work / "warehouse", settle_seconds=0, **settings)
    return run_inbox(built, in_process(built))


def test_a_column_added_to_the_contract_is_added_to_an_existing_store(tmp_path: Path, monkeypatch) -> None:
    from schemas import tables

    Store.open(tmp_path)
    monkeypatch.setitem(tables.COLUMNS, "flags", {**tables.COLUMNS["flags"], "source_page": "int"})
    Store.open(tmp_path)
    with sqlite3.connect(tmp_path / "selfeval.sqlite") as db:
        columns = [row[1] for row in db.execute("pragma table_info(flags)")]
    assert columns[-1] == "source_page"


def test_published_tables_are_one_file_per_year_however_many_runs(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    for run in range(4):
        fill_inbox(tmp_path / "inbox", {f"{run}-a.txt": seed_variant(2 * run), f"{run}-b.txt": seed_variant(2 * run + 1)})
        run_plain(tmp_path)
    warehouse = tmp_path / "warehouse"
    forms = pd.read_parquet(warehouse / "forms")
    years = {str(y) for y in forms["year"].dropna()}
    for table in ("forms", "indicators", "flags"):
        assert sorted(p.stem for p in (warehouse / table).glob("*.parquet")) == sorted(years)
    assert len(forms) == 7 and forms["form_id"].is_unique  # eight re-issues of the same forms: the latest published
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        assert db.execute("select count(*), sum(current) from forms").fetchone() == (8 * 7, 7)
    assert forms["year"].dtype == "Int64" and forms["project_name"].dtype == "str"
    assert len(list((warehouse / ".published").iterdir())) == 2


def test_a_reader_always_sees_one_whole_generation(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                forms = pd.read_parquet(tmp_path / "warehouse" / "forms")
                seen.append(len(forms))
                assert forms["form_id"].is_unique
            except FileNotFoundError:
                pass  # not yet published
            except BaseException as exc:  # noqa: BLE001 - any failure of a reader is the finding
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for run in range(6):
            fill_inbox(tmp_path / "inbox", {f"{run}.txt": seed_variant(run)})
            run_plain(tmp_path)
    finally:
        done.set()
        reader.join()
    assert errors == []
    assert seen and all(n % 7 == 0 for n in seen) and seen == sorted(seen)


def test_one_run_at_a_time_per_warehouse(tmp_path: Path) -> None:
    first, second = Store.open(tmp_path), Store.open(tmp_path)
    holder = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first.run_lock(inbox="one"):
            holder.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holder.wait(10)
    try:
        os.environ.pop("SELFEVAL_FAULT", None)
        # the lock is per process and re-entrant inside it: another process is what it keeps out
        import subprocess
        import sys

        code = ("import sys; from storage.store import Store, RunBusy\n"
                "try:\n    Store(sys.argv[1]).run_lock(wait=0.5).__enter__()\nexcept RunBusy as b:\n"
                "    print(b.holder); sys.exit(3)")
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 3, done.stderr
        assert done.stdout.startswith("run ") and f"pid {os.getpid()}" in done.stdout
    finally:
        release.set()
        thread.join()
    with second.run_lock(wait=1):
        pass


def test_the_inbox_leaves_partial_downloads_and_changing_files_for_a_later_run(tmp_path: Path) -> None:
    names = ["a.part", "b.FILEPART", "c.partial", "d.crdownload", "e.download", "f.tmp", "~$g.xlsx", "h.txt~",
             ".hidden.txt"]
    assert all(is_partial(n) for n in names) and not is_partial("form.txt")
    fill_inbox(tmp_path, {**{n: b"x" for n in names}, "sub/deep/form.txt": SEED, "top.txt": SEED})
    assert [p.relative_to(tmp_path).as_posix() for p in inbox_files(tmp_path)] == ["sub/deep/form.txt", "top.txt"]

    growing = tmp_path / "growing.txt"
    growing.write_bytes(b"a")

    def keep_writing() -> None:
        for _ in range(8):
            time.sleep(0.1)
            with growing.open("ab") as handle:
                handle.write(b"more")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    ready, changing = settled([growing, tmp_path / "top.txt"], settle=0.5)
    writer.join()
    assert changing == [growing]
    os.utime(tmp_path / "top.txt", (time.time() - 60, time.time() - 60))
    started = time.monotonic()
    assert settled([tmp_path / "top.txt"], settle=5) == ([tmp_path / "top.txt"], [])
    assert time.monotonic() - started < 1, "a file last changed long ago is not watched"


def test_sub_folders_are_read_and_kept_in_archive_and_rejected(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    fill_inbox(tmp_path / "inbox", {"2022/a.txt": SEED, "2022/junk.txt": JUNK, "b.txt": seed_variant(1)})
    summary = run_plain(tmp_path)
    assert sorted((o.file_name, o.status) for o in summary.outcomes) == [
        ("2022/a.txt", "loaded"), ("2022/junk.txt", "rejected"), ("b.txt", "loaded")]
    assert (tmp_path / "archive" / "2022" / "a.txt").read_bytes() == SEED
    assert (tmp_path / "rejected" / "2022" / "junk.txt.reason.txt").exists()
    forms = pd.read_parquet(tmp_path / "warehouse" / "forms")
    assert set(forms["source_file"]) == {"b.txt"}  # the same forms re-issued later: b.txt's are current
    with sqlite3.connect(tmp_path / "warehouse" / "selfeval.sqlite") as db:
        stored = dict(db.execute("select source_file, count(*) from forms group by source_file").fetchall())
    assert stored == {"2022/a.txt": 7, "b.txt": 7}


def test_a_file_gone_before_its_move_is_its_own_note_not_the_runs_end(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "inbox").mkdir()
    fill_inbox(tmp_path / "inbox", {"a.txt": SEED, "b.txt": seed_variant(1)})
    real_commit = Store.commit

    def commit_then_lose(self: Store, records: list, rows: dict, **more: object) -> None:
        real_commit(self, records, rows, **more)  # type: ignore[arg-type]
        for record in records:
            if record.file_name == "a.txt":
                Path(record.source_path).unlink()

    monkeypatch.setattr(Store, "commit", commit_then_lose)
    summary = run_plain(tmp_path)
    outcomes = {o.file_name: o for o in summary.outcomes}
    assert outcomes["a.txt"].status == "loaded" and "left the inbox" in outcomes["a.txt"].note
    assert outcomes["b.txt"].status == "loaded" and (tmp_path / "archive" / "b.txt").exists()


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), OSError(36, "File name too long")])
def test_a_move_that_fails_is_retried_by_the_next_run(tmp_path: Path, monkeypatch, error: OSError) -> None:
    import flows.runs as runs

    (tmp_path / "inbox").mkdir()
    fill_inbox(tmp_path / "inbox", {"a.txt": SEED, "b.txt": seed_variant(1)})
    real_move = runs.move_file

    def failing(source: Path, target: Path, reason: str = "", **where: object) -> Path:
        if source.name == "a.txt":
            raise error
        return real_move(source, target, reason, **where)

    monkeypatch.setattr(runs, "move_file", failing)
    summary = run_plain(tmp_path)
    outcomes = {o.file_name: o for o in summary.outcomes}
    assert outcomes["a.txt"].status == "loaded" and error.strerror in outcomes["a.txt"].note
    assert (tmp_path / "inbox" / "a.txt").exists() and (tmp_path / "archive" / "b.txt").exists()
    still_failing = run_plain(tmp_path)  # recorded once: never a duplicate of itself
    assert still_failing.outcomes == [] and (tmp_path / "inbox" / "a.txt").exists()
    monkeypatch.setattr(runs, "move_file", real_move)
    again = run_plain(tmp_path)
    assert again.outcomes == [] and (tmp_path / "archive" / "a.txt").read_bytes() == SEED
    files = pd.read_parquet(tmp_path / "warehouse" / "files")
    assert sorted(files["file_name"]) == ["a.txt", "b.txt"]


def test_publish_twice_without_a_change_writes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    first = publish(store)
    before = sorted(p.name for p in (tmp_path / ".published").iterdir())
    assert publish(store) == first
    assert sorted(p.name for p in (tmp_path / ".published").iterdir()) == before


def test_a_warehouse_of_the_earlier_layout_is_taken_into_the_store(tmp_path: Path) -> None:
    from storage.warehouse import Warehouse

    (tmp_path / "inbox").mkdir()
    fill_inbox(tmp_path / "inbox", {"a.txt": SEED, "junk.txt": JUNK})
    run_plain(tmp_path)
    earlier = tmp_path / "earlier"
    for table in ("files", "forms", "indicators", "flags"):  # real folders of parquet parts, no store
        shutil.copytree(tmp_path / "warehouse" / table, earlier / table)
    Warehouse(earlier).create()
    for table in ("files", "forms", "indicators", "flags"):
        assert (earlier / table).is_symlink()
        pd.testing.assert_frame_equal(pd.read_parquet(earlier / table), pd.read_parquet(tmp_path / "warehouse" / table))
