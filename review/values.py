"""The fields a reviewer may correct, the values each takes, and a correction applied to a form.

A correction names a `forms` column (`budget_full_year`, `project_name`, `year`, …) or an
indicator's column with its seq (`indicators[3].score`). An amount is typed as the form prints it,
in the form's unit (`9.90` on a 万元 form), or with its unit (`99000元`, `9.9万元`); it is kept with
its unit, so it means the same on a re-issued copy printed in the other unit. A blank number is
`—`. Every value is checked before anything is stored: a bad one is a `ReviewError`.
"""

from __future__ import annotations

import regex

from extractors.exceptions import ReviewError, ValueParseError
from extractors.numbers import NOT_APPLICABLE, Printed, parse_number, parse_percent
from schemas.format import WAN, place_parts
from schemas.model import AMOUNT_FIELDS, Form, Indicator, Source

TEXT = ("project_name", "department", "implementing_unit", "goal_planned", "goal_achieved", "grade")
SCORES = ("funds_weight", "funds_score", "total_score")
FORM_FIELDS = {**dict.fromkeys(TEXT, "text"), "year": "year", **dict.fromkeys(AMOUNT_FIELDS, "amount"),
               **dict.fromkeys(SCORES, "score"), "execution_rate": "percent"}
INDICATOR_FIELDS = {**dict.fromkeys(("level1", "level2", "level3", "target", "actual", "deviation_note"), "text"),
                    "weight": "score", "score": "score"}
UNITS = {"元": 1.0, "万元": WAN}
_AMOUNT = regex.compile(r"^(?P<number>.*?)\s*(?P<unit>万元|萬元|元)?$")
_INDICATOR = regex.compile(r"^indicators\[(?P<seq>\d+)\]\.(?P<name>\w+)$")
EXAMPLES = {"text": "any text", "year": "a year such as 2022", "amount": "an amount such as 99000, 9.90万元 or —",
            "score": "a score such as 9.5 or —", "percent": "a rate such as 90.00% or —"}


def field_name(field: str, seq: int | None) -> str:
    """The correction's field: `budget_full_year`, or `indicators[3].score` for an indicator's column."""
    if field in INDICATOR_FIELDS and field not in FORM_FIELDS:
        if seq is None:
            raise ReviewError(f"{field} is an indicator's column: give the indicator with --seq N")
        return f"indicators[{seq}].{field}"
    if field in FORM_FIELDS:
        if seq is not None:
            raise ReviewError(f"{field} is a column of the form, not of an indicator: leave out --seq")
        return field
    found = _INDICATOR.match(field)
    if found and found["name"] in INDICATOR_FIELDS:
        return field
    names = ", ".join([*FORM_FIELDS, *INDICATOR_FIELDS])
    raise ReviewError(f"unknown field {field!r}; fields: {names}")


def kind_of(field: str) -> str:
    found = _INDICATOR.match(field)
    return INDICATOR_FIELDS[found["name"]] if found else FORM_FIELDS[field]


def indicator_of(form: Form, field: str) -> Indicator | None:
    found = _INDICATOR.match(field)
    if not found:
        return None
    seq = int(found["seq"])
    if not 1 <= seq <= len(form.indicators):
        have = f"1–{len(form.indicators)}" if form.indicators else "none"
        raise ReviewError(f"no indicator {seq}: the form's indicators are {have}")
    return form.indicators[seq - 1]


def normalise(form: Form, field: str, text: str) -> str:
    """The value as it is stored in the decision, checked: an amount with its unit."""
    kind, value = kind_of(field), text.strip()
    example = f"{field} takes {EXAMPLES[kind]}, not {text!r}"
    indicator_of(form, field)
    try:
        if kind == "text":
            if not value:
                raise ReviewError(f"{field} takes {EXAMPLES[kind]}; give the text")
            return value
        if kind == "year":
            if not regex.fullmatch(r"(19|20)\d\d", value):
                raise ReviewError(example)
            return value
        if value in NOT_APPLICABLE:
            return "—"
        if kind == "percent":
            parse_percent(value)
            return value
        if kind == "score":
            if parse_number(value) is None:
                raise ReviewError(example)
            return value
        found = _AMOUNT.match(value)
        if found is None or not found["number"] or parse_number(found["number"]) is None:
            raise ReviewError(example)
        unit = (found["unit"] or form.amount_unit).replace("萬", "万")
        return f"{found['number']} {unit}"
    except ValueParseError:
        raise ReviewError(example) from None


def current_value(form: Form, field: str) -> str:
    """The field's value on the form now, as a decision records it (old_value)."""
    indicator = indicator_of(form, field)
    if indicator is not None:
        name = field.rsplit(".", 1)[1]
        value = getattr(indicator, name)
        if name in ("weight", "score"):
            source = form.sources.get(field)
            return source.text if source and source.text else ("—" if value is None else f"{value:g}")
        return str(value)
    kind = kind_of(field)
    if kind == "text":
        return str(getattr(form, field))
    if kind == "year":
        return "" if form.year is None else str(form.year)
    value = form.total_score if field == "total_score" else form.value(field)
    source = form.sources.get(field)
    text = source.text if source and source.text else ("—" if value is None else f"{value:g}")
    return f"{text} {form.amount_unit}" if kind == "amount" and value is not None else text


def _printed(kind: str, text: str, field: str) -> Printed | None:
    if text == "—":
        return None
    return parse_percent(text) if kind == "percent" else parse_number(text)


def _amount(form: Form, text: str) -> tuple[float | None, Printed | None, str]:
    """A stored amount (`9.90 万元`) as 元, as the form's unit would print it, and that text."""
    if text == "—":
        return None, None, "—"
    number, unit = text.rsplit(" ", 1)
    read = parse_number(number)
    if read is None:
        return None, None, "—"
    yuan = read.value * UNITS[unit]
    shown = yuan / UNITS.get(form.amount_unit, 1.0)
    decimals = max(0, read.decimals + (4 if UNITS[unit] > UNITS.get(form.amount_unit, 1.0) else
                                       -4 if UNITS[unit] < UNITS.get(form.amount_unit, 1.0) else 0))
    shown_text = f"{shown:.{decimals}f}"
    return yuan, Printed(shown, decimals), shown_text


def _drop_unparsed(form: Form, field: str, indicator: Indicator | None) -> None:
    """A corrected value replaces the one that could not be read."""
    if indicator is None:
        form.unparsed = [u for u in form.unparsed if u[0] != field]
        return
    name = field.rsplit(".", 1)[1]
    form.unparsed = [u for u in form.unparsed if not (u[0] == name and place_parts(u[2])[:2] ==
                                                      (indicator.source_page, indicator.source_line))]


def apply_correction(form: Form, field: str, value: str) -> None:
    """The stored correction `value` put into the form (in place), as if the form printed it."""
    kind, indicator = kind_of(field), indicator_of(form, field)
    where = form.sources[field].where if field in form.sources else ""
    _drop_unparsed(form, field, indicator)
    if kind == "text":
        target, name = (indicator, field.rsplit(".", 1)[1]) if indicator is not None else (form, field)
        setattr(target, name, value)
        form.sources[field] = Source(value, where)
        return
    if kind == "year":
        form.year = int(value)
        return
    if kind == "amount":
        number, printed, text = _amount(form, value)
    else:
        printed, text = _printed(kind, value, field), value
        number = None if printed is None else printed.value
    form.sources[field] = Source(text, where)
    if printed is None:
        form.printed.pop(field, None)
    else:
        form.printed[field] = printed
    if indicator is not None:
        name = field.rsplit(".", 1)[1]
        setattr(indicator, name, number)
        setattr(indicator, f"{name}_printed", printed)
    elif field == "total_score":
        form.total_score = number
    else:
        form.amounts[field] = number
