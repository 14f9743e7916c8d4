"""The run's plan: what the inbox holds now, and in which batches its files are read.

Every settled file with its hash: bytes loaded before, or seen earlier in this run, make a
duplicate; a symbolic link (never followed) and a file that cannot be opened are refused unread,
each with its reason; what is no file (a named pipe, a socket, a folder that cannot be listed)
is left where it is and named in the run's summary (`storage.inbox.scan_inbox`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from flows.pipeline import BatchItem
from storage.inbox import NotAFile, scan_inbox, settled, sha256_of
from storage.names import ledger_name, path_text, readable, shown, text_path
from storage.store import Store

MAX_BATCH_FILES = 64
MAX_BATCH_BYTES = 64 << 20


@dataclass(slots=True)
class Planned:
    path: Path
    name: str  # the path within the inbox, as the ledger names the file
    sha256: str
    size: int = 0
    duplicate_of: str = ""
    refused: str = ""  # why it is rejected unread: a symbolic link, a file that cannot be opened

    def item(self, *, with_bytes: bool = False) -> BatchItem:
        return BatchItem(self.name, self.sha256, str(self.path), self.path.read_bytes() if with_bytes else None)


@dataclass(slots=True)
class Plan:
    fresh: list[Planned] = field(default_factory=list)
    duplicates: list[Planned] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written: left for a later run
    refused: list[Planned] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # what stays in the inbox unread, and why

    def __bool__(self) -> bool:
        return bool(self.fresh or self.duplicates or self.refused)

    def all(self) -> list[Planned]:
        return [*self.refused, *self.fresh, *self.duplicates]


def plan_inbox(inbox: Path, store: Store, *, settle: float) -> Plan:
    """Every settled inbox file with its hash; bytes loaded before, or seen earlier in this run,
    make a duplicate. A symbolic link, or a file that cannot be opened, is refused unread."""
    committed = {text_path(u.source_path) for u in store.unmoved()}  # recorded already; only their move is due
    scan = scan_inbox(inbox)
    names = _ledger_names([*scan.files, *scan.links], inbox)
    ready, changing = settled([p for p in scan.files if p not in committed], settle=settle)
    plan = Plan(waiting=[names[p] for p in changing], left=scan.left)
    plan.refused = [Planned(p, names[p], "", refused=_link_reason(p)) for p in scan.links if p not in committed]
    hashed = []
    for path in ready:
        try:
            hashed.append((path, sha256_of(path), os.lstat(path).st_size))
        except NotAFile:  # a link or a pipe now: the next run sees what it is
            plan.waiting.append(names[path])
        except PermissionError as exc:
            plan.refused.append(Planned(path, names[path], "", refused=f"cannot be opened ({exc.strerror}): the "
                                        "user running selfeval may not read it; allow it and put it back in the inbox"))
        except OSError:  # gone or unreadable since it was listed: a later run sees it again
            plan.waiting.append(names[path])
    loaded = store.loaded_files(sha for _, sha, _ in hashed)
    seen: dict[str, str] = {}
    for path, sha, size in hashed:
        original = loaded.get(sha) or seen.get(sha, "")
        seen.setdefault(sha, names[path])
        (plan.duplicates if original else plan.fresh).append(Planned(path, names[path], sha, size, original))
    return plan


def _ledger_names(paths: list[Path], inbox: Path) -> dict[Path, str]:
    """Each path's name in the ledger; two that read the same (one of them no UTF-8) keep their
    undecodable bytes as `\\xNN`, so no two files of a run share a name."""
    names = {p: ledger_name(p, inbox) for p in paths}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    for path, name in names.items():
        if counts[name] > 1 and path_text(path) != str(path):
            raw = os.fsencode(path.relative_to(inbox).as_posix())
            names[path] = raw.decode("utf-8", "backslashreplace")
    return names


def _link_reason(path: Path) -> str:
    try:
        target = readable(os.readlink(path))
    except OSError:
        target = "?"
    return f"a symbolic link (to {shown(target)}): links are never followed; put the file itself in the inbox"


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
