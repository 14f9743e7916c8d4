"""schemas/tables.py: the one-pass check of a file's frames says what pandera's schema says, a row
that breaks a schema is still caught, and in a batch it rejects only its own file."""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandera.errors import SchemaErrors

from flows.pipeline import FileOutcome, validate_batch
from schemas.model import Flag, Form, Indicator
from schemas.tables import COLUMNS, SCHEMAS, forms_to_frames, frame_meets_schema, frame_to_rows, rows_to_frame

SHA = "ab" * 32


def _form(form_id: str, source_file: str = "a.txt", /, **fields: object) -> Form:
    form = Form(form_id, source_file, SHA, year=2022, project_name="项目", amount_unit="元", total_score=90.0,
                amounts={"budget_full_year": 100.0, "execution_rate": 95.0}, confidence=0.9)
    form.indicators = [Indicator(seq, level1="产出指标", target="≥95%", weight=10.0, score=9.0) for seq in (1, 2)]
    for name, value in fields.items():
        setattr(form, name, value)
    return form


def _pandera_passes(table: str, frame: pd.DataFrame) -> bool:
    try:
        SCHEMAS[table].validate(frame.copy(), lazy=True)
    except SchemaErrors:
        return False
    return True


def test_good_forms_pass_both_ways() -> None:
    frames = forms_to_frames([_form("f1"), _form("f2")], [Flag("f1", "budget_sources", "warning", "m")])
    for table, frame in frames.items():
        assert frame_meets_schema(table, frame) and _pandera_passes(table, frame)
    assert frames["forms"]["status"].tolist() == ["flagged", "ok"]


@pytest.mark.parametrize(("change", "column", "check"), [
    ({"amount_unit": "美元"}, "amount_unit", "isin"),
    ({"year": 1850}, "year", "in_range"),
    ({"confidence": 1.5}, "confidence", "in_range"),
    ({"amounts": {"execution_rate": 101.0}}, "execution_rate", "in_range"),
    ({"project_name": None}, "project_name", "not_nullable"),
    ({"form_id": "f1"}, "form_id", "uniqueness"),  # the same id as the form before it
])
def test_a_bad_form_row_is_caught(change: dict, column: str, check: str) -> None:
    with pytest.raises(SchemaErrors) as caught:
        forms_to_frames([_form("f1"), _form("f2", **change)], [])
    cases = caught.value.failure_cases
    assert any(c == column and check in str(k) for c, k in zip(cases["column"], cases["check"], strict=True)), cases


def test_bad_indicator_and_flag_rows_are_caught() -> None:
    form = _form("f1")
    form.indicators.append(Indicator(2, level1="效益指标"))  # seq 2 twice in one form
    with pytest.raises(SchemaErrors, match="seq"):
        forms_to_frames([form], [])
    form.indicators[-1].seq = 0
    with pytest.raises(SchemaErrors, match="seq"):
        forms_to_frames([form], [])
    with pytest.raises(SchemaErrors, match="severity"):
        forms_to_frames([_form("f1")], [Flag("f1", "budget_sources", "fatal", "m")])


def test_a_bad_row_rejects_only_its_file() -> None:
    forms = [_form("a1", "a.txt"), _form("b1", "b.txt", amount_unit="美元"), _form("c1", "c.txt")]
    outcomes = [FileOutcome(name, SHA, "loaded", "", 1, 2, Counter()) for name in ("a.txt", "b.txt", "c.txt")]
    rows = validate_batch(outcomes, forms, [])
    assert [o.status for o in outcomes] == ["loaded", "rejected", "loaded"]
    assert "amount_unit" in outcomes[1].reason
    assert [row[0] for row in rows["forms"]] == ["a1", "c1"]


_TEXT = st.one_of(st.none(), st.sampled_from(["", "ok", "flagged", "元", "万元", "error", "open", "x"]), st.text(max_size=3))
_NUMBER = st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 0.5, 1.0, 1.5, 99.0, 100.0, 101.0, math.nan]),
                    st.floats(allow_nan=False, width=32))
_INT = st.one_of(st.sampled_from([-1, 0, 1, 2]), st.integers(-3, 3000))
_YEAR = st.one_of(st.none(), st.sampled_from([1899, 1900, 2022, 2099, 2100]))
_KIND = {"str": _TEXT, "float": _NUMBER, "int": _INT, "Int64": _YEAR}


@st.composite
def _rows(draw: st.DrawFn, table: str) -> list[dict]:
    keys = draw(st.lists(st.sampled_from(["k1", "k2", "k3"]), max_size=4))
    rows = [{name: draw(_KIND[kind]) for name, kind in COLUMNS[table].items()} for _ in keys]
    for row, key in zip(rows, keys, strict=True):
        row["form_id" if table != "flags" else "flag_id"] = key
    return rows


@pytest.mark.parametrize("table", ["forms", "indicators", "flags"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_one_pass_check_agrees_with_pandera(table: str, data: st.DataObject) -> None:
    frame = rows_to_frame(table, data.draw(_rows(table)))
    assert frame_meets_schema(table, frame) == _pandera_passes(table, frame)


def _plain(row: list) -> list:
    return [(type(v), None if v is None or v != v else v) for v in row]


@pytest.mark.parametrize("table", ["forms", "indicators", "flags"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_frame_rows_are_the_object_frames_rows(table: str, data: st.DataObject) -> None:
    frame = rows_to_frame(table, data.draw(_rows(table)))
    expected = frame.astype(object).where(frame.notna(), None).values.tolist()
    assert [_plain(r) for r in frame_to_rows(frame)] == [_plain(r) for r in expected]
