"""Recognised pages kept by key, so no page is recognised twice: in memory, and on disk.

A page's rows (before label snapping, which is cheap and depends on the form family) are kept
as one JSON file per key under `SELFEVAL_OCR_CACHE` (default ~/.cache/selfeval/ocr), in a folder
per `CACHE_VERSION`, so a change in how pages are read never serves rows read the old way.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from extractors.cells import Row

CACHE_ENV = "SELFEVAL_OCR_CACHE"
CACHE_VERSION = 3  # bump when recognition or grid building changes what a page reads as
MEMORY_PAGES = 4096  # pages kept in memory; older ones are read from disk again when asked for
Records = list[dict[str, Any]]
_memory: dict[str, Records] = {}


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "selfeval" / "ocr")


def _cache_file(key: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
    return cache_dir() / f"v{CACHE_VERSION}" / f"{safe}.json"


def rows_to_records(rows: list[Row]) -> Records:
    return [{"cells": r.cells, "line": r.line, "boxes": r.boxes, "confidence": r.confidence} for r in rows]


def records_to_rows(records: Records, *, page: int) -> list[Row]:
    return [Row(cells=list(r["cells"]), line=r["line"], page=page,
                boxes=[tuple(b) if b else None for b in r["boxes"]] if r["boxes"] is not None else None,
                confidence=list(r["confidence"]) if r["confidence"] is not None else None)
            for r in records]


def _keep(key: str, records: Records) -> None:
    _memory[key] = records
    while len(_memory) > MEMORY_PAGES:
        del _memory[next(iter(_memory))]


def cached(key: str) -> Records | None:
    """A page's rows from memory or disk, or None if it was never recognised."""
    if key in _memory:
        return _memory[key]
    try:
        records = json.loads(_cache_file(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    _keep(key, records)
    return records


def remember(key: str, records: Records) -> None:
    """Keep a page's rows in memory and on disk (written whole, then renamed into place)."""
    _keep(key, records)
    path = _cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp",
                                         delete=False) as handle:
            json.dump(records, handle, ensure_ascii=False)
        os.replace(handle.name, path)
    except OSError:
        pass  # a read-only or full disk costs a second recognition later, nothing else
