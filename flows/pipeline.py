"""One file through every stage, in plain Python: read, segment, rebuild, check, load, settle.

The Prefect flow calls these; so do the tests and the benchmark, without Prefect.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pandera.errors import SchemaErrors

from extractors.exceptions import FileRejected
from extractors.extract import form_id_for, grid_to_extraction, grid_to_forms  # noqa: F401 (the stages' entry)
from extractors.inputs import read_grid
from flows.settings import Settings
from schemas.checks import form_to_flags
from schemas.model import Flag, Form
from schemas.tables import forms_to_frames
from storage.inbox import archive, inbox_files, reject, sha256_of
from storage.warehouse import LedgerEntry, Warehouse

log = logging.getLogger("selfeval")


@dataclass(slots=True)
class FileOutcome:
    file_name: str
    sha256: str
    status: str
    reason: str = ""
    forms: int = 0
    indicators: int = 0
    flags: Counter = field(default_factory=Counter)


@dataclass(slots=True)
class Planned:
    path: Path
    sha256: str
    duplicate_of: str = ""


def extract_file(path: Path, sha256: str, settings: Settings) -> tuple[list[Form], list[Flag]]:
    """A file's forms and their flags; raises `FileRejected` for a file that holds none."""
    grid = read_grid(path)
    found = grid_to_extraction(grid.rows, settings.family, file=path.name, sha256=sha256, max_shift=settings.max_shift)
    return found.forms, found.flags + [flag for form in found.forms for flag in form_to_flags(form)]


def plan_inbox(inbox: Path, warehouse: Warehouse) -> list[Planned]:
    """Every inbox file with its hash; a file whose bytes are loaded or seen earlier is a duplicate."""
    loaded = warehouse.loaded_files()
    seen: dict[str, str] = {}
    planned = []
    for path in inbox_files(inbox):
        sha = sha256_of(path)
        of = loaded.get(sha) or seen.get(sha, "")
        seen.setdefault(sha, path.name)
        planned.append(Planned(path, sha, of))
    return planned


def record_duplicate(item: Planned, warehouse: Warehouse, original: FileOutcome | None = None) -> FileOutcome:
    """Record a copy of a file already seen; it goes where the original went.

    `original` is the outcome of the copied file when it was read in this same run.
    """
    reason = f"same bytes as {item.duplicate_of}"
    warehouse.record(LedgerEntry(item.path.name, item.sha256, "duplicate", reason))
    if original is not None and original.status == "rejected":
        reject(item.path, item.sha256, f"{reason}, rejected: {original.reason}")
    else:
        archive(item.path, item.sha256)
    return FileOutcome(item.path.name, item.sha256, "duplicate", reason)


def ingest_planned(planned: list[Planned], warehouse: Warehouse, settings: Settings) -> list[FileOutcome]:
    """The whole inbox in plain Python, in the flow's order: new files, then their copies."""
    outcomes = [ingest_file(p.path, p.sha256, warehouse, settings) for p in planned if not p.duplicate_of]
    by_sha = {o.sha256: o for o in outcomes}
    return outcomes + [record_duplicate(p, warehouse, by_sha.get(p.sha256)) for p in planned if p.duplicate_of]


def _rejected(path: Path, sha: str, reason: str, warehouse: Warehouse) -> FileOutcome:
    warehouse.record(LedgerEntry(path.name, sha, "rejected", reason))
    reject(path, sha, reason)
    log.info("rejected: %s: %s", path.name, reason)
    return FileOutcome(path.name, sha, "rejected", reason)


def ingest_file(path: Path, sha: str, warehouse: Warehouse, settings: Settings) -> FileOutcome:
    """Load one file's forms, or set it aside with its reason; never raises for a bad file."""
    try:
        forms, flags = extract_file(path, sha, settings)
        frames = forms_to_frames(forms, flags)
    except FileRejected as exc:
        return _rejected(path, sha, exc.reason, warehouse)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.iloc[0] if len(cases) else None
        detail = f"{first['column']}: {first['check']}" if first is not None else str(exc).splitlines()[0]
        return _rejected(path, sha, f"extracted rows break the table schema ({detail})", warehouse)
    except Exception as exc:  # a bug must not stop the inbox: the file is kept with the error
        log.exception("internal error on %s", path.name)
        return _rejected(path, sha, f"internal error {type(exc).__name__}: {exc}".splitlines()[0], warehouse)
    warehouse.load(LedgerEntry(path.name, sha, "loaded", "", len(forms)), frames)
    archive(path, sha)
    return FileOutcome(path.name, sha, "loaded", "", len(forms), sum(len(f.indicators) for f in forms),
                       Counter(flag.check for flag in flags))
