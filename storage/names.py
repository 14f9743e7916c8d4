"""File names as the file system gives them, as the ledger keeps them, and as a line shows them.

A Linux name is any bytes but `/` and NUL, at most `NAME_MAX` (255) of them. Python hands a name
that is no UTF-8 over with surrogates in it, which neither SQLite nor parquet will store; so:

- `ledger_name`: the name a file has in the ledger and in archive/ and rejected/: its path in the
  inbox, each part as it reads — UTF-8, or else GB18030 (a zip made on Chinese Windows, unpacked
  here) when that gives Chinese, or else UTF-8 with each undecodable byte as `\\xNN`;
- `path_text` / `text_path`: a path as the store keeps it, the exact bytes recoverable;
- `fit_name`: a name cut to fit the file system once a tag (a hash) or a suffix is added;
- `shown`: a name on one line of a summary or a log, control characters escaped.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from functools import lru_cache
from pathlib import Path, PurePosixPath

NAME_MAX = 255
HEX_PREFIX = "hex:"  # a stored path that is no UTF-8: its bytes in hexadecimal
MAX_SUFFIX = 16      # a "suffix" longer than this is part of the name, not its type


def readable(part: str) -> str:
    """One part of a path as it reads (see the module's docstring)."""
    try:
        part.encode("utf-8")
        return part
    except UnicodeEncodeError:
        raw = os.fsencode(part)
    try:
        chinese = raw.decode("gb18030")
        if any(unicodedata.name(c, "").startswith("CJK") for c in chinese):
            return chinese
    except UnicodeDecodeError:
        pass
    return raw.decode("utf-8", "backslashreplace")


def ledger_name(path: Path, inbox: Path) -> str:
    """The file's path within the inbox, `sub/name.txt`, every part readable."""
    return PurePosixPath(*(readable(part) for part in path.relative_to(inbox).parts)).as_posix()


def path_text(path: Path | str) -> str:
    """A path as text the store can keep; `text_path` gives the same path back."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return HEX_PREFIX + os.fsencode(text).hex()
    return HEX_PREFIX + text.encode().hex() if text.startswith(HEX_PREFIX) else text


def text_path(text: str) -> Path:
    return Path(os.fsdecode(bytes.fromhex(text[len(HEX_PREFIX):]))) if text.startswith(HEX_PREFIX) else Path(text)


@lru_cache(maxsize=1024)
def name_max(folder: Path) -> int:
    """The longest name, in bytes, the file system of `folder` (or its nearest existing parent) takes."""
    for candidate in (folder, *folder.parents):
        try:
            return int(os.pathconf(candidate, "PC_NAME_MAX"))
        except (OSError, ValueError):
            continue
    return NAME_MAX


def cut_utf8(text: str, limit: int) -> str:
    """The longest start of `text` whose UTF-8 takes at most `limit` bytes (never half a character)."""
    return text.encode("utf-8")[:max(0, limit)].decode("utf-8", "ignore")


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def fit_name(name: str, *, tag: str = "", limit: int = NAME_MAX) -> str:
    """`name` with `tag` put before its suffix (`a.<tag>.pdf`), cut to `limit` bytes. A name that
    must be cut gets a hash of itself as its tag, so two long names never come out the same."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > MAX_SUFFIX:
        stem, dot, suffix = name, "", ""
    tagged = f"{stem}{tag}{dot}{suffix}"
    if len(tagged.encode("utf-8")) <= limit:
        return tagged
    tag = f"{tag}.{short_hash(name)}" if tag else f".{short_hash(name)}"
    return cut_utf8(stem, limit - len(f"{tag}{dot}{suffix}".encode())) + f"{tag}{dot}{suffix}"


def shown(name: str) -> str:
    """A name on one line: line breaks, tabs and other control characters escaped (`a\\nb.txt`)."""
    if all(unicodedata.category(c)[0] != "C" for c in name):
        return name
    return "".join(repr(c)[1:-1] if unicodedata.category(c)[0] == "C" else c for c in name)
