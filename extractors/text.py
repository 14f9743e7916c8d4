"""Cleaning printed text: layout whitespace out, the form's own characters kept.

Labels, titles and taxonomy names are compared by a key that is width-folded, simplified
(traditional characters through OpenCC's `t2s` dictionaries) and free of pinyin annotations
(`項(xiàng)目` → `项目`); values are never folded: a traditional-character form keeps its characters.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc
import regex

# Whitespace a layout puts into a cell: wraps, padding, ideographic spaces, line breaks.
_SPACE_RUN = regex.compile(r"[\s\u3000\u00a0]+")
# A space is kept only where it separates two Latin words or numbers ("Windows Server 2019").
_KEEP_SPACE = regex.compile(r"(?<=[A-Za-z0-9])[\s\u3000\u00a0]+(?=[A-Za-z])|(?<=[A-Za-z])[\s\u3000\u00a0]+(?=[0-9])")
# Pinyin in brackets right after a character, as 繁体 mirror sites print it: 項(xiàng)目 (lower case:
# 年初预算数(A) keeps its letter).
_PINYIN = regex.compile(r"(?<=\p{Han})\s*[(（]\s*[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,7}[1-5]?\s*[)）]")
_LATIN = regex.compile(r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]")
# a 项目编码 printed before the name (四川: `51000022T000000123456-全省耕地质量监测与评价经费`)
_PROJECT_CODE = regex.compile(r"^(?=(?:[^0-9]*[0-9]){6})([0-9A-Za-z]{10,32})\s*[-－—–_:：]\s*(?=\S)")
KEY_CACHE_SIZE = 65536  # label, title and taxonomy texts whose key is remembered
_TO_SIMPLIFIED = opencc.OpenCC("t2s")


def clean_cell(text: str | None) -> str:
    """A cell's printed text with layout whitespace removed: `确 保系统` -> `确保系统`."""
    if not text:
        return ""
    if " " not in text and text.isprintable():  # no whitespace of any kind (all but " " is unprintable)
        return text
    text = text.strip()
    if not _SPACE_RUN.search(text):
        return text
    text = _KEEP_SPACE.sub("\x00", text)
    return _SPACE_RUN.sub("", text).replace("\x00", " ")


def strip_pinyin(text: str) -> str:
    """`項(xiàng)目名(míng)稱` -> `項目名稱`; text without Latin letters is returned as it is."""
    return _PINYIN.sub("", text) if _LATIN.search(text) else text


@lru_cache(maxsize=KEY_CACHE_SIZE)
def label_key(text: str) -> str:
    """The comparison key of a label: width-folded, simplified, without whitespace or pinyin."""
    folded = _SPACE_RUN.sub("", unicodedata.normalize("NFKC", strip_pinyin(text or "")))
    return _TO_SIMPLIFIED.convert(folded) if folded and not folded.isascii() else folded


def to_simplified(text: str) -> str:
    """Simplified characters for traditional ones, nothing else changed."""
    return _TO_SIMPLIFIED.convert(text) if text and not text.isascii() else text


def join_texts(parts: list[str]) -> str:
    """Cells of one field read in order (wrapped lines, split cells) joined as one value."""
    return clean_cell(" ".join(p for p in parts if p))


def project_code(name: str) -> str:
    """The 项目编码 a project name begins with (`51000022T000000123456-名称` -> `51000022T000000123456`), or ""."""
    match = _PROJECT_CODE.match(name)
    return match[1] if match else ""
