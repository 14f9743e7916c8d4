"""Many pages recognised across processes, each page at most once (see `extractors.ocr.cache`).

Worker processes are started once, on first need, and kept for the life of the process, each
loading the engine once, with one inference thread apiece when there are several, so two
workers use two cores without fighting over them. A handful of pages is read in-process
instead, where the engine uses every core for one page at a time.
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
from functools import cache
from multiprocessing import get_context
from typing import Any

import numpy as np

from extractors.cells import Row
from extractors.ocr.cache import Records, cached, records_to_rows, remember, rows_to_records
from extractors.ocr.page import read_page

MIN_POOL_PAGES = 4  # fewer new pages than this are read in-process, which is quicker for them
_worker_engine: Any = None
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_starting = threading.Lock()


@cache
def shared_engine() -> Any:
    """This process's engine, for pages recognised in-process."""
    from extractors.ocr.engine import make_engine

    return make_engine()


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
        threads = max(1, (os.cpu_count() or 1) // workers)
        _pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker,
                                    initargs=(threads,))
        _pool_size = workers
    return _pool


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
    if workers <= 1 or len(todo) < max(min_pool_pages, 2):
        engine = shared_engine()
        return {key: rows_to_records(read_page(image, engine, page=page)) for key, image, page in todo}
    return _in_workers(todo, workers)


def recognise_pages_raw(pages: list[tuple[str, np.ndarray]], *, page_numbers: list[int], workers: int = 2,
                        min_pool_pages: int = MIN_POOL_PAGES) -> list[list[Row]]:
    """Rows of every page as recognised, each distinct key recognised once ever."""
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
