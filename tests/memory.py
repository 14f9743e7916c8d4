"""Peak resident memory of a whole process tree, sampled: what a run costs the machine.

`TreePeak(pid)` samples, every `interval` seconds on a thread of its own, the resident memory of
the process and of every process below it (workers, their OCR page workers, a temporary Prefect
server), and keeps the largest sum seen. A process's own peak (VmHWM) says nothing of its
children, and `ru_maxrss` of the children is their largest one, not their sum: hence sampling.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

MiB = 1 << 20


def tree_resident(pid: int) -> int:
    """Bytes resident in `pid` and all its descendants now (a process gone meanwhile counts 0)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total


class TreePeak:
    """`with TreePeak(pid) as peak: ...` then `peak.mib`: the largest sum of the tree's RSS seen."""

    def __init__(self, pid: int, *, interval: float = 0.05) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True, name="tree-peak")

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_resident(self.pid))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        return self.peak / MiB
