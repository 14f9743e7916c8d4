"""The inbox folder and its neighbours: `archive/` for loaded files, `rejected/` with reasons.

Nothing is deleted: every file leaves the inbox by a rename into one of the two folders, and a
name already taken there gets the file's hash added rather than overwriting.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".swp")


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox, in name order; hidden and half-copied files are left alone."""
    if not inbox.is_dir():
        return []
    return sorted(p for p in inbox.iterdir()
                  if p.is_file() and not p.name.startswith(".") and not p.name.endswith(PARTIAL_SUFFIXES))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _free_name(folder: Path, name: str, sha: str) -> Path:
    target = folder / name
    if not target.exists():
        return target
    stem, dot, suffix = name.rpartition(".")
    return folder / (f"{stem}.{sha[:8]}.{suffix}" if dot else f"{name}.{sha[:8]}")


def move_to(path: Path, folder_name: str, sha: str) -> Path:
    """Move a file into the folder of that name beside its inbox."""
    folder = path.parent.parent / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name, sha)
    shutil.move(str(path), target)
    return target


def archive(path: Path, sha: str) -> Path:
    return move_to(path, "archive", sha)


def reject(path: Path, sha: str, reason: str) -> Path:
    """Move to `rejected/` and write the reason beside it as `<name>.reason.txt`."""
    target = move_to(path, "rejected", sha)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target
