"""Moving a file out of the inbox without touching anything else: nothing replaced, nothing followed.

- A file is moved by a rename that refuses to replace (`renameat2(RENAME_NOREPLACE)`; where the
  C library or the file system has none, a hard link then an unlink, or a check then a rename);
  a name already taken gets a tag, so a moved file never replaces another.
- A symbolic link is moved as the link itself, never its target.
- A reason is written beside a rejected file in a file created exclusively (never over an
  existing file, never through a link): a temporary file, then hard-linked to its name. A name the
  file system cannot take with `.reason.txt` added gets `<hash>.reason.txt`, the file's full name
  inside it.
- A folder in archive/ or rejected/ is made only of real folders: a link there (a link once
  rejected from the inbox) is never gone through.

Every step can be repeated after an interruption: a file already moved, or a reason already
written, is recognised as such.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from storage.names import fit_name, name_max, short_hash

REASON_SUFFIX = ".reason.txt"
MAX_TRIES = 100
_AT_FDCWD, _RENAME_NOREPLACE = -100, 1
_NO_SUCH_CALL = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP)


def _renameat2() -> object | None:
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except OSError:
        return None


_RENAME = _renameat2()


def rename_no_replace(source: Path, target: Path) -> None:
    """Rename `source` (a link as a link) to `target`; `FileExistsError` if `target` exists."""
    if _RENAME is not None:
        done = _RENAME(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE)  # type: ignore[operator]
        if done == 0:
            return
        code = ctypes.get_errno()
        if code not in _NO_SUCH_CALL:
            raise OSError(code, os.strerror(code), str(source), None, str(target))
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.EEXIST, errno.EXDEV):
            raise
        if os.path.lexists(target):  # no hard links here either: a check, then a rename
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.rename(source, target)
        return
    os.unlink(source)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samestat(os.lstat(a), os.lstat(b))
    except OSError:
        return False


def _copy_across(source: Path, target: Path) -> None:
    """To another file system: a copy (a link as a link) under a temporary name, then renamed."""
    temporary = target.with_name(f".{short_hash(target.name, 16)}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), temporary)
    else:
        shutil.copy2(source, temporary, follow_symlinks=False)
    try:
        rename_no_replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    source.unlink()


def free_names(target: Path, tag: str) -> Iterator[Path]:
    """`target`, then `target` with `tag` before its suffix, then with `tag-2`, `tag-3`, …"""
    limit = name_max(target.parent)
    yield target.with_name(fit_name(target.name, limit=limit))
    for number in range(1, MAX_TRIES):
        yield target.with_name(fit_name(target.name, tag=f".{tag}" + (f"-{number}" if number > 1 else ""),
                                        limit=limit))


def make_folder(folder: Path, root: Path) -> None:
    """`folder` and its parents below `root`, each a real folder: a link or a file on the way is an error."""
    current = root
    current.mkdir(parents=True, exist_ok=True)
    for part in folder.relative_to(root).parts:
        current = current / part
        try:
            current.mkdir()
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(current).st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "a link or a file where a folder goes", str(current)) from None


def target_in(root: Path, name: str) -> Path:
    """Where the file the ledger calls `name` (`sub/x.txt`) goes under `root`: its sub-folders kept,
    each a real folder (one whose name a link or a file holds gets a tag), its name fitted."""
    *folders, last = Path(name).parts
    current = root
    for part in folders:
        current = next(c for c in free_names(current / part, short_hash(part)) if _folder_or_free(c))
    return current / fit_name(last, limit=name_max(current))


def _folder_or_free(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True


def _move_once(source: Path, target: Path) -> None:
    if _same_file(source, target):  # moved by a hard link before an interruption
        source.unlink()
        return
    try:
        rename_no_replace(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_across(source, target)


def move_file(source: Path, target: Path, reason: str = "", *, root: Path, tag: str) -> Path:
    """Move `source` to `target` under `root` (archive/ or rejected/), or to a free name beside it
    tagged with `tag`, never replacing a file; then write `reason` beside it. Returns where it went."""
    make_folder(target.parent, root)
    for candidate in free_names(target, tag):
        try:
            _move_once(source, candidate)
        except FileExistsError:
            continue
        if reason:
            write_reason(candidate, reason)
        return candidate
    raise FileExistsError(errno.EEXIST, f"no free name for it after {MAX_TRIES} tries", str(target))


def reason_names(target: Path) -> Iterator[Path]:
    """Where a file's reason goes: `<name>.reason.txt`, or `<hash>.reason.txt` for a name too long
    for that; then `.reason-2.txt`, … while those are taken."""
    limit = name_max(target.parent)
    fits = len((target.name + REASON_SUFFIX).encode("utf-8", "surrogateescape")) <= limit
    base = target.name if fits else short_hash(target.name, 16)
    yield target.with_name(base + REASON_SUFFIX)
    for number in range(2, MAX_TRIES):
        yield target.with_name(f"{base}.reason-{number}.txt")


def reason_text(target: Path, reason: str) -> bytes:
    """The reason, and the file's full name when the reason file cannot be named after it."""
    full = len((target.name + REASON_SUFFIX).encode("utf-8", "surrogateescape")) <= name_max(target.parent)
    return (reason + "\n" + ("" if full else f"file: {target.name}\n")).encode("utf-8", "surrogateescape")


def write_reason(target: Path, reason: str) -> Path:
    """The reason beside `target`, in a file of its own created exclusively; one already holding it
    (written before an interruption) is kept. Returns the reason file."""
    data = reason_text(target, reason)
    for candidate in reason_names(target):
        if _holds(candidate, data) or _create_exclusive(candidate, data):
            return candidate
    raise FileExistsError(errno.EEXIST, "no free name for its reason", str(target))


def _holds(path: Path, data: bytes) -> bool:
    """Whether `path` is a regular file (not a link) holding exactly `data`."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        info = os.fstat(handle)
        return stat.S_ISREG(info.st_mode) and info.st_size == len(data) and os.read(handle, len(data) + 1) == data
    finally:
        os.close(handle)


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Write `data` to `path` only if no file or link has that name: False if one has."""
    temporary = path.with_name(f".{short_hash(path.name, 16)}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    temporary.unlink(missing_ok=True)
    _write_new(temporary, data, flags)
    try:
        os.link(temporary, path, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError as exc:  # no hard links on this file system: created in place, still exclusively
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        return _write_in_place(path, data, flags)
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _write_in_place(path: Path, data: bytes, flags: int) -> bool:
    try:
        _write_new(path, data, flags)
    except FileExistsError:
        return False
    return True


def _write_new(path: Path, data: bytes, flags: int) -> None:
    with os.fdopen(os.open(path, flags, 0o644), "wb") as handle:
        handle.write(data)
