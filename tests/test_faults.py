"""A real `selfeval run` killed (SIGKILL) at named points, then run again: every file once.

Kills come from the `SELFEVAL_FAULT` hook (`flows.faults`), except the kill during extraction,
which is sent from outside while a worker is reading. The runs share one Prefect server started
here, except that one, which starts its own temporary server and must leave no process behind.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import psutil
import pytest

from tests.runs import JUNK, SEED, assert_exactly_once, fill_inbox, run_args, seed_variant, selfeval

pytestmark = pytest.mark.slow


def inbox_files(work: Path) -> dict[str, bytes]:
    """Two form files, one that is rejected, and a copy of each form file (committed together)."""
    (work / "inbox").mkdir(parents=True)
    return fill_inbox(work / "inbox", {"a.txt": SEED, "sub/b.txt": seed_variant(1), "junk.txt": JUNK,
                                       "copy-of-a.txt": SEED, "sub/copy-of-b.txt": seed_variant(1)})


def finished(process, timeout: float = 120) -> tuple[int, str]:
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out


@pytest.mark.parametrize("point", ["after-claim", "before-commit", "after-commit", "while-moving",
                                   "before-publish", "during-publish"])
def test_a_run_killed_at_a_point_is_finished_by_the_next_run(tmp_path: Path, api_url: str, point: str) -> None:
    inputs = inbox_files(tmp_path)
    env = {"PREFECT_API_URL": api_url}
    code, out = finished(selfeval(*run_args(tmp_path), env=env, fault=f"{point}:kill"))
    assert code == -signal.SIGKILL, out
    rerun(tmp_path)
    assert_exactly_once(tmp_path, inputs)


def rerun(work: Path) -> None:
    """The next run, in this process and without Prefect (the same recovery, commits and moves)."""
    from flows.runs import run_inbox
    from flows.settings import Settings
    from flows.workers import in_process

    settings = Settings.build(inbox=work / "inbox", warehouse=work / "warehouse", settle_seconds=0)
    run_inbox(settings, in_process(settings))


def _claimed(warehouse: Path) -> bool:
    try:
        with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
            return db.execute("select count(*) from claims").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def test_a_run_killed_while_reading_leaves_no_process_and_loses_nothing(tmp_path: Path) -> None:
    inputs = inbox_files(tmp_path)
    env: dict[str, str | None] = {"PREFECT_API_URL": None}  # its own temporary server
    run = selfeval(*run_args(tmp_path), env=env, fault="read:sub/b.txt:pause")
    deadline = time.monotonic() + 90
    while not _claimed(tmp_path / "warehouse"):
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()[0]
        time.sleep(0.2)
    time.sleep(1)
    children = psutil.Process(run.pid).children(recursive=True)
    assert len(children) >= 3, "the file workers and the temporary server should be running"
    run.send_signal(signal.SIGKILL)
    run.wait()
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
    assert (tmp_path / "inbox" / "sub" / "b.txt").exists(), "a file being read stays in the inbox"
    code, out = finished(selfeval(*run_args(tmp_path), env=env))
    assert code == 0, out
    assert_exactly_once(tmp_path, inputs)
