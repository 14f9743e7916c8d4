"""Many pages recognised across processes, each page at most once (see `extractors.ocr.cache`).

The page pool: `SELFEVAL_OCR_WORKERS` worker processes (default: one per core, at most 2),
started once, on first need, and kept for the life of the process, each loading the engine
once. When there are several, each runs `SELFEVAL_OCR_THREADS` inference threads (default: the
cores shared out, so one each on two cores), so the workers never fight over a core. The pages
of one file are spread over the workers. A handful of pages, or any number with one worker, is
read in this process, whose engine uses the same thread count. It is safe to call from the main
process: workers are spawned, never forked, and never re-run the caller's `__main__`.

A file pool that runs several files at once in processes of its own should give each of them
`configure(workers=1, threads=1)` (or the two variables), so files × threads never exceeds the
cores; a single process that reads files one at a time keeps the default and lets this pool
spread each file's pages.
"""

from __future__ import annotations

import os
import sys
import threading
import types
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from extractors.cells import Row
from extractors.exceptions import SettingsError
from extractors.ocr.cache import Records, cached, records_to_rows, remember, rows_to_records
from extractors.ocr.page import read_page

MIN_POOL_PAGES = 4  # fewer new pages than this do not start the pool: read in-process, they are done sooner
MAX_WORKERS = 2     # the default pool is one worker a core, up to this many
WORKERS_ENV, THREADS_ENV = "SELFEVAL_OCR_WORKERS", "SELFEVAL_OCR_THREADS"
_worker_engine: Any = None
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_starting = threading.Lock()


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """How many OCR worker processes, and inference threads in each (0: the cores shared out)."""

    workers: int
    threads: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 64:
            raise SettingsError(f"bad setting {WORKERS_ENV}={self.workers}: allowed 1 to 64", field="ocr")
        if not 0 <= self.threads <= 64:
            raise SettingsError(f"bad setting {THREADS_ENV}={self.threads}: allowed 0 (the cores shared out) to 64",
                                field="ocr")

    def threads_each(self, workers: int) -> int:
        """Inference threads for each of `workers` engines running at once."""
        return self.threads or max(1, (os.cpu_count() or 1) // max(workers, 1))


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"bad setting {name}={text!r}: not a whole number", field="ocr") from None


_settings: PoolSettings | None = None


def pool_settings() -> PoolSettings:
    """The pool's settings: as `configure` set them, else from the environment, else the defaults."""
    global _settings
    if _settings is None:
        default = max(1, min(os.cpu_count() or 1, MAX_WORKERS))
        _settings = PoolSettings(_env_int(WORKERS_ENV, default), _env_int(THREADS_ENV, 0))
    return _settings


def configure(*, workers: int, threads: int = 0) -> None:
    """Size the page pool of this process (before its first page; a running pool is stopped)."""
    global _settings
    new = PoolSettings(workers, threads)
    close_workers()
    shared_engine.cache_clear()
    _settings = new


@cache
def shared_engine() -> Any:
    """This process's engine, for pages recognised in-process."""
    from extractors.ocr.engine import make_engine

    return make_engine(threads=pool_settings().threads_each(1))


def _start_worker(threads: int) -> None:
    global _worker_engine
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import cv2

    from extractors.ocr.engine import make_engine

    cv2.setNumThreads(threads)
    _worker_engine = make_engine(threads=threads)


def _recognise_in_worker(image: np.ndarray, page: int) -> Records:
    return rows_to_records(read_page(image, _worker_engine, page=page))


@contextmanager
def _workers_skip_main() -> Iterator[None]:
    """Start workers without re-running the caller's `__main__`: they need nothing from it, and a
    script without an `if __name__ == "__main__"` guard would otherwise run again in each one."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """The process's pool of `workers` workers, started on first use (call with `_starting` held)."""
    global _pool, _pool_size
    if _pool is None or _pool_size != workers:
        if _pool is not None:
            _pool.shutdown(wait=False)
        threads = pool_settings().threads_each(workers)
        _pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                                    initargs=(threads,))
        _pool_size = workers
    return _pool


@dataclass(frozen=True, slots=True)
class WorkerUsage:
    """What one worker process has used so far: its peak resident memory and its CPU time."""

    pid: int
    peak_rss: int        # bytes
    cpu_seconds: float


def _usage(pid: int) -> WorkerUsage | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    peak = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    ticks = os.sysconf("SC_CLK_TCK")
    return WorkerUsage(pid, peak, (int(fields[11]) + int(fields[12])) / ticks)  # utime, stime


def worker_usage() -> list[WorkerUsage]:
    """Each running worker's peak memory and CPU time (read from /proc: Linux only, else empty)."""
    processes = getattr(_pool, "_processes", None) or {}
    return [u for pid in list(processes) if (u := _usage(pid)) is not None]


def close_workers() -> None:
    """Stop the worker processes (they start again when next needed)."""
    global _pool
    with _starting:
        if _pool is not None:
            _pool.shutdown(wait=True)
            _pool = None


def _in_workers(todo: list[tuple[str, np.ndarray, int]], workers: int) -> dict[str, Records]:
    with _starting, _workers_skip_main():  # workers start as the first pages are submitted
        pool = _worker_pool(workers)
        futures: list[Future[Records]] = [pool.submit(_recognise_in_worker, image, page) for _, image, page in todo]
    try:
        return {key: future.result() for (key, _, _), future in zip(todo, futures, strict=True)}
    except BrokenProcessPool:
        close_workers()  # a worker died (out of memory?): the next call starts afresh
        raise


def _recognise(todo: list[tuple[str, np.ndarray, int]], workers: int, *,
               min_pool_pages: int = MIN_POOL_PAGES) -> dict[str, Records]:
    """Rows of each page not seen before, by key."""
    running = _pool is not None and _pool_size == workers  # then two pages are worth sending to it
    if workers <= 1 or len(todo) < (2 if running else max(min_pool_pages, 2)):
        engine = shared_engine()
        return {key: rows_to_records(read_page(image, engine, page=page)) for key, image, page in todo}
    return _in_workers(todo, workers)


def recognise_pages_raw(pages: list[tuple[str, np.ndarray]], *, page_numbers: list[int],
                        workers: int | None = None, min_pool_pages: int = MIN_POOL_PAGES) -> list[list[Row]]:
    """Rows of every page as recognised, each distinct key recognised once ever; `workers`
    defaults to the pool's setting."""
    workers = pool_settings().workers if workers is None else workers
    if len(pages) != len(page_numbers):
        raise ValueError(f"{len(pages)} pages but {len(page_numbers)} page numbers")
    found: dict[str, Records] = {}
    todo: dict[str, tuple[str, np.ndarray, int]] = {}
    for (key, image), number in zip(pages, page_numbers, strict=True):
        if key in found or key in todo:
            continue
        records = cached(key)
        if records is None:
            todo[key] = (key, image, number)
        else:
            found[key] = records
    for key, records in _recognise(list(todo.values()), workers, min_pool_pages=min_pool_pages).items():
        remember(key, records)
        found[key] = records
    return [records_to_rows(found[key], page=number) for (key, _), number in zip(pages, page_numbers, strict=True)]
