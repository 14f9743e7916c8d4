"""The inbox folder and its neighbours: `archive/` for loaded files, `rejected/` with reasons.

The inbox is listed without following a link or opening anything (`scan_inbox`): regular files
in it and its sub-folders are read; a symbolic link, whatever it points at, is never followed (the
run rejects it and moves the link itself); a named pipe, a socket, a device, and a folder that
cannot be listed are left where they are and named once in the run's summary. Hidden names and
partial-download names (`.part`, `.crdownload`, `~$x.xlsx`, `x~`, …) are left alone, and a file
whose size or time changes within the settle time waits for a later run.
Nothing is deleted: every file leaves the inbox by a move into one of the two folders
(`storage.moves`: never over another file, never through a link).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from storage.names import ledger_name, shown

PARTIAL_SUFFIXES = (".part", ".filepart", ".partial", ".crdownload", ".download", ".tmp", ".swp")
PARTIAL_PREFIXES = ("~$", ".")
SETTLE_SECONDS = 2.0
KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device"}


def is_partial(name: str) -> bool:
    """A name a file has while it is still being downloaded, copied or edited (or a hidden one)."""
    lower = name.lower()
    return lower.endswith(PARTIAL_SUFFIXES) or name.startswith(PARTIAL_PREFIXES) or name.endswith("~")


@dataclass(slots=True)
class InboxScan:
    files: list[Path] = field(default_factory=list)  # regular files, to read
    links: list[Path] = field(default_factory=list)  # symbolic links, never followed: rejected
    left: list[str] = field(default_factory=list)    # what stays in the inbox, each named once


def scan_inbox(inbox: Path) -> InboxScan:
    """What the inbox and its sub-folders hold, in path order, listed without following a link
    and without opening a file (a named pipe is never waited on)."""
    scan = InboxScan()
    folders = [inbox] if inbox.is_dir() else []
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            scan.left.append(f"{shown(ledger_name(folder, inbox))}/: a folder that cannot be read "
                             f"({exc.strerror}): left in the inbox")
            continue
        for entry in entries:
            if is_partial(entry.name):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                scan.links.append(path)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif entry.is_file(follow_symlinks=False):
                scan.files.append(path)
            else:
                scan.left.append(f"{shown(ledger_name(path, inbox))}: {_kind(entry)}, not a file: left in the inbox")
    key = lambda p: p.relative_to(inbox).parts  # noqa: E731
    scan.files.sort(key=key)
    scan.links.sort(key=key)
    return scan


def _kind(entry: os.DirEntry) -> str:
    try:
        return KINDS.get(stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode), "not a regular file")
    except OSError:
        return "gone"


def inbox_files(inbox: Path) -> list[Path]:
    """The files and links a run would take from the inbox, in path order."""
    scan = scan_inbox(inbox)
    return sorted([*scan.files, *scan.links], key=lambda p: p.relative_to(inbox).parts)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


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


class NotAFile(OSError):
    """What was a regular file when the inbox was listed is a link, a pipe or a device now."""


def open_no_follow(path: Path) -> int:
    """A descriptor of the regular file at `path`: never through a link, never waiting on a pipe."""
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise NotAFile(errno.EINVAL, "not a regular file", str(path))
    return handle


def sha256_of(path: Path) -> str:
    """The hash of a regular file's bytes (`NotAFile` for anything else, `OSError` if it cannot be opened)."""
    digest = hashlib.sha256()
    try:
        handle = open_no_follow(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link
            raise NotAFile(errno.ELOOP, "a symbolic link now", str(path)) from None
        raise
    with os.fdopen(handle, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def clear_leftovers(folder: Path) -> None:
    """Temporary files a move or a reason left when its process died."""
    if folder.is_dir():
        for leftover in folder.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
