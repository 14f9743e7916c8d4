"""A contradiction and a doubtful read, named together.

When the form's arithmetic contradicts itself and one of the numbers that arithmetic used was
recognised with low confidence (a cell of `Form.doubtful`, "94.00 (confidence 0.61)" at its
place on the page), the likelier story is a misread, not a wrong form: the flag says both. A
number of an indicator row counts only when the doubtful cell is on that indicator's line.
"""

from __future__ import annotations

import regex

from extractors.numbers import Printed, parse_percent, try_number
from schemas.format import place_zh
from schemas.model import Flag, Form, Indicator, Unplaced

DOUBTFUL = regex.compile(r"^(?P<text>.*) \(confidence (?P<score>[0-9.]+)\)$", regex.S)
PLACE = regex.compile(r"(?:page (?P<page>\d+) )?line (?P<line>\d+)")
ARITHMETIC = ("total_score", "weight_sum", "execution_rate", "funds_score", "budget_sources",
              "score_exceeds_weight", "indicator_score")
SOURCES = ("budget", "appropriation", "carryover", "other")


def _printed(form: Form, *fields: str) -> list[float]:
    """The numbers as printed (a rate as a fraction, as the cell's text parses)."""
    return [form.printed[f].value for f in fields if f in form.printed]


def _indicator(form: Form, field: str) -> Indicator | None:
    found = regex.match(r"indicators\[(\d+)\]", field)
    return next((i for i in form.indicators if found and i.seq == int(found[1])), None)


def involved(form: Form, flag: Flag) -> tuple[list[float], list[Indicator]]:
    """The form-level numbers the flag's check used, and the indicator rows whose numbers it used."""
    rows = list(form.indicators)
    if flag.check == "total_score":
        return _printed(form, "total_score", "funds_score"), rows
    if flag.check == "weight_sum":
        return _printed(form, "funds_weight"), rows
    if flag.check == "execution_rate":
        return _printed(form, "execution_rate", "budget_full_year", "budget_executed"), []
    if flag.check == "funds_score":
        return _printed(form, "funds_weight", "funds_score", "execution_rate"), []
    if flag.check == "budget_sources":
        column = flag.field.removeprefix("budget_")
        return _printed(form, *(f"{s}_{column}" for s in SOURCES)), []
    one = _indicator(form, flag.field)
    return [], [one] if one is not None else []


def _number(text: str) -> float | None:
    try:
        read: Printed | None = parse_percent(text) if text.rstrip().endswith(("%", "％")) else try_number(text)
    except ValueError:
        return None
    return read.value if read is not None else None


def _on_line(item: Unplaced, indicator: Indicator) -> bool:
    place = PLACE.search(item.where)
    return bool(place) and int(place["line"]) == indicator.source_line and (
        place["page"] is None or int(place["page"]) == indicator.source_page)


def doubtful_reads(form: Form, flag: Flag) -> list[tuple[str, str]]:
    """Descriptions (zh, en) of the doubtful cells holding a number the flag's check used."""
    values, rows = involved(form, flag)
    named = []
    for item in form.doubtful:
        found = DOUBTFUL.match(item.text)
        number = _number(found["text"]) if found else None
        if found is None or number is None:
            continue
        row_values = [v for i in rows if _on_line(item, i) for v in (i.score, i.weight) if v is not None]
        if any(abs(number - v) <= 1e-9 * max(1.0, abs(v)) for v in values + row_values):
            named.append((f"「{found['text']}」（{place_zh(item.where)}）识别置信度低（{found['score']}）",
                          f"{found['text']!r} at {item.where} was read with low confidence ({found['score']})"))
    return named


def name_doubts(form: Form, flags: list[Flag]) -> list[Flag]:
    """The flags, each arithmetic one naming the doubtful reads of the numbers it used (in place)."""
    for flag in flags:
        if flag.check in ARITHMETIC:
            reads = doubtful_reads(form, flag)
            if reads:
                flag.message += "；" + "；".join(zh for zh, _ in reads) + "：更可能是识别有误，而非表格本身有误"
                flag.message_en += "; " + "; ".join(en for _, en in reads) + ": a misread is likelier than a wrong form"
    return flags
