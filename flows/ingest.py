"""The Prefect flow `ingest_inbox`: one task per inbox file, never one per form.

Tasks are thin wrappers over `flows.pipeline`; only the inbox scan (pure IO) is retried.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows.pipeline import FileOutcome, Planned, ingest_file, plan_inbox, record_duplicate
from flows.settings import Settings
from storage.warehouse import Warehouse


@dataclass(slots=True)
class RunSummary:
    inbox: str
    warehouse: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def forms(self) -> int:
        return sum(o.forms for o in self.outcomes)

    @property
    def indicators(self) -> int:
        return sum(o.indicators for o in self.outcomes)

    def flags(self) -> Counter:
        total: Counter = Counter()
        for outcome in self.outcomes:
            total.update(outcome.flags)
        return total

    def render(self) -> str:
        lines = [
            f"warehouse: {self.warehouse}  (pandas.read_parquet('{self.warehouse}/forms'))",
            f"files: {self.count('loaded')} loaded, {self.count('rejected')} rejected, "
            f"{self.count('duplicate')} duplicate  ({self.seconds:.1f} s)",
            f"forms: {self.forms}   indicator rows: {self.indicators}",
        ]
        flags = self.flags()
        if flags:
            lines.append("flags: " + ", ".join(f"{check} {n}" for check, n in sorted(flags.items())))
        else:
            lines.append("flags: none")
        lines += [f"rejected: {o.file_name}: {o.reason}" for o in self.outcomes if o.status == "rejected"]
        return "\n".join(lines)


@task(name="scan-inbox", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)
def scan_inbox(settings: Settings) -> list[Planned]:
    return plan_inbox(settings.inbox, Warehouse(settings.warehouse).create())


@task(name="ingest-file", cache_policy=NO_CACHE, task_run_name="ingest {item.path.name}")
def ingest_file_task(item: Planned, settings: Settings) -> FileOutcome:
    outcome = ingest_file(item.path, item.sha256, Warehouse(settings.warehouse), settings)
    detail = outcome.reason or f"{outcome.forms} forms, {sum(outcome.flags.values())} flags"
    get_run_logger().info("%s %s: %s", outcome.status, outcome.file_name, detail)
    return outcome


@task(name="record-duplicate", cache_policy=NO_CACHE, task_run_name="duplicate {item.path.name}")
def record_duplicate_task(item: Planned, settings: Settings, original: FileOutcome | None) -> FileOutcome:
    return record_duplicate(item, Warehouse(settings.warehouse), original)


@flow(name="ingest_inbox", task_runner=ThreadPoolTaskRunner(max_workers=2),  # type: ignore[arg-type]
      log_prints=False)
def ingest_inbox(inbox: str = "inbox", warehouse: str = "warehouse", family: str = "auto",
                 workers: int = 2) -> RunSummary:
    """Load every file now in the inbox into the warehouse."""
    started = time.perf_counter()
    settings = Settings.build(inbox=Path(inbox), warehouse=Path(warehouse), family=family, workers=workers)
    planned = scan_inbox(settings)
    fresh = [p for p in planned if not p.duplicate_of]
    # Duplicates wait for the files they copy, so "seen earlier" always means "recorded earlier".
    futures = [ingest_file_task.submit(item, settings) for item in fresh]
    outcomes = [f.result() for f in futures]
    by_sha = {o.sha256: o for o in outcomes}
    outcomes += [record_duplicate_task(item, settings, by_sha.get(item.sha256))
                 for item in planned if item.duplicate_of]
    summary = RunSummary(str(settings.inbox), str(settings.warehouse), outcomes, time.perf_counter() - started)
    get_run_logger().info(summary.render())
    return summary


def flow_with_workers(workers: int) -> Any:
    """`ingest_inbox` running that many files at once (the decorator's runner holds two)."""
    return ingest_inbox.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers))  # type: ignore[arg-type]
