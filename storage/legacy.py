"""Warehouses of the earlier layout (a parquet part per file in real `<table>/` folders): their rows
are taken into the store the first time it is opened, so publishing loses none of them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

TABLES = ("files", "forms", "indicators", "flags")


def has_earlier_layout(root: Path) -> bool:
    folder = root / "forms"
    return folder.is_dir() and not folder.is_symlink() and any(folder.glob("*.parquet"))


def import_earlier_layout(root: Path, db: sqlite3.Connection, columns: dict[str, dict[str, str]]) -> int:
    """Insert the earlier tables' rows (inside the caller's transaction); returns the files taken."""
    import pandas as pd

    imported = 0
    for table in TABLES:
        folder = root / table
        if not folder.is_dir():
            continue
        frame = pd.read_parquet(folder)
        names = [c for c in columns[table] if c in frame.columns]
        if table == "files":
            frame["seen_at"] = frame["seen_at"].astype(str) if "seen_at" in frame else ""
            names += ["moved"]
            frame["moved"] = 1  # their files left the inbox when they were loaded
            imported = len(frame)
        rows = frame[names].astype(object).where(frame[names].notna(), None).values.tolist()
        quoted = ", ".join(f'"{n}"' for n in names)
        db.executemany(f"insert or ignore into {table} ({quoted}) values ({', '.join('?' * len(names))})", rows)
    return imported
