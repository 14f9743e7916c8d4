"""A funds row whose cells lost their places: which printed number stands under which column.

A flattened copy drops blank cells and sometimes the spaces between numbers too
(`年度资金总额202010100.00%10`). The numbers are read back under the funds header's columns by the
form's own arithmetic — 执行率 = 执行数 ÷ 预算数, 得分 = 分值 × min(执行率, 1) — and the shapes a
column takes (a percentage only under 执行率, 分值 at most 100, 得分 at most 分值). A run of digits is
split only where exactly one reading is best; where none or several are, the run is left whole in
its first column, so the form's check reports it as a value that does not parse: numbers are
never guessed. With blanks but no runs, the numbers fill the columns from the left, as they
stood, unless the arithmetic prefers another place.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, product

import regex

from extractors.numbers import NOT_APPLICABLE, Printed, is_figure, parse_percent, try_number

AMOUNTS = ("initial", "full_year", "executed")
MAX_WEIGHT = 100.0
ODD_DECIMALS = 0.5  # what a reading loses for each amount printed with 1 or 3 decimals
UNLIKE_DECIMALS = 0.25  # and for each other number of decimals among the row's amounts
MAX_READINGS = 5000  # readings tried for one row before giving up on a run of digits
_PIECE = regex.compile(r"(?:0|[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*)(?:\.[0-9]{1,4})?%?")
_RUN = regex.compile(r"^[0-9.,%]+$")


def is_numeric_token(text: str) -> bool:
    """A token a funds row holds: a figure, a not-applicable mark, or a run of them."""
    return text in NOT_APPLICABLE or is_figure(text) or bool(_RUN.match(text))


@lru_cache(maxsize=1024)
def splits(text: str, max_pieces: int, *, limit: int = 512) -> tuple[tuple[str, ...], ...]:
    """Every way to cut a token into at most `max_pieces` printed numbers (no leading zeros; `%`
    only at a number's end)."""
    if text in NOT_APPLICABLE or is_figure(text) and not _ambiguous_figure(text):
        return ((text,),)
    found: list[tuple[str, ...]] = []

    def cut(rest: str, pieces: tuple[str, ...]) -> None:
        if len(found) >= limit:
            return
        if not rest:
            found.append(pieces)
            return
        if len(pieces) >= max_pieces:
            return
        for end in range(1, len(rest) + 1):
            piece = rest[:end]
            if _PIECE.fullmatch(piece):
                cut(rest[end:], (*pieces, piece))

    cut(text, ())
    return tuple(found)


def _ambiguous_figure(text: str) -> bool:
    """A figure that may be two run together: more than one `.`, or a `%` in the middle."""
    return text.count(".") > 1 or "%" in text[:-1]


def _value(text: str, column: str) -> Printed | None:
    return parse_percent(text) if column == "rate" else try_number(text)


def _fits(column: str, text: str) -> bool:
    """Whether a printed number may stand in the column at all."""
    if text in NOT_APPLICABLE:
        return True
    if text.endswith("%"):
        return column == "rate" and try_number(text[:-1]) is not None
    number = try_number(text)
    if number is None:
        return False
    if column in ("rate", "weight"):
        return number.value <= MAX_WEIGHT
    return True


def _divides(executed: Printed, base: Printed | None, rate: Printed) -> bool:
    return base is not None and base.value != 0 and abs(executed.value / base.value - rate.value) <= rate.unit + 1e-9


def _arithmetic(reading: dict[str, str]) -> float:
    """Points for every check of the row the reading passes, less for every one it fails; a little
    less for figures printed as forms do not print them: an amount with 1 or 3 decimals, amounts of
    one row with different decimals, 分值 or 得分 with a trailing zero, 执行率 without two decimals."""
    got = {k: _value(t, k) for k, t in reading.items() if t not in NOT_APPLICABLE}
    decimals = [p.decimals for k in AMOUNTS if (p := got.get(k)) is not None]
    points = -ODD_DECIMALS * sum(1 for d in decimals if d not in (0, 2, 4)) - UNLIKE_DECIMALS * max(len(set(decimals)) - 1, 0)
    points -= UNLIKE_DECIMALS * sum(1 for k in ("weight", "score") if reading.get(k, "").endswith(("0", ".")) and
                                    "." in reading.get(k, ""))  # 分值 and 得分 print no trailing zero: 9.5, not 9.50
    points -= UNLIKE_DECIMALS * (reading.get("rate", "%").endswith("%") and (rate := got.get("rate")) is not None
                                 and rate.decimals != 4)  # 执行率 prints two decimals: 95.00%
    rate, executed = got.get("rate"), got.get("executed")
    full_year, initial = got.get("full_year"), got.get("initial")
    if rate is not None and executed is not None and (full_year or initial):
        # 全年预算数 is the usual base of 执行率; 年初预算数 the other some forms mark
        points += 2.0 if _divides(executed, full_year, rate) else 1.5 if _divides(executed, initial, rate) else -5.0
    weight, score = got.get("weight"), got.get("score")
    if weight is not None and score is not None:
        if score.value > weight.value + score.unit:
            return -100.0
        if rate is not None:
            fits = abs(weight.value * min(rate.value, 1.0) - score.value) <= max(score.unit, 0.01) + 1e-9
            points += 2.0 if fits else -5.0
    return points


def _placements(values: list[str], columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The values under the columns in order, blanks anywhere; leftmost places first."""
    if len(values) > len(columns):
        return []
    out = []
    for places in combinations(range(len(columns)), len(values)):
        reading = {columns[p]: v for p, v in zip(places, values, strict=True)}
        if all(_fits(k, v) for k, v in reading.items()):
            out.append(reading)
    return out


def read_funds_row(tokens: list[str], columns: tuple[str, ...]) -> dict[str, str]:
    """The row's printed numbers by column; a run of digits with no single reading stays whole."""
    options = [splits(t, len(columns) - len(tokens) + 1) for t in tokens]
    readings: list[tuple[float, int, dict[str, str], tuple]] = []
    for order, choice in enumerate(product(*options)):
        if order >= MAX_READINGS:
            break
        values = [v for pieces in choice for v in pieces]
        for rank, reading in enumerate(_placements(values, columns)):
            readings.append((_arithmetic(reading), -rank, reading, choice))
    runs = [i for i, o in enumerate(options) if len(o) != 1 or o[0] != (tokens[i],)]
    if not readings:
        return _whole(tokens, columns)
    best = max(r[0] for r in readings)
    top = [r for r in readings if r[0] == best]
    if runs and len({r[3] for r in top}) > 1:  # the arithmetic allows several ways to cut a run
        return _whole(tokens, columns)
    return max(top, key=lambda r: r[1])[2]


def _whole(tokens: list[str], columns: tuple[str, ...]) -> dict[str, str]:
    """The tokens as printed, from the left: a run that no reading settles fails to parse there."""
    return dict(zip(columns, tokens, strict=False))
