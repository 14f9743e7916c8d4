"""The Prefect flow `ingest_inbox`: one task per batch of files, never one per form.

A task per file would cost Prefect's few milliseconds of bookkeeping per file (see
`bench/bench_run.py`), more than reading a small file; so a task reads a batch, logs each file's
outcome at INFO, and the run ends with a table artifact of every file. Locally the batches go to
`flows.workers.LocalPool`; with a Dask address they run on that cluster through prefect-dask's
`DaskTaskRunner`, carrying the files' bytes. Commits, moves and publishing stay in the flow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from flows.pipeline import BatchItem, BatchResult, FileOutcome, extract_batch
from flows.runs import Plan, Planned, RunSummary, review_command, run_inbox
from flows.settings import Settings
from flows.workers import LocalPool
from storage.store import RunBusy

ARTIFACT_KEY = "ingest-files"
REVIEW_ARTIFACT_KEY = "ingest-review"
_pools: dict[tuple, LocalPool] = {}
progress: Any = None  # the command line's progress display: .planned(files), .update(outcomes)


def _pool_key(settings: Settings) -> tuple:
    """What a worker's reading depends on: runs with the same key share a pool."""
    return (settings.workers, settings.family, settings.max_shift, settings.limits)


def pool_for(settings: Settings, pool: LocalPool | None = None) -> LocalPool:
    """This process's worker pool for these settings; `pool` registers one started early."""
    key = _pool_key(settings)
    if pool is not None:
        _pools[key] = pool
    elif key not in _pools:
        _pools[key] = LocalPool(settings).start()
    return _pools[key]


def close_pools() -> None:
    while _pools:
        _pools.popitem()[1].close()


@task(name="extract-batch", cache_policy=NO_CACHE, task_run_name="extract {label}")
def extract_batch_task(items: list[BatchItem], settings: Settings, label: str) -> BatchResult:
    """Read a batch of files; each file's outcome is a line of this task's log."""
    result = extract_batch(items, settings) if settings.dask else pool_for(settings).read(items)
    logger = get_run_logger()
    for outcome in result.outcomes:
        logger.info(outcome.line())
    return result


def _label(batch: list[Planned]) -> str:
    return batch[0].name if len(batch) == 1 else f"{batch[0].name} … ({len(batch)} files)"


def _submit(batch: list[Planned], settings: Settings) -> Any:
    items = [p.item(with_bytes=bool(settings.dask)) for p in batch]
    return extract_batch_task.submit(items, settings, _label(batch))


def _lost(batch: list[Planned], exc: BaseException) -> BatchResult:
    reason = f"the worker reading it was lost ({type(exc).__name__})"
    return BatchResult([FileOutcome(p.name, p.sha256, "rejected", reason) for p in batch])


def prefect_extract(settings: Settings) -> Callable[[list[list[Planned]]], Iterator[tuple[list[Planned], BatchResult]]]:
    """Batches as Prefect tasks, results as they finish. A batch whose worker was lost (a Dask
    worker killed) is tried again a file at a time, so only the culprit is rejected."""
    def extract(batches: list[list[Planned]]) -> Iterator[tuple[list[Planned], BatchResult]]:
        futures = {_submit(batch, settings): batch for batch in batches}
        for future in as_completed(list(futures)):
            batch = futures[future]
            try:
                yield batch, future.result()
                continue
            except Exception as exc:
                if len(batch) == 1:
                    yield batch, _lost(batch, exc)
                    continue
            for single in batch:
                try:
                    yield [single], _submit([single], settings).result()
                except Exception as exc:
                    yield [single], _lost([single], exc)
    return extract


def _report(outcomes: list[FileOutcome]) -> None:
    if progress is not None:
        progress.update(outcomes)


def _planned(plan: Plan) -> None:
    if progress is not None:
        progress.planned(len(plan.fresh) + len(plan.duplicates))


def _artifact(summary: RunSummary) -> None:
    from prefect.artifacts import create_table_artifact

    rows = [{"file": o.file_name, "status": o.status, "forms": o.forms, "flags": sum(o.flags.values()),
             "reason": o.reason, "note": o.note} for o in summary.outcomes]
    create_table_artifact(rows, key=ARTIFACT_KEY, description=summary.render().splitlines()[1])


def _review_artifact(summary: RunSummary) -> None:
    """A run that raised error flags ends with the forms a reviewer should look at, and how."""
    if not any(f.errors for f in summary.flagged):
        return
    from prefect.artifacts import create_markdown_artifact

    lines = [f"# {len(summary.flagged)} flagged forms", "", "| project | department | checks | form |",
             "| --- | --- | --- | --- |"]
    cell = lambda text: text.replace("|", "\\|")  # noqa: E731
    lines += [f"| {cell(f.project_name)} | {cell(f.department)} | {f.checks.replace(',', ', ')} | `{f.form_id}` |"
              for f in summary.flagged]
    lines += ["", f"Review them: `{review_command(summary.warehouse)}`, or on the review page: "
              f"`selfeval review --web --warehouse {summary.warehouse}`"]
    create_markdown_artifact("\n".join(lines), key=REVIEW_ARTIFACT_KEY,
                             description=f"{len(summary.flagged)} forms with open flags")


def task_runner(settings: Settings) -> Any:
    """Threads that hand batches to the local pool, or prefect-dask's runner on the given cluster."""
    if settings.dask:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=settings.dask)
    return ThreadPoolTaskRunner(max_workers=settings.workers)  # type: ignore[arg-type]


@flow(name="ingest_inbox", log_prints=False)
def ingest_inbox(inbox: str = "inbox", warehouse: str = "warehouse", family: str = "auto", workers: int = 2,
                 dask: str | None = None, wait: float = 0.0, settle: float | None = None) -> RunSummary:
    """Load every file now in the inbox into the warehouse. A run that finds another working on
    the same warehouse waits `wait` seconds for it, then is skipped and says so."""
    settings = Settings.build(inbox=Path(inbox), warehouse=Path(warehouse), family=family, workers=workers,
                              dask=dask, settle_seconds=settle)
    logger = get_run_logger()
    try:
        summary = run_inbox(settings, prefect_extract(settings), on_plan=_planned, on_batch=_report, wait=wait)
    except RunBusy as busy:
        logger.warning("skipped: %s is working on warehouse %s", busy.holder, warehouse)
        return RunSummary(inbox, warehouse, notes=[f"skipped: {busy.holder} is working on this warehouse"])
    logger.info(summary.render())
    _artifact(summary)
    _review_artifact(summary)
    return summary


def flow_for(settings: Settings) -> Any:
    """`ingest_inbox` with the task runner these settings ask for."""
    return ingest_inbox.with_options(task_runner=task_runner(settings))
