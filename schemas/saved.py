"""A form as it was extracted, kept in the store so review decisions can be applied to it again.

The table rows lose what the checks need to recompute a form faithfully (how many decimals each
number was printed with, what 执行率 divides by, where each value stood, the text no field took);
`form_to_blob` keeps all of it, compressed JSON, and `blob_to_form` gives the same `Form` back.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import fields
from typing import Any

from extractors.numbers import Printed
from schemas.model import Form, Indicator, Source, Unplaced

_PLAIN_FORM = [f.name for f in fields(Form) if f.name not in
               ("amounts", "printed", "indicators", "unplaced", "unparsed", "doubtful", "sources")]
_PLAIN_INDICATOR = [f.name for f in fields(Indicator) if f.name not in ("weight_printed", "score_printed")]


def _printed(value: Printed | None) -> list | None:
    return None if value is None else [value.value, value.decimals]


def _unprinted(value: list | None) -> Printed | None:
    return None if value is None else Printed(float(value[0]), int(value[1]))


def form_to_dict(form: Form) -> dict[str, Any]:
    record: dict[str, Any] = {name: getattr(form, name) for name in _PLAIN_FORM}
    record["amounts"] = form.amounts
    record["printed"] = {k: _printed(v) for k, v in form.printed.items()}
    record["indicators"] = [{**{n: getattr(i, n) for n in _PLAIN_INDICATOR},
                             "weight_printed": _printed(i.weight_printed), "score_printed": _printed(i.score_printed)}
                            for i in form.indicators]
    record["unplaced"] = [[u.text, u.where] for u in form.unplaced]
    record["doubtful"] = [[u.text, u.where] for u in form.doubtful]
    record["unparsed"] = [list(u) for u in form.unparsed]
    record["sources"] = {k: list(v) for k, v in form.sources.items()}
    return record


def dict_to_form(record: dict[str, Any]) -> Form:
    form = Form(**{name: record[name] for name in _PLAIN_FORM if name in record})
    form.amounts = dict(record.get("amounts", {}))
    form.printed = {k: p for k, v in record.get("printed", {}).items() if (p := _unprinted(v)) is not None}
    form.indicators = [Indicator(**{n: i[n] for n in _PLAIN_INDICATOR if n in i},
                                 weight_printed=_unprinted(i.get("weight_printed")),
                                 score_printed=_unprinted(i.get("score_printed")))
                       for i in record.get("indicators", [])]
    form.unplaced = [Unplaced(*u) for u in record.get("unplaced", [])]
    form.doubtful = [Unplaced(*u) for u in record.get("doubtful", [])]
    form.unparsed = [(f, t, w) for f, t, w in record.get("unparsed", [])]
    form.sources = {k: Source(*v) for k, v in record.get("sources", {}).items()}
    return form


def form_to_blob(form: Form) -> bytes:
    text = json.dumps(form_to_dict(form), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8"), 1)


def blob_to_form(blob: bytes) -> Form:
    return dict_to_form(json.loads(zlib.decompress(blob).decode("utf-8")))


def forms_to_blob_rows(forms: list[Form]) -> list[list]:
    """(form_id, blob) of each form: the store's `extractions` rows."""
    return [[form.form_id, form_to_blob(form)] for form in forms]
