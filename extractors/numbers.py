"""Parsers for the numbers a form prints: amounts, scores, percentages and years.

Each returns a `Printed` value, None for a blank or not-applicable cell, or raises
`ValueParseError`; never anything else. `Printed.unit` is one unit of the last printed digit,
the tolerance the checks allow.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

from extractors.exceptions import ValueParseError

NOT_APPLICABLE = frozenset({"", "—", "——", "-", "--", "－", "/", "／", "无", "無", "N/A", "n/a", "不适用", "不適用"})
NUMBER_CACHE_SIZE = 4096  # cell texts whose reading is remembered: most repeat (scores, 0, —, labels)

MAX_DIGITS = 19  # more digits than any amount has: a misread, not a number
# ASCII digits only: after width folding every digit a form prints is one of these, and regex's
# \d would also take digits of other scripts that float() cannot read.
_NUMBER = regex.compile(r"^([+-]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.([0-9]+))?$")
_YEAR = regex.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年")


@dataclass(frozen=True, slots=True)
class Printed:
    """A number as the form printed it."""

    value: float
    decimals: int

    @property
    def unit(self) -> float:
        return 10.0 ** -self.decimals


def _fold(text: str) -> str:
    """Full-width digits and signs to ASCII, whitespace out."""
    return "".join(unicodedata.normalize("NFKC", text).split())


@lru_cache(maxsize=NUMBER_CACHE_SIZE)
def _read_number(text: str) -> Printed | str | None:
    """The number a cell prints, None for a not-applicable cell, or why it is no number."""
    folded = _fold(text)
    if folded in NOT_APPLICABLE:
        return None
    folded = folded.removesuffix("元").removesuffix("分")
    match = _NUMBER.match(folded)
    if not match or not (match.group(2) or match.group(3)):
        return "not a number"
    sign, whole, frac = match.groups()
    if len((whole or "").replace(",", "")) + len(frac or "") > MAX_DIGITS:
        return "too many digits for a printed number"
    value = float((whole or "0").replace(",", "") + "." + (frac or "0"))
    return Printed(-value if sign == "-" else value, len(frac or ""))


def parse_number(text: str | None, *, field: str = "") -> Printed | None:
    """`27,000` -> 27000, `99000.00` -> 99000 (2 decimals), `—` -> None."""
    read = _read_number(text or "")
    if isinstance(read, str):
        raise ValueParseError(f"{read}: {text!r}", field=field)
    return read


def parse_percent(text: str | None, *, field: str = "") -> Printed | None:
    """`90.00%` -> 0.9 with 4 decimals (as a fraction); a bare `0.9` or `90` is read likewise."""
    folded = _fold(text or "")
    if folded in NOT_APPLICABLE:
        return None
    if folded.endswith("%"):
        number = parse_number(folded[:-1], field=field)
        if number is None:
            raise ValueParseError(f"not a percentage: {text!r}", field=field)
        return Printed(number.value / 100.0, number.decimals + 2)
    number = parse_number(folded, field=field)
    if number is None:
        return None
    if number.value > 1.5:  # printed without the sign: 97.10 means 97.10%
        return Printed(number.value / 100.0, number.decimals + 2)
    return number


def parse_year(text: str | None, *, field: str = "year") -> int:
    """`(2022 年度)`, `（２０２２年度）`, `2022年度财政项目…` -> 2022."""
    match = _YEAR.search(_fold(text or ""))
    if not match:
        raise ValueParseError(f"no year in {text!r}", field=field)
    return int(match.group(1))


def try_number(text: str | None) -> Printed | None:
    """Like `parse_number`, but a cell that is not a number is simply None."""
    read = _read_number(text or "")
    return None if isinstance(read, str) else read


def is_figure(text: str | None) -> bool:
    """A number or a percentage: what the funds block's columns hold."""
    text = text or ""
    return is_number(text[:-1] if text.endswith(("%", "％")) else text)


def is_number(text: str | None) -> bool:
    return isinstance(_read_number(text or ""), Printed)
