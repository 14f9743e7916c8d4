"""The parquet warehouse: one directory dataset per table, one part per source file.

A file's forms, indicators and flags are written as parts named after its sha256: first under
temporary names, then renamed, and its ledger row in `files` last. Loading the same bytes again
can only rewrite the same parts, never add rows beside them; the ledger says `duplicate`.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import ARROW_SCHEMAS, SCHEMAS, TABLES, empty_frame, rows_to_frame

SCHEMA_PART = "0-schema.parquet"  # a zero-row part, so an empty table still reads with its columns


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    file_name: str
    sha256: str
    status: str
    reason: str = ""
    forms: int = 0


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Warehouse:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def create(self) -> Warehouse:
        for table in TABLES:
            folder = self.root / table
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / SCHEMA_PART).exists():
                self._write(folder / SCHEMA_PART, table, empty_frame(table))
        return self

    def _stage(self, path: Path, table: str, frame: pd.DataFrame) -> Path:
        """Write a part under a hidden temporary name beside `path` (readers skip dot-files)."""
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        pq.write_table(pa.Table.from_pandas(frame, schema=ARROW_SCHEMAS[table], preserve_index=False), tmp)
        return tmp

    def _write(self, path: Path, table: str, frame: pd.DataFrame) -> None:
        """Write a part atomically: a hidden temporary file, then a rename."""
        os.replace(self._stage(path, table, frame), path)

    def read(self, table: str) -> pd.DataFrame:
        folder = self.root / table
        if not folder.exists():
            return empty_frame(table)
        return pd.read_parquet(folder)

    def loaded_files(self) -> dict[str, str]:
        """sha256 -> file name of every file whose forms are in the warehouse."""
        ledger = self.read("files")
        loaded = ledger[ledger["status"] == "loaded"]
        return dict(zip(loaded["sha256"], loaded["file_name"], strict=True))

    def load(self, entry: LedgerEntry, frames: dict[str, pd.DataFrame]) -> None:
        """Write one file's rows, all or nothing, then its ledger row."""
        part = f"{entry.sha256[:32]}.parquet"
        finals = [self.root / table / part for table in frames]
        staged = [self._stage(final, table, frame) for final, (table, frame) in zip(finals, frames.items(), strict=True)]
        for tmp, final in zip(staged, finals, strict=True):
            os.replace(tmp, final)
        self.record(entry)

    def record(self, entry: LedgerEntry) -> None:
        """Add a row to the ledger of files seen."""
        row = {"file_name": entry.file_name, "sha256": entry.sha256, "status": entry.status,
               "reason": entry.reason, "forms": entry.forms, "seen_at": now()}
        frame = SCHEMAS["files"].validate(rows_to_frame("files", [row]))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        self._write(self.root / "files" / f"{stamp}-{entry.sha256[:16]}-{uuid.uuid4().hex[:6]}.parquet",
                    "files", frame)
