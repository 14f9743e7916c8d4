"""Runs side by side on one warehouse: two `selfeval run`, two inboxes sharing files, and
`selfeval serve` with a manual run. One run at a time works; every file ends once."""

from __future__ import annotations

import signal
import socket
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.runs import JUNK, SEED, assert_exactly_once, fill_inbox, run_args, seed_variant, selfeval

pytestmark = pytest.mark.slow


def wait_for_claims(warehouse: Path, process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
                if db.execute("select count(*) from claims").fetchone()[0]:
                    return
        except sqlite3.Error:
            pass
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0]
        time.sleep(0.2)


def test_a_second_run_waits_for_the_first_and_no_file_is_worked_on_twice(tmp_path: Path, api_url: str) -> None:
    (tmp_path / "inbox").mkdir()
    inputs = fill_inbox(tmp_path / "inbox", {"a.txt": SEED, "b.txt": seed_variant(1), "junk.txt": JUNK})
    env = {"PREFECT_API_URL": api_url}
    first = selfeval(*run_args(tmp_path), env=env, fault="read:a.txt:pause=4")
    wait_for_claims(tmp_path / "warehouse", first)
    second = selfeval(*run_args(tmp_path), env=env)
    out_second, _ = second.communicate(timeout=120)
    out_first, _ = first.communicate(timeout=120)
    assert (first.returncode, second.returncode) == (0, 0), out_first + out_second
    assert "waiting: run " in out_second and "is working on warehouse" in out_second
    assert "files: 2 loaded, 1 rejected" in out_first
    assert f"nothing new in {tmp_path / 'inbox'}" in out_second
    assert_exactly_once(tmp_path, inputs)


def test_two_inboxes_sharing_files_load_each_once_into_one_warehouse(tmp_path: Path, api_url: str) -> None:
    env = {"PREFECT_API_URL": api_url}
    for side in ("one", "two"):
        (tmp_path / side / "inbox").mkdir(parents=True)
    one = fill_inbox(tmp_path / "one" / "inbox", {"a.txt": SEED, "b.txt": seed_variant(1)})
    two = fill_inbox(tmp_path / "two" / "inbox", {"a-again.txt": SEED, "c.txt": seed_variant(2)})
    warehouse = str(tmp_path / "warehouse")
    runs = [selfeval("run", "--inbox", str(tmp_path / side / "inbox"), "--warehouse", warehouse, "--settle", "0",
                     env=env) for side in ("one", "two")]
    outs = [run.communicate(timeout=180)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outs
    files = pd.read_parquet(Path(warehouse) / "files").set_index("file_name")
    assert sorted(files.index) == sorted([*one, *two])
    shared = files.loc[["a.txt", "a-again.txt"], "status"]
    assert sorted(shared) == ["duplicate", "loaded"]
    forms = pd.read_parquet(Path(warehouse) / "forms")
    assert forms["form_id"].is_unique and len(forms) == 7  # three files of the same forms: the latest is current
    with sqlite3.connect(Path(warehouse) / "selfeval.sqlite") as db:
        assert db.execute("select count(*), sum(current) from forms").fetchone() == (3 * 7, 7)


def test_serve_and_a_manual_run_share_the_warehouse_one_at_a_time(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    inputs = fill_inbox(tmp_path / "inbox", {"a.txt": SEED, "sub/b.txt": seed_variant(1), "junk.txt": JUNK,
                                             "copy.txt": SEED})
    port = free_port()
    env: dict[str, str | None] = {"PREFECT_API_URL": None,  # serve starts a server of its own
                                  "PREFECT_HOME": str(tmp_path / "prefect-home")}
    serve = selfeval("serve", "--interval", "2", "--port", str(port), "--inbox", str(tmp_path / "inbox"),
                     "--warehouse", str(tmp_path / "warehouse"), env=env)
    try:
        wait_until_answers(port, serve)
        manual = selfeval(*run_args(tmp_path), env={**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"},
                          fault="read:a.txt:pause=12")
        out_manual, _ = manual.communicate(timeout=120)
        assert manual.returncode == 0, out_manual
        late = fill_inbox(tmp_path / "inbox", {"late.txt": seed_variant(3)})  # for a scheduled run
        deadline = time.monotonic() + 90
        while (tmp_path / "inbox" / "late.txt").exists():
            assert serve.poll() is None and time.monotonic() < deadline, "no scheduled run took the late file"
            time.sleep(0.5)
    finally:
        serve.send_signal(signal.SIGTERM)
        started = time.monotonic()
        out_serve, _ = serve.communicate(timeout=60)
    assert time.monotonic() - started < 20
    assert serve.returncode == 0, out_serve
    assert "Traceback" not in out_serve
    assert "skipped: run " in out_serve, out_serve  # a scheduled run met the manual one and said so
    assert_exactly_once(tmp_path, {**inputs, **late})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answers(port: int, process, timeout: float = 120) -> None:
    from flows.server import healthy

    deadline = time.monotonic() + timeout
    while not healthy(f"http://127.0.0.1:{port}/api", timeout=1):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()[0]
        time.sleep(0.5)
