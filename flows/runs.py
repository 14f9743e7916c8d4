"""A run's bookkeeping around extraction: recover, plan, claim, commit, move, publish.

Exactly once, whatever happens to the process: a run holds the warehouse's run lock; it first
finishes what a run that died left (its claims are taken over, its committed files still in the
inbox are moved); it claims its files before any work; a batch's outcomes and rows commit in one
transaction; a file is moved out of the inbox only after its outcome is committed, and a move
that fails is that file's note, retried by the next run.

Nothing outside the inbox is read or written but the warehouse, archive/ and rejected/: a symbolic
link is rejected unread and moved as a link, a file that cannot be opened is rejected with the
reason, and a move never replaces a file nor goes through a link (`storage.moves`).
"""

from __future__ import annotations

import logging
import os
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flows.faults import fault_point
from flows.pipeline import BatchResult, FileOutcome
from flows.plan import Plan, Planned, make_batches, plan_inbox
from flows.settings import Settings
from review.identity import settle_forms
from review.queries import FlaggedForm, flagged_in_run, superseded_in_run
from storage.inbox import clear_leftovers
from storage.moves import move_file, target_in, write_reason
from storage.names import ledger_name, path_text, readable, short_hash, shown, text_path
from storage.publish import publish
from storage.store import STORE_FILE, FileRecord, Store

__all__ = ["Plan", "Planned", "RunSummary", "make_batches", "plan_inbox", "run_inbox"]

log = logging.getLogger("selfeval")
SHOWN_FLAGGED = 20  # flagged forms the run's summary names; the rest are counted


@dataclass(slots=True)
class RunSummary:
    inbox: str
    warehouse: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    flagged: list[FlaggedForm] = field(default_factory=list)  # forms of this run with open flags, errors first
    superseded: tuple[int, int] = (0, 0)  # this run's forms a later copy supersedes; earlier forms it supersedes

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
        waiting = self.count("waiting")
        lines = [
            f"warehouse: {self.warehouse}  (pandas.read_parquet('{self.warehouse}/forms'))",
            f"files: {self.count('loaded')} loaded, {self.count('rejected')} rejected, "
            f"{self.count('duplicate')} duplicate" + (f", {waiting} waiting" if waiting else "")
            + f"  ({self.seconds:.1f} s)",
            f"forms: {self.forms}   indicator rows: {self.indicators}",
        ]
        older, replaced = self.superseded
        if older or replaced:
            lines.append("re-issued forms: " + ", ".join(
                ([f"{older} of these superseded by a later copy in another file"] if older else [])
                + ([f"{replaced} earlier forms superseded by these"] if replaced else []))
                + " (the current copy is published; every copy stays in the store)")
        flags = self.flags()
        lines.append("flags: " + (", ".join(f"{check} {n}" for check, n in sorted(flags.items())) or "none"))
        lines += [f"rejected: {shown(o.file_name)}: {o.reason}" for o in self.outcomes if o.status == "rejected"]
        lines += [f"waiting: {shown(o.file_name)}: {o.reason}" for o in self.outcomes if o.status == "waiting"]
        lines += [f"note: {shown(o.file_name)}: {o.note}" for o in self.outcomes if o.note]
        return "\n".join(lines + self.notes + self.flagged_lines())

    def flagged_lines(self, top: int = SHOWN_FLAGGED) -> list[str]:
        if not self.flagged:
            return []
        lines = [f"flagged forms: {len(self.flagged)}"]
        lines += [f"  {f.project_name or f.form_id} — {f.department or '?'}: {f.checks.replace(',', ', ')}"
                  for f in self.flagged[:top]]
        if len(self.flagged) > top:
            lines.append(f"  … and {len(self.flagged) - top} more")
        return lines + [f"review them: {review_command(self.warehouse)}"]


def review_command(warehouse: str) -> str:
    return f"selfeval review list --warehouse {shlex.quote(warehouse)}"


def recover(store: Store, inbox: Path) -> list[str]:
    """Finish what a run that died left: take over its claims, move its committed files."""
    notes = [f"took over {shown(readable(path))}, claimed by run {run[:8]}, which ended without finishing"
             for path, run in store.take_over_claims()]
    moved = []
    for entry in store.unmoved():
        source, target = text_path(entry.source_path), text_path(entry.moved_to)
        reason = entry.reason if entry.status == "rejected" else ""
        try:
            if os.path.lexists(source):
                target = move_file(source, target, reason, root=_root_of(target, inbox),
                                   tag=short_hash(entry.source_path))
            elif reason and os.path.lexists(target):  # moved, but its reason not yet written
                write_reason(target, reason)
            moved.append((entry.id, path_text(target) if os.path.lexists(target) else ""))
        except OSError as exc:
            notes.append(f"{shown(readable(str(source)))}: still cannot be moved to {target} ({exc.strerror or exc})")
    if moved:
        store.mark_moved(moved)
        notes.append(f"moved {len(moved)} files a run that died had committed")
    for folder in ("archive", "rejected"):
        clear_leftovers(inbox.parent / folder)
    return notes


def _root_of(target: Path, inbox: Path) -> Path:
    """The archive/ or rejected/ folder `target` lies in: no link is gone through below it."""
    text = str(target)
    return next((root for root in (inbox.parent / "archive", inbox.parent / "rejected")
                 if text.startswith(f"{root}{os.sep}")), target.parent)


def _sidecar(record: FileRecord) -> str:
    """The reason written beside a file that goes to rejected/."""
    return record.reason if record.status == "rejected" else ""


def settle_files(store: Store, inbox: Path, records: list[FileRecord], outcomes: dict[str, FileOutcome]) -> None:
    """Move committed files out of the inbox; a move that fails is the file's note, not the run's end."""
    done = []
    for number, record in enumerate(records):
        if number == 1:
            fault_point("while-moving")
        target = text_path(record.moved_to)
        try:
            where = move_file(text_path(record.source_path), target, _sidecar(record),
                              root=_root_of(target, inbox), tag=short_hash(record.source_path))
            done.append((record.source_path, path_text(where)))
        except FileNotFoundError:
            done.append((record.source_path, ""))
            outcomes[record.source_path].note = "it left the inbox before it could be moved"
        except OSError as exc:
            outcomes[record.source_path].note = f"not moved: {exc.strerror or exc}; the next run moves it"
    if done:
        store.mark_moved(done)


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _records(inbox: Path, planned: dict[str, Planned],
             outcomes: list[FileOutcome]) -> tuple[list[FileRecord], dict[str, FileOutcome]]:
    """Ledger records of the outcomes to commit, each with where its bytes will go."""
    records, by_source = [], {}
    for outcome in outcomes:
        if outcome.status == "waiting":
            continue
        item = planned[outcome.file_name]
        target = target_in(inbox.parent / ("rejected" if outcome.status == "rejected" else "archive"), item.name)
        source = path_text(item.path)
        records.append(FileRecord(outcome.file_name, item.sha256, outcome.status, outcome.reason, outcome.forms,
                                  source, path_text(target), _mtime_ns(item.path)))
        by_source[source] = outcome
    return records, by_source


def commit_outcomes(store: Store, inbox: Path, planned: dict[str, Planned], outcomes: list[FileOutcome],
                    rows: dict[str, list[list]]) -> None:
    """Commit a batch's outcomes with its rows, then move its files. A commit that fails leaves
    the batch's files in the inbox for the next run."""
    records, by_source = _records(inbox, planned, outcomes)
    if not records:
        return
    try:
        store.commit(records, rows, settle=settle_forms)  # re-issued forms superseded, decisions re-applied
    except Exception as exc:  # the disk filled, the database went away: these files wait
        for outcome in outcomes:
            if outcome.status != "waiting":
                outcome.status, outcome.reason = "waiting", f"could not be recorded ({exc}); left for the next run"
                outcome.forms, outcome.indicators, outcome.flags = 0, 0, Counter()
        return
    fault_point("after-commit")
    settle_files(store, inbox, records, by_source)


def duplicate_outcomes(plan: Plan, outcomes: Iterable[FileOutcome]) -> list[FileOutcome]:
    """Copies of files seen before: each goes where its original went (rejected with it)."""
    by_sha = {o.sha256: o for o in outcomes}
    result = []
    for item in plan.duplicates:
        original = by_sha.get(item.sha256)
        reason = f"same bytes as {item.duplicate_of}"
        if original is not None and original.status == "waiting":
            result.append(FileOutcome(item.name, item.sha256, "waiting", f"{reason}, which waits"))
        elif original is not None and original.status == "rejected":  # a reviewer filtering rejected sees it
            result.append(FileOutcome(item.name, item.sha256, "rejected", original.reason))
        else:
            result.append(FileOutcome(item.name, item.sha256, "duplicate", reason))
    return result


def refuse(store: Store, inbox: Path, plan: Plan) -> list[FileOutcome]:
    """Record and move the files refused unread (links, files that cannot be opened)."""
    refused = [FileOutcome(p.name, p.sha256, "rejected", p.refused) for p in plan.refused]
    commit_outcomes(store, inbox, {p.name: p for p in plan.refused}, refused, {})
    return refused


def finish(store: Store, inbox: Path, plan: Plan, outcomes: list[FileOutcome]) -> list[FileOutcome]:
    """Record the duplicates once their originals are committed, then publish."""
    duplicates = duplicate_outcomes(plan, outcomes)
    commit_outcomes(store, inbox, {p.name: p for p in plan.duplicates}, duplicates, {})
    fault_point("before-publish")
    publish(store)
    return duplicates


Extractor = Callable[[list[list[Planned]]], Iterable[tuple[list[Planned], BatchResult]]]


def run_inbox(settings: Settings, extract: Extractor, *, on_plan: Callable[[Plan], None] | None = None,
              on_batch: Callable[[list[FileOutcome]], None] | None = None, wait: float = 0.0) -> RunSummary:
    """A whole run in plain Python, with `extract` giving each batch's result as it is ready."""
    started = time.perf_counter()
    store = Store.open(settings.warehouse)
    inbox = settings.inbox
    with store.run_lock(wait=wait, inbox=str(inbox)):
        notes = recover(store, inbox)
        plan = plan_inbox(inbox, store, settle=settings.settle_seconds)
        store.claim((path_text(p.path), p.sha256) for p in plan.all())
        fault_point("after-claim")
        if on_plan is not None:
            on_plan(plan)
        outcomes = refuse(store, inbox, plan)
        planned = {p.name: p for p in plan.fresh}
        for _, result in extract(make_batches(plan.fresh, settings.workers)):
            fault_point("before-commit")
            commit_outcomes(store, inbox, planned, result.outcomes, result.rows)
            outcomes += result.outcomes
            if on_batch is not None:
                on_batch(result.outcomes)
        outcomes += finish(store, inbox, plan, outcomes)
        store.release(path_text(p.path) for p in plan.all())
        with store.connect() as db:
            flagged = flagged_in_run(db, store.run_id)
            superseded = superseded_in_run(db, store.run_id)
    summary = RunSummary(str(inbox), str(settings.warehouse), outcomes, time.perf_counter() - started, notes,
                         flagged, superseded)
    summary.notes += [f"waiting: {shown(name)}: still being written" for name in plan.waiting]
    summary.notes += [f"left: {note}" for note in plan.left]  # in the flow run's log with the summary
    return summary


def ingest_one(path: Path, sha256: str, warehouse: Path, settings: Settings) -> FileOutcome:
    """One file, read in this process, as a run of its own: a duplicate, or committed and moved."""
    from flows.pipeline import extract_batch

    store = Store.open(warehouse)
    inbox = settings.inbox if settings.inbox in path.parents else path.parent
    item = Planned(path, ledger_name(path, inbox), sha256, path.stat().st_size)
    with store.run_lock(inbox=str(inbox)):
        original = store.loaded_files([sha256]).get(sha256, "")
        if original:
            result = BatchResult([FileOutcome(item.name, sha256, "duplicate", f"same bytes as {original}")])
        else:
            result = extract_batch([item.item()], settings)
        commit_outcomes(store, inbox, {item.name: item}, result.outcomes, result.rows)
        publish(store)
    return result.outcomes[0]


def publish_committed(warehouse: Path) -> None:
    """On the way out of a run or of serving that was stopped: what the store committed is
    published, so the tables a user reads next are not behind the files already moved."""
    if (warehouse / STORE_FILE).exists():
        publish(Store.open(warehouse))
