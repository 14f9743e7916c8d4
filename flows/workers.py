"""Where files are read: a pool of local worker processes, each watched by the run.

Each worker reads one batch at a time and says which file it has begun, so the run knows the
culprit when a worker is ended: over the per-file time limit, over the resident-memory limit (its
own and its children's), or dead of itself (a crash, the kernel's out-of-memory killer). The
culprit is rejected with the limit or the signal named; the batch's other files are read again
by a fresh worker. A worker never ends the run.

Scanned pages: a worker that reaches OCR takes the pool's one OCR gate first, so at most one
file is recognised at a time and its page workers (`extractors.ocr`) have the cores to
themselves, rather than every file worker starting a page pool of its own.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
import types
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any

from flows.pipeline import BatchItem, BatchResult, FileOutcome, extract_batch
from flows.settings import Settings

POLL_SECONDS = 0.05
MEMORY_CHECK_SECONDS = 0.25
_conn: Connection | None = None  # in a worker: the pipe to the run
_current = 0                     # in a worker: the file of the batch being read


def _watch_parent() -> None:
    """A worker ends itself (and its own children) when the run that started it is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        _kill_children(os.getpid())
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _allow_page_workers() -> None:
    """The run starts its workers daemonic (never waited for when it exits), but a worker must be
    able to start the OCR page pool's processes, which multiprocessing refuses to a daemonic one:
    inside the worker it is not one. Its page workers end with it (`_kill_children`, `_watch_parent`)."""
    import multiprocessing

    multiprocessing.current_process()._config["daemon"] = False  # type: ignore[attr-defined]


def _gate_ocr(gate: Any) -> None:
    """Recognition waits for the pool's OCR gate; the file's clock starts again once it has it."""
    import extractors.ocr as ocr

    recognise = getattr(ocr, "recognise_pages", None)
    if recognise is None:
        return

    def gated(*args: Any, **kwargs: Any) -> Any:
        with gate:
            if _conn is not None:
                _conn.send(("file", _current))
            return recognise(*args, **kwargs)

    ocr.recognise_pages = gated  # type: ignore[attr-defined]


def _warm_up(settings: Settings) -> None:
    """What every first file would pay (the family, the table schemas), paid before any file's
    clock starts."""
    from extractors import inputs
    from extractors.extract import catalog_for
    from schemas import tables

    catalog_for(settings.family)
    assert tables.SCHEMAS and inputs.READERS


def _began(number: int) -> None:
    global _current
    _current = number
    assert _conn is not None
    _conn.send(("file", number))


def _worker_main(conn: Connection, settings: Settings, gate: Any) -> None:
    global _conn
    _conn = conn
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    _allow_page_workers()
    _watch_parent()
    _gate_ocr(gate)
    _warm_up(settings)
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):
            return
        if items is None:
            return
        conn.send(("done", extract_batch(items, settings, on_file=_began)))


def _kill_children(pid: int) -> None:
    import psutil

    try:
        for child in psutil.Process(pid).children(recursive=True):
            child.kill()
    except psutil.Error:
        pass


def _resident_mb(pid: int) -> float:
    """Resident memory of a worker and everything it started, in MB."""
    import psutil

    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
    except psutil.Error:
        return 0.0
    return total / (1 << 20)


@dataclass(slots=True)
class _Ended:
    file: int  # the file being read, or len(items) while the batch was being validated
    reason: str


class FileWorker:
    """One worker process and its pipe; started again after it is ended."""

    def __init__(self, settings: Settings, gate: Any) -> None:
        self.settings, self.gate = settings, gate
        self.process: Any = None
        self.conn: Connection | None = None

    def start(self) -> None:
        context = get_context("spawn")
        ours, theirs = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(theirs, self.settings, self.gate), daemon=True,
                                       name="selfeval-file-worker")
        main = sys.modules["__main__"]  # the worker needs nothing of the caller's script: do not re-run it
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            self.process.start()
        finally:
            sys.modules["__main__"] = main
        theirs.close()
        self.conn = ours

    def ask_to_stop(self) -> None:
        try:
            if self.conn is not None and self.process is not None:
                self.conn.send(None)
        except OSError:
            pass

    def stop(self, deadline: float) -> None:
        """Wait for the worker to leave until `deadline` (monotonic), then end it."""
        if self.process is None:
            return
        self.process.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.kill()
        self.process = None

    def kill(self) -> None:
        if self.process is not None and self.process.pid:
            _kill_children(self.process.pid)
            self.process.kill()
            self.process.join(timeout=5)
        self.process = None

    def read(self, items: list[BatchItem]) -> BatchResult | _Ended:
        """The batch's result, or which file the worker was on when it was ended, and why."""
        if self.process is None or not self.process.is_alive():
            self.start()
        assert self.conn is not None
        self.conn.send(items)
        current, began, checked = 0, time.monotonic(), 0.0
        while True:
            try:
                if self.conn.poll(POLL_SECONDS):
                    kind, value = self.conn.recv()
                    if kind == "done":
                        return value
                    current, began = value, time.monotonic()
                    continue
            except (EOFError, OSError):
                pass
            ended = self._check(began, checked)
            if ended is not None:
                self.kill()
                return _Ended(current, ended)
            if time.monotonic() - checked > MEMORY_CHECK_SECONDS:
                checked = time.monotonic()

    def _check(self, began: float, checked: float) -> str | None:
        """Why the worker must be ended (or has ended), if it must."""
        process = self.process
        if process is None or not process.is_alive():
            code = process.exitcode if process is not None else None
            name = signal.Signals(-code).name if code is not None and code < 0 else f"exit code {code}"
            return f"the worker reading it died ({name})"
        if time.monotonic() - began > self.settings.limits.max_seconds_per_file:
            return f"reading it took {self.settings.limit_reason('seconds')}"
        if time.monotonic() - checked > MEMORY_CHECK_SECONDS and _resident_mb(process.pid) > self.settings.limits.max_worker_mb:
            return f"reading it used {self.settings.limit_reason('memory')}"
        return None


def _key(items: list[BatchItem]) -> tuple:
    return tuple((i.name, i.sha256, i.path, i.data is None) for i in items)


@dataclass(slots=True)
class _Ahead:
    """A batch read ahead: its files, its result to come, and whether a worker has begun it."""

    items: list[BatchItem]
    future: Future = field(default_factory=Future)
    begun: bool = False


class LocalPool:
    """`settings.workers` worker processes shared by the run's batch tasks (threads).

    Reading ahead: `read_ahead` starts the workers on batches before any task asks for them
    (`selfeval run` does so while Prefect is imported and its server starts); a task asking for
    the same files is handed the result (waiting for it if need be). Nothing is written by
    reading: a result read ahead that no task asks for is dropped. Once a task asks for a batch
    that was not read ahead, the batches not yet begun are dropped, so the two never compete.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.gate = get_context("spawn").Lock()
        self.workers = [FileWorker(settings, self.gate) for _ in range(settings.workers)]
        self.idle: queue.Queue[FileWorker] = queue.Queue()
        for worker in self.workers:
            self.idle.put(worker)
        self._ahead: dict[tuple, _Ahead] = {}
        self._order: deque[tuple] = deque()
        self._lock = threading.Lock()
        self._asked = False

    def start(self) -> LocalPool:
        """Start every worker now (they import the extractors while the run gets ready)."""
        for worker in self.workers:
            worker.start()
        return self

    def close(self, *, grace: float = 1.0) -> None:
        with self._lock:
            self._asked = True
            self._ahead.clear()
            self._order.clear()
        for worker in self.workers:
            worker.ask_to_stop()
        deadline = time.monotonic() + grace
        for worker in self.workers:
            worker.stop(deadline)

    def read(self, items: list[BatchItem]) -> BatchResult:
        """A batch read by the next free worker, or the one read ahead; a file that ends its
        worker is rejected alone."""
        with self._lock:
            self._asked = True
            ahead = self._ahead.pop(_key(items), None)
            if ahead is None:  # not the batches read ahead: those not begun are dropped
                self._ahead = {key: a for key, a in self._ahead.items() if a.begun}
            elif not ahead.begun:  # not begun yet: this task reads it itself
                ahead.begun, ahead = True, None
        if ahead is not None:
            return ahead.future.result()
        return self._read_now(items)

    def read_ahead(self, batches: list[list[BatchItem]]) -> int:
        """Start reading these batches, in order, on every worker; returns how many were taken
        (none once a task has asked for a batch)."""
        with self._lock:
            if self._asked:
                return 0
            for items in batches:
                key = _key(items)
                self._ahead[key] = _Ahead(items)
                self._order.append(key)
        for number in range(min(len(self.workers), len(batches))):
            threading.Thread(target=self._read_ahead, daemon=True, name=f"selfeval-read-ahead-{number}").start()
        return len(batches)

    def _read_ahead(self) -> None:
        while (ahead := self._next_ahead()) is not None:
            try:
                ahead.future.set_result(self._read_now(ahead.items))
            except BaseException as exc:  # the task asking for it sees the error, as if it had read it
                ahead.future.set_exception(exc)

    def _next_ahead(self) -> _Ahead | None:
        with self._lock:
            while self._order:
                ahead = self._ahead.get(self._order.popleft())
                if ahead is not None and not ahead.begun:
                    ahead.begun = True
                    return ahead
        return None

    def _read_now(self, items: list[BatchItem]) -> BatchResult:
        worker = self.idle.get()
        try:
            return _read_with(worker, items)
        finally:
            self.idle.put(worker)


def _read_with(worker: FileWorker, items: list[BatchItem]) -> BatchResult:
    ended_outcomes: list[FileOutcome] = []
    while True:
        result = worker.read(items)
        if isinstance(result, BatchResult):
            result.outcomes[:0] = ended_outcomes
            return result
        if result.file >= len(items):  # ended while validating the batch: read its files one by one
            parts = [_read_with(worker, [item]) for item in items]
            return BatchResult(ended_outcomes + [o for p in parts for o in p.outcomes],
                               {t: [r for p in parts for r in p.rows.get(t, [])] for t in ("forms", "indicators", "flags")})
        culprit = items[result.file]
        ended_outcomes.append(FileOutcome(culprit.name, culprit.sha256, "rejected", result.reason))
        items = items[:result.file] + items[result.file + 1:]
        if not items:
            return BatchResult(ended_outcomes)


def in_process(settings: Settings) -> Any:
    """Batches read one after another in this process (tests, benchmarks, a debugger)."""
    def extract(batches: list[list[Any]]) -> Any:
        for batch in batches:
            yield batch, extract_batch([p.item() for p in batch], settings)
    return extract


def on_pool(pool: LocalPool) -> Any:
    """Batches read by the pool's workers, as many at once as there are workers, as they finish."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def extract(batches: list[list[Any]]) -> Any:
        with ThreadPoolExecutor(len(pool.workers), thread_name_prefix="selfeval-batch") as threads:
            futures = {threads.submit(pool.read, [p.item() for p in batch]): batch for batch in batches}
            for future in as_completed(futures):
                yield futures[future], future.result()
    return extract
