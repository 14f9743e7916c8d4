"""The inbox folder and its neighbours: `archive/` for loaded files, `rejected/` with reasons.

Files in sub-folders are read too and keep their sub-folder in archive/ and rejected/. A file
still being written waits for a later run: a partial-download name (`.part`, `.crdownload`,
`~$x.xlsx`, `x~`, …), or a size or modification time that changes within the settle time.
Nothing is deleted: every file leaves the inbox by a rename into one of the two folders (a copy
then a rename across file systems), and a name already taken there gets the file's hash added.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import time
from pathlib import Path

PARTIAL_SUFFIXES = (".part", ".filepart", ".partial", ".crdownload", ".download", ".tmp", ".swp")
PARTIAL_PREFIXES = ("~$", ".")
SETTLE_SECONDS = 2.0
REASON_SUFFIX = ".reason.txt"


def is_partial(name: str) -> bool:
    """A name a file has while it is still being downloaded, copied or edited (or a hidden one)."""
    lower = name.lower()
    return lower.endswith(PARTIAL_SUFFIXES) or name.startswith(PARTIAL_PREFIXES) or name.endswith("~")


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox and its sub-folders, in path order; hidden folders and
    partial-download names are left alone, symlinked folders are not followed."""
    if not inbox.is_dir():
        return []
    found = []
    for folder, subfolders, names in os.walk(inbox):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [Path(folder) / n for n in names if not is_partial(n) and os.path.isfile(os.path.join(folder, n))]
    return sorted(found, key=lambda p: p.relative_to(inbox).as_posix())


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def settled(paths: list[Path], *, settle: float = SETTLE_SECONDS) -> tuple[list[Path], list[Path]]:
    """(settled, still changing): a file modified within the last `settle` seconds is watched until
    it is that old, and waits for a later run if its size or time changed meanwhile."""
    now = time.time()
    first = {p: _signature(p) for p in paths}
    recent = {p: sig for p, sig in first.items() if sig is not None and now - sig[1] / 1e9 < settle}
    if recent:
        youngest = max(sig[1] for sig in recent.values()) / 1e9
        time.sleep(max(0.0, min(settle, youngest + settle - time.time())))
    changing = {p for p, sig in recent.items() if _signature(p) != sig}
    changing |= {p for p, sig in first.items() if sig is None}
    return [p for p in paths if p not in changing], [p for p in paths if p in changing]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def target_for(source: Path, inbox: Path, folder_name: str, sha: str, taken: set[Path]) -> Path:
    """Where a file goes in `archive/` or `rejected/` beside the inbox, keeping its sub-folder;
    a name already there, or already given in this run, gets the file's hash added."""
    target = inbox.parent / folder_name / source.relative_to(inbox)
    if target.exists() or target in taken:
        stem, dot, suffix = target.name.rpartition(".")
        target = target.with_name(f"{stem}.{sha[:8]}.{suffix}" if dot else f"{target.name}.{sha[:8]}")
    taken.add(target)
    return target


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def move_file(source: Path, target: Path, reason: str = "") -> None:
    """Move a file to its target (its reason written beside it first, for a rejected file).
    Repeatable: a move interrupted at any point is finished by doing it again."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if reason:
        _write_atomically(target.with_name(target.name + REASON_SUFFIX), reason + "\n")
    try:
        os.rename(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # another file system
        shutil.copy2(source, temporary)
        os.replace(temporary, target)
        source.unlink()


def clear_leftovers(folder: Path) -> None:
    """Temporary files a move or a reason left when its process died."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
