"""A run's bookkeeping around extraction: recover, plan, claim, commit, move, publish.

Exactly once, whatever happens to the process: a run holds the warehouse's run lock; it first
finishes what a run that died left (its claims are taken over, its committed files still in the
inbox are moved); it claims its files before any work; a batch's outcomes and rows commit in one
transaction; a file is moved out of the inbox only after its outcome is committed, and a move
that fails is that file's note, retried by the next run.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flows.faults import fault_point
from flows.pipeline import BatchItem, BatchResult, FileOutcome
from flows.settings import Settings
from review.identity import settle_forms
from review.queries import FlaggedForm, flagged_in_run
from storage.inbox import clear_leftovers, inbox_files, move_file, settled, sha256_of, target_for
from storage.publish import publish
from storage.store import STORE_FILE, FileRecord, Store

log = logging.getLogger("selfeval")
MAX_BATCH_FILES = 64
MAX_BATCH_BYTES = 64 << 20
SHOWN_FLAGGED = 20  # flagged forms the run's summary names; the rest are counted


@dataclass(slots=True)
class Planned:
    path: Path
    name: str  # the path within the inbox, as the ledger names the file
    sha256: str
    size: int = 0
    duplicate_of: str = ""

    def item(self, *, with_bytes: bool = False) -> BatchItem:
        return BatchItem(self.name, self.sha256, str(self.path), self.path.read_bytes() if with_bytes else None)


@dataclass(slots=True)
class Plan:
    fresh: list[Planned] = field(default_factory=list)
    duplicates: list[Planned] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written: left for a later run

    def __bool__(self) -> bool:
        return bool(self.fresh or self.duplicates)


@dataclass(slots=True)
class RunSummary:
    inbox: str
    warehouse: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    flagged: list[FlaggedForm] = field(default_factory=list)  # forms of this run with open flags, errors first

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
        flags = self.flags()
        lines.append("flags: " + (", ".join(f"{check} {n}" for check, n in sorted(flags.items())) or "none"))
        lines += [f"rejected: {o.file_name}: {o.reason}" for o in self.outcomes if o.status == "rejected"]
        lines += [f"waiting: {o.file_name}: {o.reason}" for o in self.outcomes if o.status == "waiting"]
        lines += [f"note: {o.file_name}: {o.note}" for o in self.outcomes if o.note]
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
    notes = [f"took over {path}, claimed by run {run[:8]}, which ended without finishing"
             for path, run in store.take_over_claims()]
    moved = []
    for entry in store.unmoved():
        source, target = Path(entry.source_path), Path(entry.moved_to)
        try:
            if source.exists():
                move_file(source, target, _sidecar(FileRecord("", "", entry.status, entry.reason,
                                                              moved_to=entry.moved_to)))
            moved.append((entry.id, str(target) if target.exists() else ""))
        except OSError as exc:
            notes.append(f"{source}: still cannot be moved to {target} ({exc.strerror})")
    if moved:
        store.mark_moved(moved)
        notes.append(f"moved {len(moved)} files a run that died had committed")
    for folder in ("archive", "rejected"):
        clear_leftovers(inbox.parent / folder)
    return notes


def plan_inbox(inbox: Path, store: Store, *, settle: float) -> Plan:
    """Every settled inbox file with its hash; bytes loaded before, or seen earlier in this run,
    make a duplicate."""
    committed = {Path(u.source_path) for u in store.unmoved()}  # recorded already; only their move is due
    ready, changing = settled([p for p in inbox_files(inbox) if p not in committed], settle=settle)
    plan = Plan(waiting=[p.relative_to(inbox).as_posix() for p in changing])
    hashed = []
    for path in ready:
        try:
            hashed.append((path, sha256_of(path), path.stat().st_size))
        except OSError:  # gone or unreadable since it was listed: a later run sees it again
            plan.waiting.append(path.relative_to(inbox).as_posix())
    loaded = store.loaded_files(sha for _, sha, _ in hashed)
    seen: dict[str, str] = {}
    for path, sha, size in hashed:
        name = path.relative_to(inbox).as_posix()
        original = loaded.get(sha) or seen.get(sha, "")
        seen.setdefault(sha, name)
        (plan.duplicates if original else plan.fresh).append(Planned(path, name, sha, size, original))
    return plan


def make_batches(fresh: list[Planned], workers: int, *, max_files: int = MAX_BATCH_FILES,
                 max_bytes: int = MAX_BATCH_BYTES) -> list[list[Planned]]:
    """Batches small enough to keep every worker busy to the end, bounded in files and bytes."""
    size = max(1, min(max_files, -(-len(fresh) // (workers * 4))))
    batches: list[list[Planned]] = [[]]
    for item in fresh:
        if len(batches[-1]) >= size or (batches[-1] and sum(p.size for p in batches[-1]) + item.size > max_bytes):
            batches.append([])
        batches[-1].append(item)
    return [b for b in batches if b]


def _sidecar(record: FileRecord) -> str:
    """The reason written beside a file that goes to rejected/ (a rejected file or a copy of one)."""
    return record.reason if record.status == "rejected" or ", rejected: " in record.reason else ""


def settle_files(store: Store, records: list[FileRecord], outcomes: dict[str, FileOutcome]) -> None:
    """Move committed files out of the inbox; a move that fails is the file's note, not the run's end."""
    done = []
    for number, record in enumerate(records):
        if number == 1:
            fault_point("while-moving")
        try:
            move_file(Path(record.source_path), Path(record.moved_to), _sidecar(record))
            done.append((record.source_path, record.moved_to))
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


def _records(inbox: Path, planned: dict[str, Planned], outcomes: list[FileOutcome],
             taken: set[Path]) -> tuple[list[FileRecord], dict[str, FileOutcome]]:
    """Ledger records of the outcomes to commit, each with where its bytes will go."""
    records, by_source = [], {}
    for outcome in outcomes:
        if outcome.status == "waiting":
            continue
        item = planned[outcome.file_name]
        rejected = outcome.status == "rejected" or ", rejected: " in outcome.reason
        target = target_for(item.path, inbox, "rejected" if rejected else "archive", item.sha256, taken)
        records.append(FileRecord(outcome.file_name, item.sha256, outcome.status, outcome.reason, outcome.forms,
                                  str(item.path), str(target), _mtime_ns(item.path)))
        by_source[str(item.path)] = outcome
    return records, by_source


def commit_outcomes(store: Store, inbox: Path, planned: dict[str, Planned], outcomes: list[FileOutcome],
                    rows: dict[str, list[list]], taken: set[Path]) -> None:
    """Commit a batch's outcomes with its rows, then move its files. A commit that fails leaves
    the batch's files in the inbox for the next run."""
    records, by_source = _records(inbox, planned, outcomes, taken)
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
    settle_files(store, records, by_source)


def duplicate_outcomes(plan: Plan, outcomes: Iterable[FileOutcome]) -> list[FileOutcome]:
    """Copies of files seen before: each goes where its original went (rejected with it)."""
    by_sha = {o.sha256: o for o in outcomes}
    result = []
    for item in plan.duplicates:
        original = by_sha.get(item.sha256)
        reason = f"same bytes as {item.duplicate_of}"
        if original is not None and original.status == "waiting":
            result.append(FileOutcome(item.name, item.sha256, "waiting", f"{reason}, which waits"))
        elif original is not None and original.status == "rejected":
            result.append(FileOutcome(item.name, item.sha256, "duplicate", f"{reason}, rejected: {original.reason}"))
        else:
            result.append(FileOutcome(item.name, item.sha256, "duplicate", reason))
    return result


def finish(store: Store, inbox: Path, plan: Plan, outcomes: list[FileOutcome], taken: set[Path]) -> list[FileOutcome]:
    """Record the duplicates once their originals are committed, then publish."""
    duplicates = duplicate_outcomes(plan, outcomes)
    commit_outcomes(store, inbox, {p.name: p for p in plan.duplicates}, duplicates, {}, taken)
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
        store.claim((str(p.path), p.sha256) for p in [*plan.fresh, *plan.duplicates])
        fault_point("after-claim")
        if on_plan is not None:
            on_plan(plan)
        outcomes: list[FileOutcome] = []
        taken: set[Path] = set()
        planned = {p.name: p for p in plan.fresh}
        for _, result in extract(make_batches(plan.fresh, settings.workers)):
            fault_point("before-commit")
            commit_outcomes(store, inbox, planned, result.outcomes, result.rows, taken)
            outcomes += result.outcomes
            if on_batch is not None:
                on_batch(result.outcomes)
        outcomes += finish(store, inbox, plan, outcomes, taken)
        store.release(str(p.path) for p in [*plan.fresh, *plan.duplicates])
        with store.connect() as db:
            flagged = flagged_in_run(db, store.run_id)
    summary = RunSummary(str(inbox), str(settings.warehouse), outcomes, time.perf_counter() - started, notes,
                         flagged)
    summary.notes += [f"waiting: {name}: still being written" for name in plan.waiting]
    return summary


def ingest_one(path: Path, sha256: str, warehouse: Path, settings: Settings) -> FileOutcome:
    """One file, read in this process, as a run of its own: a duplicate, or committed and moved."""
    from flows.pipeline import extract_batch

    store = Store.open(warehouse)
    inbox = settings.inbox if settings.inbox in path.parents else path.parent
    item = Planned(path, path.relative_to(inbox).as_posix(), sha256, path.stat().st_size)
    with store.run_lock(inbox=str(inbox)):
        original = store.loaded_files([sha256]).get(sha256, "")
        if original:
            result = BatchResult([FileOutcome(item.name, sha256, "duplicate", f"same bytes as {original}")])
        else:
            result = extract_batch([item.item()], settings)
        commit_outcomes(store, inbox, {item.name: item}, result.outcomes, result.rows, set())
        publish(store)
    return result.outcomes[0]


def publish_committed(warehouse: Path) -> None:
    """On the way out of a run or of serving that was stopped: what the store committed is
    published, so the tables a user reads next are not behind the files already moved."""
    if (warehouse / STORE_FILE).exists():
        publish(Store.open(warehouse))
