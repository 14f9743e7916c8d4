"""flows/workers.py: a file that kills, stalls or bloats its worker is rejected with the reason,
and the rest of its batch loads. Faults come from the SELFEVAL_FAULT hook (`flows.faults`)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from flows.pipeline import BatchItem
from flows.settings import Settings
from flows.workers import LocalPool
from storage.inbox import sha256_of
from tests.runs import SEED, seed_variant

pytestmark = pytest.mark.slow


def batch(folder: Path) -> list[BatchItem]:
    items = []
    for name, data in (("a.txt", SEED), ("b.txt", seed_variant(1)), ("c.txt", seed_variant(2))):
        (folder / name).write_bytes(data)
        items.append(BatchItem(name, sha256_of(folder / name), str(folder / name)))
    return items


@pytest.mark.parametrize(("fault", "limits", "reason"), [
    ("kill", {}, "the worker reading it died (SIGKILL)"),
    ("pause", {"max_seconds_per_file": 3}, "reading it took over the 3 s limit (SELFEVAL_MAX_SECONDS_PER_FILE)"),
    ("memory", {"max_worker_mb": 700}, "reading it used over the 700 MB memory limit (SELFEVAL_MAX_WORKER_MB)"),
])
def test_a_file_that_ends_its_worker_is_rejected_alone(tmp_path: Path, monkeypatch, fault: str, limits: dict,
                                                       reason: str) -> None:
    monkeypatch.setenv("SELFEVAL_FAULT", f"read:b.txt:{fault}")
    pool = LocalPool(Settings.build(workers=1, **limits)).start()
    try:
        result = pool.read(batch(tmp_path))
        again = pool.read(batch(tmp_path)[:1])  # the worker was started afresh
    finally:
        pool.close()
    outcomes = {o.file_name: o for o in result.outcomes}
    assert (outcomes["b.txt"].status, outcomes["b.txt"].reason) == ("rejected", reason)
    assert [outcomes[n].status for n in ("a.txt", "c.txt")] == ["loaded", "loaded"]
    assert len(result.rows["forms"]) == 2 * 7
    assert not any(row[0].startswith(outcomes["b.txt"].sha256[:16]) for row in result.rows["forms"])
    assert again.outcomes[0].status == "loaded"


def test_batches_read_ahead_are_handed_to_the_task_that_asks(tmp_path: Path) -> None:
    """What `selfeval run` reads while its Prefect server starts is what the flow's tasks are
    given: files read ahead need not be there any more when asked for; a batch not read ahead
    is read when asked, and the batches read ahead but not begun are then dropped."""
    items = batch(tmp_path)
    first, second, third = [items[0]], [items[1]], [items[2]]
    pool = LocalPool(Settings.build(workers=1)).start()
    try:
        assert pool.read_ahead([first, second]) == 2
        handed = pool.read(first)  # waits for the worker reading it ahead
        deadline = time.monotonic() + 60
        while not pool._ahead[next(iter(pool._ahead))].future.done() and time.monotonic() < deadline:
            time.sleep(0.05)
        Path(second[0].path).unlink()  # read ahead already: asking for it reads nothing again
        handed_later = pool.read(second)
        missed = pool.read(third)
        refused = pool.read_ahead([first])  # a task has asked: no more reading ahead
    finally:
        pool.close()
    assert [o.status for o in handed.outcomes + handed_later.outcomes + missed.outcomes] == ["loaded"] * 3
    assert len(handed_later.rows["forms"]) == len(missed.rows["forms"]) == 7
    assert refused == 0


def test_a_task_asking_for_other_batches_stops_the_reading_ahead(tmp_path: Path) -> None:
    items = batch(tmp_path)
    pool = LocalPool(Settings.build(workers=1)).start()
    try:
        pool.read_ahead([[items[0]], [items[1]], [items[2]]])
        other = pool.read([items[2], items[1]])  # not a batch read ahead: those not begun are dropped
        dropped = [item.name for ahead in pool._ahead.values() for item in ahead.items if not ahead.begun]
        again = pool.read([items[1]])  # dropped, or begun before: read now, or handed over
    finally:
        pool.close()
    assert dropped == []
    assert [o.status for o in other.outcomes + again.outcomes] == ["loaded"] * 3
