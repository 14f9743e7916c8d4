"""Golden files: every fixtures/<case>/ loads into a warehouse that equals its gold.json.

Each case's inputs go through the real stages (read, segment, rebuild, check, parquet) and the
tables are read back with pandas; every gold field of every form and indicator row is compared,
strings with layout whitespace removed, numbers to 0.005. The flags a case's gold lists must be
raised, and no other flag of error severity. A field a case's shape cannot carry is listed under
`shape_losses` with the reason in `shape_losses_why`, and is not compared.
"""

from __future__ import annotations

import math
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import regex

from flows.pipeline import ingest_file
from flows.settings import Settings
from storage.inbox import sha256_of
from storage.warehouse import Warehouse
from tests.conftest import case_inputs, golden_cases, load_gold

FORM_FIELDS = ("year", "project_name", "department", "implementing_unit", "amount_unit",
               "budget_initial", "budget_full_year", "budget_executed", "funds_weight", "execution_rate",
               "funds_score", "appropriation_initial", "appropriation_full_year", "appropriation_executed",
               "carryover_initial", "carryover_full_year", "carryover_executed", "other_initial",
               "other_full_year", "other_executed", "goal_planned", "goal_achieved", "total_score", "grade", "family")
ROW_FIELDS = ("seq", "level1", "level2", "level3", "target", "actual", "weight", "score", "deviation_note")


def _text(value) -> str:
    return regex.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))


def mismatch(gold, got) -> bool:
    """True when the loaded value differs from gold."""
    missing = got is None or (isinstance(got, float) and math.isnan(got)) or got is pd.NA
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        return missing or abs(float(gold) - float(got)) > 0.005
    if gold is None:
        return not (missing or _text(got) == "")
    return missing or _text(gold) != _text(got)


def load_case(case: Path, workdir: Path) -> Warehouse:
    warehouse = Warehouse(workdir / "warehouse").create()
    settings = Settings.build(inbox=workdir / "inbox", warehouse=warehouse.root)
    for source in case_inputs(case):
        path = shutil.copy(source, workdir / "inbox" / source.name)
        outcome = ingest_file(Path(path), sha256_of(Path(path)), warehouse, settings)
        assert outcome.status == "loaded", f"{source.name}: {outcome.reason}"
    return warehouse


def form_mismatches(gold: dict, form: pd.Series, rows: pd.DataFrame, lost: tuple[str, ...] = ()) -> list[str]:
    misses = [f"{field}: gold {gold[field]!r}, got {form[field]!r}"
              for field in FORM_FIELDS if field in gold and field not in lost and mismatch(gold[field], form[field])]
    if len(rows) != len(gold["indicators"]):
        misses.append(f"{len(rows)} indicator rows, gold has {len(gold['indicators'])}")
    for gold_row, (_, row) in zip(gold["indicators"], rows.iterrows(), strict=False):
        misses += [f"indicator {gold_row['seq']} {field}: gold {gold_row[field]!r}, got {row[field]!r}"
                   for field in ROW_FIELDS if mismatch(gold_row[field], row[field])]
    return misses


def case_misses(gold: dict, forms: pd.DataFrame, indicators: pd.DataFrame, flags: pd.DataFrame) -> list[str]:
    """Every difference between a case's gold and the tables its inputs loaded into: the forms by
    project name, each field, each indicator row, the flags it must raise and no other error."""
    got, want = sorted(forms["project_name"].map(_text)), sorted(_text(g["project_name"]) for g in gold["forms"])
    if got != want:
        return [f"forms loaded {got}, gold has {want}"]
    misses = []
    for gold_form in gold["forms"]:
        form = forms[forms["project_name"].map(_text) == _text(gold_form["project_name"])].iloc[0]
        rows = indicators[indicators["form_id"] == form["form_id"]].sort_values("seq")
        lost = tuple(gold.get("shape_losses", {}).get(gold_form["project_name"], ()))
        misses += [f"{gold_form['project_name']}: {m}" for m in form_mismatches(gold_form, form, rows, lost)]

        raised = flags[flags["form_id"] == form["form_id"]]
        expected = set(gold.get("expected_flags", {}).get(gold_form["project_name"], []))
        errors = set(raised.loc[raised["severity"] == "error", "check"])
        misses += [f"{gold_form['project_name']}: flag {c} not raised" for c in expected - set(raised["check"])]
        misses += [f"{gold_form['project_name']}: unexpected error flag {c}" for c in errors - expected]
    return misses


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.name)
def test_case_matches_gold(case: Path, workdir: Path) -> None:
    warehouse = load_case(case, workdir)
    misses = case_misses(load_gold(case), *(warehouse.read(t) for t in ("forms", "indicators", "flags")))
    assert not misses, "\n".join(misses)


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.name)
def test_form_ids_are_stable(case: Path, tmp_path: Path) -> None:
    ids = []
    for run in ("first", "second"):
        (tmp_path / run / "inbox").mkdir(parents=True)
        ids.append(sorted(load_case(case, tmp_path / run).read("forms")["form_id"]))
    assert ids[0] == ids[1]
