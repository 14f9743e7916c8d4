"""Cleaning printed text: layout whitespace out, the form's own characters kept."""

from __future__ import annotations

import unicodedata

import regex

# Whitespace a layout puts into a cell: wraps, padding, ideographic spaces, line breaks.
_SPACE_RUN = regex.compile(r"[\s\u3000\u00a0]+")
# A space is kept only where it separates two Latin words or numbers ("Windows Server 2019").
_KEEP_SPACE = regex.compile(r"(?<=[A-Za-z0-9])[\s\u3000\u00a0]+(?=[A-Za-z])|(?<=[A-Za-z])[\s\u3000\u00a0]+(?=[0-9])")


def clean_cell(text: str | None) -> str:
    """A cell's printed text with layout whitespace removed: `确 保系统` -> `确保系统`."""
    if not text:
        return ""
    text = text.strip()
    if not _SPACE_RUN.search(text):
        return text
    text = _KEEP_SPACE.sub("\x00", text)
    return _SPACE_RUN.sub("", text).replace("\x00", " ")


def label_key(text: str) -> str:
    """The comparison key of a label: width-folded, no whitespace, no brackets' contents' spacing."""
    return _SPACE_RUN.sub("", unicodedata.normalize("NFKC", text or ""))


def join_texts(parts: list[str]) -> str:
    """Cells of one field read in order (wrapped lines, split cells) joined as one value."""
    return clean_cell(" ".join(p for p in parts if p))
