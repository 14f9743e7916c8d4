"""flows/pipeline.py without Prefect, then the Prefect flow `ingest_inbox` under a test harness.

The seed file's expected forms, indicators and flags come from its gold.json.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from flows.pipeline import FileOutcome
from flows.runs import run_inbox
from flows.settings import Settings
from flows.workers import in_process

SEED_DIR = Path(__file__).parent.parent / "fixtures" / "seed"
SEED = SEED_DIR / "2022-shanghai-disabled-persons-federation.txt"
GOLD = json.loads((SEED_DIR / "gold.json").read_text(encoding="utf-8"))
GOLD_FORMS = len(GOLD["forms"])
GOLD_INDICATORS = sum(len(f["indicators"]) for f in GOLD["forms"])
GOLD_FLAGS = Counter(check for checks in GOLD["expected_flags"].values() for check in checks)

JUNK = {
    "scan.txt": os.urandom(2048) + b"\x00",        # binary
    "header.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "blank.txt": b"",
    "notes.txt": "关于开展2022年度财政项目支出绩效自评工作的通知\n请各单位按时报送。\n".encode(),
    "form.docx": b"PK\x03\x04" + bytes(64),       # a type selfeval does not read
}


def inbox_with(root: Path, files: dict[str, bytes]) -> Path:
    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    return inbox


def ingest_all(inbox: Path, warehouse: Path) -> list[FileOutcome]:
    """What the flow does, in plain Python: fresh files first, then the duplicates."""
    settings = Settings.build(inbox=inbox, warehouse=warehouse, settle_seconds=0)
    return run_inbox(settings, in_process(settings)).outcomes


def table(warehouse: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(warehouse / name)


def by_name(outcomes: list[FileOutcome]) -> dict[str, FileOutcome]:
    return {o.file_name: o for o in outcomes}


# -- the pure pipeline ------------------------------------------------------------------------------

def test_rejected_files_are_set_aside_with_their_reason_and_loaded_ones_archived(tmp_path):
    inbox = inbox_with(tmp_path, {"seed.txt": SEED.read_bytes(), **JUNK})
    outcomes = by_name(ingest_all(inbox, tmp_path / "warehouse"))

    assert outcomes["seed.txt"].status == "loaded"
    assert {n for n, o in outcomes.items() if o.status == "rejected"} == set(JUNK)
    assert list(inbox.iterdir()) == []
    assert (tmp_path / "archive" / "seed.txt").read_bytes() == SEED.read_bytes()
    for name, data in JUNK.items():
        assert (tmp_path / "rejected" / name).read_bytes() == data
        reason = (tmp_path / "rejected" / f"{name}.reason.txt").read_text(encoding="utf-8").strip()
        assert reason and reason == outcomes[name].reason
    assert "binary" in outcomes["scan.txt"].reason
    assert "empty" in outcomes["blank.txt"].reason
    assert "no 财政项目支出绩效自评表" in outcomes["notes.txt"].reason
    assert ".docx" in outcomes["form.docx"].reason

    files = table(tmp_path / "warehouse", "files").set_index("file_name")
    assert files.loc["seed.txt", "status"] == "loaded" and files.loc["seed.txt", "forms"] == GOLD_FORMS
    assert files.loc["seed.txt", "reason"] == ""
    for name in JUNK:
        assert files.loc[name, "status"] == "rejected"
        assert files.loc[name, "reason"] == outcomes[name].reason
        assert files.loc[name, "forms"] == 0


def test_one_bad_file_does_not_stop_the_good_one(tmp_path):
    inbox = inbox_with(tmp_path, {"a-bad.txt": JUNK["scan.txt"], "b-good.txt": SEED.read_bytes()})
    outcomes = by_name(ingest_all(inbox, tmp_path / "warehouse"))
    assert (outcomes["a-bad.txt"].status, outcomes["b-good.txt"].status) == ("rejected", "loaded")
    assert outcomes["b-good.txt"].forms == GOLD_FORMS
    assert outcomes["b-good.txt"].indicators == GOLD_INDICATORS
    forms = table(tmp_path / "warehouse", "forms")
    assert sorted(forms["project_name"]) == sorted(f["project_name"] for f in GOLD["forms"])
    assert set(forms["source_file"]) == {"b-good.txt"}


def test_the_same_bytes_again_are_a_duplicate_and_add_no_rows(tmp_path):
    warehouse = tmp_path / "warehouse"
    inbox = inbox_with(tmp_path, {"first.txt": SEED.read_bytes()})
    ingest_all(inbox, warehouse)
    before = {name: len(table(warehouse, name)) for name in ("forms", "indicators", "flags")}
    assert before == {"forms": GOLD_FORMS, "indicators": GOLD_INDICATORS, "flags": sum(GOLD_FLAGS.values())}

    inbox_with(tmp_path, {"copy-of-first.txt": SEED.read_bytes()})
    (outcome,) = ingest_all(inbox, warehouse)
    assert outcome.status == "duplicate" and "first.txt" in outcome.reason
    assert {name: len(table(warehouse, name)) for name in before} == before
    files = table(warehouse, "files").set_index("file_name")
    assert files.loc["copy-of-first.txt", "status"] == "duplicate"
    assert "first.txt" in files.loc["copy-of-first.txt", "reason"]
    assert files.loc["copy-of-first.txt", "forms"] == 0
    assert (tmp_path / "archive" / "copy-of-first.txt").exists()


def test_two_copies_in_one_run_load_once(tmp_path):
    warehouse = tmp_path / "warehouse"
    inbox = inbox_with(tmp_path, {"a.txt": SEED.read_bytes(), "b.txt": SEED.read_bytes()})
    outcomes = by_name(ingest_all(inbox, warehouse))
    assert (outcomes["a.txt"].status, outcomes["b.txt"].status) == ("loaded", "duplicate")
    assert len(table(warehouse, "forms")) == GOLD_FORMS


def test_a_copy_of_a_rejected_file_is_not_archived(tmp_path):
    inbox = inbox_with(tmp_path, {"a.txt": JUNK["scan.txt"], "b.txt": JUNK["scan.txt"]})
    ingest_all(inbox, tmp_path / "warehouse")
    assert not (tmp_path / "archive" / "b.txt").exists()


def test_form_ids_are_stable_across_warehouses(tmp_path):
    ids = []
    for run, name in (("one", "seed.txt"), ("two", "renamed.txt")):
        inbox = inbox_with(tmp_path / run, {name: SEED.read_bytes()})
        ingest_all(inbox, tmp_path / run / "warehouse")
        forms = table(tmp_path / run / "warehouse", "forms")
        flags = table(tmp_path / run / "warehouse", "flags")
        ids.append((sorted(forms["form_id"]), sorted(flags["flag_id"])))
    assert ids[0] == ids[1]
    form_ids, flag_ids = ids[0]
    assert len(set(form_ids)) == GOLD_FORMS
    assert {f.split(":")[0] for f in flag_ids} <= set(form_ids)


# -- the Prefect flow ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    from flows.ingest import close_pools

    with prefect_test_harness(server_startup_timeout=120):
        yield
    close_pools()


def test_ingest_inbox_flow_loads_the_seed_and_rejects_the_junk(prefect_harness, tmp_path):
    from flows.ingest import ingest_inbox

    inbox = inbox_with(tmp_path, {**JUNK, "seed.txt": SEED.read_bytes(), "seed-again.txt": SEED.read_bytes()})
    warehouse = tmp_path / "warehouse"
    summary = ingest_inbox(inbox=str(inbox), warehouse=str(warehouse))

    assert (summary.count("loaded"), summary.count("rejected"), summary.count("duplicate")) == (1, len(JUNK), 1)
    assert summary.forms == GOLD_FORMS
    assert summary.indicators == GOLD_INDICATORS
    assert summary.flags() == GOLD_FLAGS

    forms = table(warehouse, "forms")
    gold_names = [f["project_name"] for f in GOLD["forms"]]
    assert sorted(forms["project_name"]) == sorted(gold_names)
    assert set(forms["year"]) == {f["year"] for f in GOLD["forms"]}
    flagged = set(GOLD["expected_flags"])
    assert dict(zip(forms["project_name"], forms["status"], strict=True)) == {
        name: "flagged" if name in flagged else "ok" for name in gold_names}

    indicators = table(warehouse, "indicators")
    assert len(indicators) == GOLD_INDICATORS
    assert set(indicators["form_id"]) == set(forms["form_id"])

    flags = table(warehouse, "flags")
    assert Counter(flags["check"]) == GOLD_FLAGS
    assert set(flags["status"]) == {"open"}
    names = dict(zip(forms["form_id"], forms["project_name"], strict=True))
    assert {(names[f], c) for f, c in zip(flags["form_id"], flags["check"], strict=True)} == {
        (name, check) for name, checks in GOLD["expected_flags"].items() for check in checks}

    assert sorted(f.project_name for f in summary.flagged) == sorted(flagged)
    assert f"flagged forms: {len(flagged)}" in summary.render()
    from prefect.artifacts import Artifact

    review = Artifact.get("ingest-review")
    assert review is not None and review.type == "markdown"
    assert all(name in str(review.data) for name in flagged) and "selfeval review list --warehouse" in str(review.data)

    files = table(warehouse, "files")
    assert Counter(files["status"]) == {"loaded": 1, "rejected": len(JUNK), "duplicate": 1}
    assert set(files["file_name"]) == {*JUNK, "seed.txt", "seed-again.txt"}
    assert sorted(p.name for p in (tmp_path / "archive").iterdir()) == ["seed-again.txt", "seed.txt"]

    # the same bytes in a second run, under a third name: a duplicate, no new rows
    shutil.copy(SEED, inbox / "seed-third.txt")
    second = ingest_inbox(inbox=str(inbox), warehouse=str(warehouse))
    assert [(o.file_name, o.status) for o in second.outcomes] == [("seed-third.txt", "duplicate")]
    assert second.forms == 0
    assert len(table(warehouse, "forms")) == GOLD_FORMS
    assert len(table(warehouse, "indicators")) == GOLD_INDICATORS
    assert len(table(warehouse, "flags")) == len(flags)


def test_ingest_inbox_flow_on_an_empty_inbox_loads_nothing(prefect_harness, tmp_path):
    from flows.ingest import ingest_inbox

    inbox = inbox_with(tmp_path, {})
    summary = ingest_inbox(inbox=str(inbox), warehouse=str(tmp_path / "warehouse"))
    assert summary.outcomes == [] and summary.forms == 0
    for name in ("files", "forms", "indicators", "flags"):
        assert table(tmp_path / "warehouse", name).empty
    assert "files: 0 loaded, 0 rejected, 0 duplicate" in summary.render()
