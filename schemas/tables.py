"""The warehouse tables: their columns, their pandera schemas, and forms turned into rows.

`COLUMNS` is the one place a table's columns and types are written; the pandera schema that
validates a table before it is written and the arrow schema it is written with both come from it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
from pandera import dtypes
from pandera.engines import pandas_engine

from schemas.model import AMOUNT_FIELDS, FUNDS_FIELDS, Flag, Form

FILE_STATUSES = ("loaded", "rejected", "duplicate")
FORM_STATUSES = ("ok", "flagged")
FLAG_STATUSES = ("open", "accepted", "corrected")
SEVERITIES = ("error", "warning")

_STR, _INT, _NINT, _FLOAT = "str", "int", "Int64", "float"
_ARROW = {_STR: pa_arrow.string(), _INT: pa_arrow.int64(), _NINT: pa_arrow.int64(), _FLOAT: pa_arrow.float64()}

COLUMNS: dict[str, dict[str, str]] = {
    "files": {"file_name": _STR, "sha256": _STR, "status": _STR, "reason": _STR, "forms": _INT,
              "seen_at": _STR},
    "forms": {"form_id": _STR, "source_file": _STR, "source_sha256": _STR, "year": _NINT,
              "project_name": _STR, "department": _STR, "implementing_unit": _STR, "amount_unit": _STR,
              **{f: _FLOAT for f in ("budget_initial", "budget_full_year", "budget_executed")},
              **{f: _FLOAT for f in FUNDS_FIELDS},
              **{f: _FLOAT for f in AMOUNT_FIELDS[3:]},
              "goal_planned": _STR, "goal_achieved": _STR, "total_score": _FLOAT, "status": _STR,
              "source_page": _INT, "source_line": _INT, "confidence": _FLOAT, "grade": _STR, "family": _STR,
              "form_key": _STR, "project_code": _STR},
    "indicators": {"form_id": _STR, "seq": _INT, "level1": _STR, "level2": _STR, "level3": _STR,
                   "target": _STR, "actual": _STR, "weight": _FLOAT, "score": _FLOAT, "deviation_note": _STR,
                   "source_page": _INT, "source_line": _INT},
    "flags": {"flag_id": _STR, "form_id": _STR, "check": _STR, "severity": _STR, "message": _STR,
              "field": _STR, "expected": _STR, "found": _STR, "status": _STR,
              "source_file": _STR, "source_sha256": _STR, "message_en": _STR,
              "page": _INT, "line": _INT, "sheet": _STR, "cell": _STR, "location": _STR, "archived_file": _STR},
}
EVIDENCE = ("page", "line", "sheet", "cell", "location")  # flags' columns saying where the value stands
TABLES = tuple(COLUMNS)

_CHECKS: dict[tuple[str, str], list[pa.Check]] = {
    ("files", "status"): [pa.Check.isin(FILE_STATUSES)],
    ("files", "sha256"): [pa.Check.str_matches(r"^[0-9a-f]{64}$")],
    ("files", "forms"): [pa.Check.ge(0)],
    ("forms", "status"): [pa.Check.isin(FORM_STATUSES)],
    ("forms", "amount_unit"): [pa.Check.isin(("元", "万元"))],
    ("forms", "year"): [pa.Check.in_range(1900, 2099)],  # what parse_year reads
    ("forms", "execution_rate"): [pa.Check.in_range(0, 100)],
    ("forms", "confidence"): [pa.Check.in_range(0, 1)],
    ("indicators", "seq"): [pa.Check.ge(1)],
    ("flags", "severity"): [pa.Check.isin(SEVERITIES)],
    ("flags", "status"): [pa.Check.isin(FLAG_STATUSES)],
}
_UNIQUE = {"forms": ["form_id"], "indicators": ["form_id", "seq"], "flags": ["flag_id"]}


@dtypes.immutable
class Text(pandas_engine.DataType):
    """The dtype pandas gives `str`, checked by the column's dtype alone. Coerces and fails like
    pandera's `str`, which also tests every value and formats a report even when all pass:
    about 0.3 ms a column, paid on every file."""

    type = pd.api.types.pandas_dtype("str")

    def __init__(self) -> None:  # the dtype is fixed: no argument
        self.__post_init__()


def _schema(table: str) -> pa.DataFrameSchema:
    columns = {
        name: pa.Column(kind if kind != _STR else Text(), checks=_CHECKS.get((table, name), []),
                        nullable=kind in (_NINT, _FLOAT))
        for name, kind in COLUMNS[table].items()
    }
    return pa.DataFrameSchema(columns, unique=_UNIQUE.get(table), strict=True, ordered=True)


SCHEMAS = {table: _schema(table) for table in TABLES}
ARROW_SCHEMAS = {table: pa_arrow.schema([(n, _ARROW[k]) for n, k in COLUMNS[table].items()]) for table in TABLES}


_PANDAS = {kind: pd.api.types.pandas_dtype(name)  # as objects: pandas parses a name on every call
           for kind, name in {_STR: "str", _INT: "int64", _NINT: "Int64", _FLOAT: "float64"}.items()}
_DTYPES = {table: [_PANDAS[kind] for kind in COLUMNS[table].values()] for table in TABLES}
_NOT_NULL = {table: [i for i, column in enumerate(SCHEMAS[table].columns.values()) if not column.nullable]
             for table in TABLES}  # the positions of the columns that allow no blank

# pandera's built-in checks as whole-column tests. A number column is tested as floats, a blank
# (NaN) passing as pandera's `ignore_na` lets it; a set check takes the column's distinct values,
# where a blank fails (so pandera decides). Any other check is run by pandera itself.
_INCLUSIVE = {(True, True): (operator.ge, operator.le), (True, False): (operator.ge, operator.lt),
              (False, True): (operator.gt, operator.le), (False, False): (operator.gt, operator.lt)}
_NUMBER_TESTS: dict[str | None, Callable[..., Any]] = {
    "in_range": lambda v, min_value, max_value, include_min=True, include_max=True: (
        _INCLUSIVE[include_min, include_max][0](v, min_value) & _INCLUSIVE[include_min, include_max][1](v, max_value)),
    "greater_than_or_equal_to": lambda v, min_value: v >= min_value,
}


def _column_passes(series: pd.Series, check: pa.Check) -> bool:
    plain = check.ignore_na and not check.element_wise and check.groupby is None
    statistics = check.statistics or {}
    if plain and check.name == "isin":
        return set(series.tolist()).issubset(statistics["allowed_values"])
    test = _NUMBER_TESTS.get(check.name)
    if plain and test is not None and pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return bool((test(values, **statistics) | np.isnan(values)).all())
    return bool(check(series).check_passed)


def _unique(frame: pd.DataFrame, keys: list[str]) -> bool:
    return len(set(zip(*(frame[key].tolist() for key in keys), strict=True))) == len(frame)


def frame_meets_schema(table: str, frame: pd.DataFrame) -> bool:
    """Whether every row of a frame meets its table's pandera schema, in one vectorised pass: the
    columns in order, each of its dtype, no blank where the schema allows none, the schema's own
    checks (run on whole columns), no repeated key. True only when pandera would pass the frame too;
    on False, `SCHEMAS[table].validate` says which rows fail. Pandera's own pass costs about 0.2 ms a
    column on every file even when all is well, most of it bookkeeping."""
    schema = SCHEMAS[table]
    if list(frame.columns) != list(schema.columns) or list(frame.dtypes) != _DTYPES[table]:
        return False
    if frame.isna().to_numpy()[:, _NOT_NULL[table]].any():
        return False
    for name, column in schema.columns.items():
        if column.checks and not all(_column_passes(frame[name], check) for check in column.checks):
            return False
    return not schema.unique or _unique(frame, schema.unique)


def _column(values: list, kind: str) -> object:
    """One column's values as an array of its dtype. Text goes to arrow in one call (what pandas
    does for `str`, less a pass of its own over every value) unless a value is no text; a
    number column is a numpy array (None is NaN)."""
    if kind == _STR:
        try:
            return pd.array(pa_arrow.array(values, type=pa_arrow.large_string()), dtype=_PANDAS[_STR])
        except (pa_arrow.ArrowTypeError, pa_arrow.ArrowInvalid):
            pass
    elif kind == _FLOAT:
        return np.array(values, dtype=np.float64)
    return pd.array(values, dtype=_PANDAS[kind])


def rows_to_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame with each column already of its table's dtype, so validating need not coerce."""
    return pd.DataFrame({name: _column([r[name] for r in rows], kind) for name, kind in COLUMNS[table].items()})


def empty_frame(table: str) -> pd.DataFrame:
    return rows_to_frame(table, [])


_FORM_ATTRIBUTES = [name for name in COLUMNS["forms"] if name in Form.__dataclass_fields__]
_FORM_AMOUNTS = (*AMOUNT_FIELDS, *FUNDS_FIELDS)


def form_to_record(form: Form, status: str) -> dict:
    record = {name: getattr(form, name) for name in _FORM_ATTRIBUTES}
    amounts = form.amounts
    record.update({name: amounts.get(name) for name in _FORM_AMOUNTS})
    record["status"] = status
    record["form_key"] = ""  # given when the form is committed (`review.identity`)
    return record


def forms_to_frames(forms: list[Form], flags: list[Flag]) -> dict[str, pd.DataFrame]:
    """The forms, indicators and flags tables of one file's forms, validated lazily.

    Raises `pandera.errors.SchemaErrors`, whose `failure_cases` says every row that failed.
    """
    open_forms = {f.form_id for f in flags if f.form_id}
    form_rows = [form_to_record(f, "flagged" if f.form_id in open_forms else "ok") for f in forms]
    indicator_rows = [
        {"form_id": f.form_id, "seq": i.seq, "level1": i.level1, "level2": i.level2, "level3": i.level3,
         "target": i.target, "actual": i.actual, "weight": i.weight, "score": i.score,
         "deviation_note": i.deviation_note, "source_page": i.source_page, "source_line": i.source_line}
        for f in forms for i in f.indicators
    ]
    flag_rows = [
        {"flag_id": g.flag_id, "form_id": g.form_id, "check": g.check, "severity": g.severity,
         "message": g.message, "field": g.field, "expected": g.expected, "found": g.found, "status": "open",
         "source_file": g.source_file, "source_sha256": g.source_sha256, "message_en": g.message_en,
         **{name: getattr(g, name) for name in EVIDENCE}, "archived_file": ""}
        for g in flags
    ]
    frames = {}
    for table, rows in (("forms", form_rows), ("indicators", indicator_rows), ("flags", flag_rows)):
        frame = rows_to_frame(table, rows)
        frames[table] = frame if frame_meets_schema(table, frame) else \
            SCHEMAS[table].validate(frame, lazy=True, inplace=True)
    return frames


def frame_to_rows(frame: pd.DataFrame) -> list[list]:
    """A frame's rows as plain Python values, None for a blank: what
    `frame.astype(object).where(frame.notna(), None).values.tolist()` gives, column by column
    rather than through an object frame (a third of the time)."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        values = series.tolist()
        blank = series.isna().to_numpy()
        if blank.any():
            values = [None if b else v for v, b in zip(values, blank, strict=True)]
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in range(len(frame))]
