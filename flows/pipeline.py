"""The stages of a run in plain Python: plan the inbox, extract a batch of files, commit it, move it.

Extraction (`extract_batch`) is pure: it reads files and returns rows, so it runs the same in
this process, in a local worker process or on a Dask worker. Everything that writes the warehouse
happens in the run's own process, through `storage.store` (commits) and `storage.publish`.
The Prefect flow (`flows.ingest`) calls these; so do the tests and the benchmarks, without Prefect.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from extractors.exceptions import FileRejected
from extractors.extract import form_id_for, grid_to_extraction, grid_to_forms  # noqa: F401 (the stages' entry)
from extractors.limits import in_force
from flows.faults import fault_point
from flows.settings import Settings
from schemas.checks import form_to_flags
from schemas.model import Flag, Form

if TYPE_CHECKING:  # the readers and the table schemas (pandas, pandera) are imported where they are used:
    from pandera.errors import SchemaErrors  # the run's own process starts its workers before it needs them

log = logging.getLogger("selfeval")
ROW_TABLES = ("forms", "indicators", "flags")


@dataclass(slots=True)
class FileOutcome:
    """What became of one file. `waiting` files stay in the inbox for a later run."""

    file_name: str
    sha256: str
    status: str
    reason: str = ""
    forms: int = 0
    indicators: int = 0
    flags: Counter = field(default_factory=Counter)
    pages: int = 0
    note: str = ""  # what went wrong after the outcome was committed (a move that failed)

    def line(self) -> str:
        detail = self.reason or f"{self.forms} forms, {sum(self.flags.values())} flags"
        return f"{self.status} {self.file_name}: {detail}" + (f" ({self.note})" if self.note else "")


@dataclass(slots=True)
class BatchItem:
    """A file to extract: its path, or its bytes where the worker cannot see the inbox (Dask)."""

    name: str
    sha256: str
    path: str
    data: bytes | None = None


@dataclass(slots=True)
class BatchResult:
    outcomes: list[FileOutcome]
    rows: dict[str, list[list]] = field(default_factory=dict)  # validated rows of the loaded files


def extract_file(path: Path, sha256: str, settings: Settings, *, name: str = "") -> tuple[list[Form], list[Flag], int]:
    """A file's forms, their flags (the file's own and each form's) and its page count; raises
    `FileRejected` for a file that holds none."""
    from extractors.inputs import read_grid

    grid = read_grid(path)
    found = grid_to_extraction(grid.rows, settings.family, file=name or path.name, sha256=sha256,
                               max_shift=settings.max_shift)
    return found.forms, found.flags + [flag for form in found.forms for flag in form_to_flags(form)], grid.pages


def _sha_of_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _extract_item(item: BatchItem, settings: Settings, folder: Path) -> tuple[FileOutcome, list[Form], list[Flag]]:
    """One file of a batch: its outcome, and its forms and flags when it has some."""
    path = Path(item.path)
    fault_point(f"read:{item.name}")
    try:
        data = item.data if item.data is not None else path.read_bytes()
    except OSError as exc:
        return FileOutcome(item.name, item.sha256, "waiting", f"cannot be read now ({exc.strerror})"), [], []
    if _sha_of_bytes(data) != item.sha256:
        return FileOutcome(item.name, item.sha256, "waiting", "changed while it was being read"), [], []
    if item.data is not None:  # bytes sent from afar: read from a copy under the same name
        path = folder / Path(item.name).name
        path.write_bytes(data)
    try:
        forms, flags, pages = extract_file(path, item.sha256, settings, name=item.name)
    except FileRejected as exc:
        return FileOutcome(item.name, item.sha256, "rejected", exc.reason), [], []
    except Exception as exc:  # a bug must not stop the inbox: the file is kept with the error
        log.exception("internal error on %s", item.name)
        reason = f"internal error {type(exc).__name__}: {exc}".splitlines()[0]
        return FileOutcome(item.name, item.sha256, "rejected", reason), [], []
    outcome = FileOutcome(item.name, item.sha256, "loaded", "", len(forms), sum(len(f.indicators) for f in forms),
                          Counter(flag.check for flag in flags), pages)
    return outcome, forms, flags


def _schema_failure(exc: SchemaErrors, form_files: dict[str, str]) -> dict[str, str]:
    """file name -> reason, for each file whose rows break a table schema."""
    frame, cases = exc.data, exc.failure_cases
    bad: dict[str, str] = {}
    for _, case in cases.iterrows():
        index = case.get("index")
        if index is None or index != index or index not in frame.index:
            continue
        name = form_files.get(str(frame.loc[index, "form_id"]), "")
        bad.setdefault(name, f"extracted rows break the table schema ({case['column']}: {case['check']})")
    return bad or {name: f"extracted rows break the table schema ({exc})".splitlines()[0]
                   for name in set(form_files.values())}


def frames_to_rows(frames: dict) -> dict[str, list[list]]:
    """Validated frames as plain rows for the store (None for a blank number)."""
    from schemas.tables import frame_to_rows

    return {table: frame_to_rows(frame) for table, frame in frames.items()}


def validate_batch(outcomes: list[FileOutcome], forms: list[Form], flags: list[Flag]) -> dict[str, list[list]]:
    """The batch's rows, validated together; a file whose rows break a schema is rejected alone."""
    from pandera.errors import SchemaErrors

    from schemas.saved import forms_to_blob_rows
    from schemas.tables import forms_to_frames

    while True:
        try:
            return {**frames_to_rows(forms_to_frames(forms, flags)),  # and each form as extracted, for review
                    "extractions": forms_to_blob_rows(forms)} if forms else {}
        except SchemaErrors as exc:
            bad = _schema_failure(exc, {f.form_id: f.source_file for f in forms})
        for outcome in outcomes:
            if outcome.status == "loaded" and outcome.file_name in bad:
                outcome.status, outcome.reason = "rejected", bad[outcome.file_name]
                outcome.forms, outcome.indicators, outcome.flags = 0, 0, Counter()
        kept = {f.form_id for f in forms if f.source_file not in bad}
        forms = [f for f in forms if f.form_id in kept]
        flags = [g for g in flags if g.form_id in kept]


def extract_batch(items: list[BatchItem], settings: Settings,
                  on_file: Callable[[int], None] | None = None) -> BatchResult:
    """Every file of a batch extracted, then their rows validated at once. Pure: writes nothing."""
    outcomes, forms, flags = [], [], []
    with in_force(settings.limits), tempfile.TemporaryDirectory(prefix="selfeval-batch-") as folder:
        for number, item in enumerate(items):
            if on_file is not None:
                on_file(number)
            outcome, file_forms, file_flags = _extract_item(item, settings, Path(folder))
            outcomes.append(outcome)
            forms += file_forms
            flags += file_flags
    if on_file is not None:
        on_file(len(items))  # validation: the batch's own step
    return BatchResult(outcomes, validate_batch(outcomes, forms, flags))


def ingest_file(path: Path, sha256: str, warehouse: object, settings: Settings) -> FileOutcome:
    """One file through every stage into the warehouse (a `storage.warehouse.Warehouse`), committed,
    moved and published, as a run of its own would take it."""
    from flows.runs import ingest_one

    return ingest_one(path, sha256, Path(getattr(warehouse, "root", warehouse)), settings)  # type: ignore[arg-type]
