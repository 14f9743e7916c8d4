"""A spreadsheet cell's value as the sheet displays it, by its number format.

A form's figures are read as printed: `0.9` in a `0.00%` cell is `90.00%`, `27000` in `#,##0` is
`27,000`, `9.71` in `0.00` is `9.71`. This covers the formats forms use: decimals, grouping,
percent, literal text and quoted units, sections for negative and zero, colours and locale tags
(ignored), `_`/`*` padding, scaling commas and scientific notation. A format it cannot print
(dates on a number, fractions) falls back to Excel's General display.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import regex

GENERAL_DIGITS = 10  # General shows about this many significant digits (11 characters)
_BRACKETS = regex.compile(r"\[[^\]]*\]")
_CURRENCY = regex.compile(r"\[\$([^\]-]*)(?:-[^\]]*)?\]")  # [$¥-804]: the symbol is printed
_DATE_CODES = regex.compile(r"[ymdhsYMDHS]")
_TOKEN = regex.compile(r'"[^"]*"|\\.|_.|\*.|[0#?,.]+|E[+-][0#]+|e[+-][0#]+|%|.', regex.S)


def _sections(fmt: str) -> list[str]:
    """The format's ;-separated sections (positive; negative; zero; text), quotes respected."""
    out: list[str] = []
    current: list[str] = []
    quoted = False
    for char in fmt:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return out


def general_text(value: float) -> str:
    """Excel's General display: integers whole, others to about ten significant digits."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{GENERAL_DIGITS}g}"
    if "e" in text and 1e-9 <= abs(value) < 1e15:
        text = f"{value:.{GENERAL_DIGITS}f}".rstrip("0").rstrip(".")
    return text


def _round(value: float, places: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _digits(value: float, pattern: str) -> str:
    """The number printed by one placeholder run such as `#,##0.00`."""
    whole_part, _, frac_part = pattern.partition(".")
    stripped = whole_part.rstrip(",")
    scale = len(whole_part) - len(stripped)
    value = value / 1000 ** scale
    grouped = "," in stripped
    min_places = frac_part.count("0")
    places = sum(frac_part.count(c) for c in "0#?")
    rounded = _round(value, places)
    text = f"{rounded:{',' if grouped else ''}.{places}f}"
    if places > min_places:  # `#` decimals show only what the value needs
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0").ljust(min_places, "0")
        text = whole + ("." + frac if frac else ("." if pattern.endswith(".") else ""))
    if stripped.count("0") == 0 and text.startswith("0") and "." in text:
        text = text[1:]  # `#.00` prints .50
    return text


@lru_cache(maxsize=512)
def _parse(section: str) -> tuple[list[str], int, bool]:
    """A section's tokens, its count of %, and whether it has any digit placeholder."""
    section = _CURRENCY.sub(lambda m: f'"{m.group(1)}"', section)
    tokens = _TOKEN.findall(_BRACKETS.sub("", section))
    return tokens, tokens.count("%"), any(t[0] in "0#?" or (t[0] in ".," and len(t) > 1) for t in tokens)


def _scientific(value: float, token: str, pattern: str) -> str:
    places = pattern.partition(".")[2].count("0")
    mantissa, exponent = f"{value:.{places}E}".split("E")
    sign = "-" if int(exponent) < 0 else ("+" if token[1] == "+" else "")
    return f"{mantissa}E{sign}{abs(int(exponent)):0{len(token) - 2}d}"


def _render(value: float, section: str) -> str | None:
    tokens, percents, has_digits = _parse(section)
    if not has_digits and not percents:
        return None if _DATE_CODES.search("".join(t for t in tokens if t[0] not in '"\\_*')) else \
            "".join(_literal(t) for t in tokens)
    value = value * 100 ** percents
    out, pattern = [], None
    for token in tokens:
        if token[0] in "0#?" or (token[0] in ".," and len(token) > 1):
            pattern = token
            out.append("\x00")
        elif token[0] in "Ee" and len(token) > 2 and pattern is not None:
            out[out.index("\x00")] = _scientific(value, token, pattern)
        else:
            out.append(_literal(token))
    text = "".join(out)
    return text.replace("\x00", _digits(value, pattern), 1) if pattern is not None else text


def _literal(token: str) -> str:
    if token.startswith('"'):
        return token[1:-1]
    if token[0] == "\\":
        return token[1:]
    if token[0] == "_":
        return " "
    if token[0] == "*":
        return ""
    return token


@lru_cache(maxsize=4096)
def format_number(value: float, fmt: str | None) -> str:
    """A number as a cell in format `fmt` shows it; General (or an unknown format) as Excel does.
    Remembered: a form's figures repeat (weights, scores, zeros), and printing one is the work."""
    fmt = (fmt or "").strip()
    if not fmt or fmt.lower() == "general" or fmt == "@":
        return general_text(value)
    sections = _sections(fmt)
    if value < 0 and len(sections) >= 2 and sections[1]:
        section, value, sign = sections[1], -value, ""
    elif value == 0 and len(sections) >= 3:
        section, sign = sections[2], ""
    else:
        section, sign = sections[0], "-" if value < 0 else ""
        value = abs(value)
    if section.lower() == "general":
        return sign + general_text(value)
    text = _render(value, section)
    if text is None:
        return sign + general_text(value)
    zero = text.strip("-0.,% ") == "" and any(ch.isdigit() for ch in text)
    return ("" if zero else sign) + text


def display_value(value: object, fmt: str | None = None) -> str:
    """Any cell value as shown: text as it is, numbers by their format, dates as 2022-12-31."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return format_number(float(value), fmt)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.time() != dt.time() else "%Y-%m-%d")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
