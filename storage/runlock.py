"""One run at a time per warehouse: an exclusive lock on `selfeval.lock` beside the store, which
the kernel releases when its process dies, however it dies; the holder registers itself in the
store's `runs` table, so a run that waits can say who it waits for."""

from __future__ import annotations

import fcntl
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_FILE = "selfeval.lock"
_RUNS = """create table if not exists runs (run_id text primary key, pid integer, host text, inbox text,
    started_at text, finished_at text not null default '')"""


class RunBusy(Exception):
    """Another live process holds the warehouse's run lock."""

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(holder)


_held: dict[Path, int] = {}  # warehouse -> descriptor of the run lock this process holds


class RunLocking:
    """The run lock of a store (`root`, `run_id`, `connect()` and `transaction()` come from it)."""

    root: Path
    run_id: str

    def connect(self) -> Any:
        raise NotImplementedError

    def transaction(self) -> Any:
        raise NotImplementedError

    @contextmanager
    def run_lock(self, *, wait: float = 0.0, inbox: str = "", on_wait: Any = None) -> Iterator[str]:
        """Hold the warehouse's run lock; yields this run's id. Raises `RunBusy` after `wait` seconds.

        Re-entrant within a process: a flow run inside `selfeval run` shares the command's lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        key = self.root.resolve()
        if key in _held:
            yield self.run_id or self._register_run(inbox)
            return
        fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._acquire(fd, wait, on_wait)
            _held[key] = fd
            try:
                yield self._register_run(inbox)
            finally:
                del _held[key]
                self._finish_run()
        finally:
            os.close(fd)  # closing releases the lock

    def _acquire(self, fd: int, wait: float, on_wait: Any) -> None:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                holder = self.running_run()
                if time.monotonic() >= deadline:
                    raise RunBusy(holder) from None
                if on_wait is not None and not told:
                    on_wait(holder)
                    told = True
                time.sleep(0.2)

    def running_run(self) -> str:
        """Who holds the lock, as one phrase: 'run 1a2b (pid 42 on host, started …)'."""
        try:
            with self.connect() as db:
                row = db.execute("select run_id, pid, host, started_at from runs where finished_at = '' "
                                 "order by started_at desc limit 1").fetchone()
        except sqlite3.Error:  # the holder has not registered yet
            row = None
        return f"run {row[0][:8]} (pid {row[1]} on {row[2]}, started {row[3]})" if row else "another run"

    def _register_run(self, inbox: str) -> str:
        self.run_id = os.urandom(8).hex()
        with self.transaction() as db:
            db.execute(_RUNS)
            db.execute("update runs set finished_at = ? where finished_at = ''", ("ended without finishing",))
            db.execute("insert into runs values (?, ?, ?, ?, ?, '')",
                       (self.run_id, os.getpid(), socket.gethostname(), inbox, datetime.now(UTC).isoformat(timespec="seconds")))
        return self.run_id

    def _finish_run(self) -> None:
        with self.transaction() as db:
            db.execute("update runs set finished_at = ? where run_id = ?", (datetime.now(UTC).isoformat(timespec="seconds"), self.run_id))

