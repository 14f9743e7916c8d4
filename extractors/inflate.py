"""Bounded inflation of PDF streams: a small compressed stream must not take gigabytes.

pdfminer inflates each stream whole (`zlib.decompress`, `lzwdecode`) before it parses a page, so a
stream of a few megabytes that inflates to gigabytes (a decompression bomb) takes them all. Here
pdfminer's two inflaters, in `pdfminer.pdftypes` only, are replaced by ones that stop one byte past
`max_stream_bytes` and count every stream of a file against `max_decoded_bytes`; passing either
raises `LimitExceeded`. pypdfium2 renders only pages pdfminer has parsed, so it inflates nothing
pdfminer has not inflated within these limits first. `start_pdf_budget()` starts a file's count.
"""

from __future__ import annotations

import zlib
from contextvars import ContextVar
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from extractors.exceptions import LimitExceeded
from extractors.limits import Limits, current, env_name, limit_text


@dataclass(slots=True)
class Budget:
    limits: Limits
    used: int = 0

    def charge(self, added: int, stream_size: int) -> None:
        """Count `added` inflated bytes of a stream now `stream_size` long; raise once a limit is passed."""
        if stream_size > self.limits.max_stream_bytes:
            raise _bomb(self.limits, "max_stream_bytes", "a compressed stream in the PDF inflates past the")
        self.used += added
        if self.used > self.limits.max_decoded_bytes:
            raise _bomb(self.limits, "max_decoded_bytes", "the PDF's compressed streams together inflate past the")


_BUDGET: ContextVar[Budget | None] = ContextVar("pdf_inflate_budget", default=None)


def start_pdf_budget(limits: Limits | None = None) -> Budget:
    """A new count for the PDF about to be read (in this thread or task)."""
    budget = Budget(limits or current())
    _BUDGET.set(budget)
    return budget


def _budget() -> Budget:
    """The current file's count; outside a read (pdfplumber used directly) a fresh one for each stream,
    so only the per-stream limit applies and nothing adds up across unrelated documents."""
    return _BUDGET.get() or Budget(current())


def _bomb(limits: Limits, field: str, what: str) -> LimitExceeded:
    return LimitExceeded(f"{what} {limit_text(limits, field, 'bytes')}: a decompression bomb?", limit=env_name(field))


def bounded_decompress(data: bytes, wbits: int = zlib.MAX_WBITS, bufsize: int = zlib.DEF_BUF_SIZE) -> bytes:
    """`zlib.decompress` that stops one byte past the stream limit."""
    budget = _budget()
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(data, budget.limits.max_stream_bytes + 1)
    if not inflater.eof and not inflater.unconsumed_tail and len(out) <= budget.limits.max_stream_bytes:
        raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
    budget.charge(len(out), len(out))
    return out


class BoundedInflater:
    """`zlib.decompressobj()` whose output, over all calls, stops one byte past the stream limit."""

    def __init__(self, wbits: int = zlib.MAX_WBITS) -> None:
        self._inflater = zlib.decompressobj(wbits)
        self._budget = _budget()
        self._size = 0

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        room = self._budget.limits.max_stream_bytes + 1 - self._size
        out = self._inflater.decompress(data, min(max_length, room) if max_length else room)
        self._size += len(out)
        self._budget.charge(len(out), self._size)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inflater, name)


def bounded_lzwdecode(data: bytes) -> bytes:
    """pdfminer's LZW decoder, stopped one piece past the stream limit."""
    from pdfminer.lzw import LZWDecoder

    budget, pieces, size = _budget(), [], 0
    for piece in LZWDecoder(BytesIO(data)).run():
        size += len(piece)
        budget.charge(len(piece), size)
        pieces.append(piece)
    return b"".join(pieces)


class _Zlib:
    """The `zlib` pdfminer.pdftypes sees: bounded inflation, everything else the real module."""

    decompress = staticmethod(bounded_decompress)
    decompressobj = BoundedInflater
    error = zlib.error

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def install() -> None:
    """Bound pdfminer's stream inflation (idempotent)."""
    from pdfminer import pdftypes

    pdftypes.zlib = _Zlib()  # type: ignore[assignment]
    pdftypes.lzwdecode = bounded_lzwdecode
