"""Every golden case through `selfeval run` as a user runs it: one inbox holding each case's inputs
in a sub-folder of its own, read by the run's worker processes, committed to the store and read
back from it (each case's forms, current or superseded by another case's copy of them; the
published parquet equal to the store's current forms). Each case must equal its gold exactly as it
does when its files are read in-process (`test_golden.py`): what the worker path adds (spawned processes, rows sent
back, batch validation, the store, publishing) may change nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from storage.inbox import sha256_of
from tests.conftest import case_inputs, golden_cases, load_gold
from tests.runs import every_version, run_args, selfeval
from tests.test_golden import case_misses

pytestmark = pytest.mark.slow


def fill_with_cases(inbox: Path) -> dict[Path, set[str]]:
    """Each case's inputs under inbox/<case>/; the sha256 of every input, by case."""
    shas: dict[Path, set[str]] = {}
    for case in golden_cases():
        (inbox / case.name).mkdir(parents=True)
        for source in case_inputs(case):
            shas.setdefault(case, set()).add(sha256_of(Path(shutil.copy(source, inbox / case.name))))
    return shas


def test_every_golden_case_through_the_command_line(tmp_path: Path, api_url: str) -> None:
    shas = fill_with_cases(tmp_path / "inbox")
    run = selfeval(*run_args(tmp_path), env={"PREFECT_API_URL": api_url})
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output

    warehouse = tmp_path / "warehouse"
    files = pd.read_parquet(warehouse / "files")
    forms, indicators, flags = every_version(warehouse)
    published = pd.read_parquet(warehouse / "forms").sort_values("form_id").reset_index(drop=True)
    current = forms[forms["form_id"].isin(published["form_id"])].sort_values("form_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(published, current, check_exact=True)
    inputs = sum(len(s) for s in shas.values())
    assert (files["status"] == "loaded").sum() + (files["status"] == "duplicate").sum() == inputs, \
        files.loc[files["status"] == "rejected", ["file_name", "reason"]].to_string()
    assert not list((tmp_path / "inbox").rglob("*.*")), "every input leaves the inbox"

    misses = []
    for case, case_shas in shas.items():
        mine = forms[forms["source_sha256"].isin(case_shas)]
        ids = set(mine["form_id"])
        misses += [f"{case.name}: {m}" for m in case_misses(load_gold(case), mine,
                                                            indicators[indicators["form_id"].isin(ids)],
                                                            flags[flags["form_id"].isin(ids)])]
    assert not misses, "\n".join(misses)
