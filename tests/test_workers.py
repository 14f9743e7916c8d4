"""flows/workers.py: a file that kills, stalls or bloats its worker is rejected with the reason,
and the rest of its batch loads. Faults come from the SELFEVAL_FAULT hook (`flows.faults`)."""

from __future__ import annotations

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
