"""A whole review through the command line, as a reviewer does it: run the seed, list, show a flag,
accept one, correct a field of another form, run again with the same file and with a re-issued
copy under a new name; then bad review input, each refused in one line with nothing changed."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pandas as pd
import pytest

from flows.cli import main
from tests.runs import FORMS_PER_SEED, INDICATORS_PER_SEED, SEED, run_args, selfeval

OA = "市残联系统OA维护"                 # its 全年预算数 30000 is not its sources' 99000: accepted as printed
OPS = "综合信息管理系统（运维）"         # 当年财政拨款 全年预算数 427167 misread: corrected to 387167
DEVICES = "系统部辅助设施设备项目"       # no 预期目标: stays open


def run(work: Path, api_url: str) -> str:
    process = selfeval(*run_args(work), env={"PREFECT_API_URL": api_url})
    out, _ = process.communicate(timeout=240)
    assert process.returncode == 0, out
    return out


def review(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["review", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def drop(work: Path, name: str, data: bytes, age: float) -> None:
    """A file dropped into the inbox, last modified `age` seconds ago."""
    path = work / "inbox" / name
    path.write_bytes(data)
    os.utime(path, (time.time() - age, time.time() - age))


def published(warehouse: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(warehouse / name) for name in ("forms", "indicators", "flags")}


def flag_of(tables: dict[str, pd.DataFrame], project: str, check: str) -> pd.Series:
    forms = tables["forms"].set_index("project_name")
    flags = tables["flags"]
    (found,) = flags[(flags["form_id"] == forms.loc[project, "form_id"]) & (flags["check"] == check)].index
    return flags.loc[found]


def test_a_whole_review_holds_over_reruns_and_a_reissued_file(workdir, api_url, capsys, monkeypatch):
    warehouse = workdir / "warehouse"
    w = ["--warehouse", str(warehouse)]
    drop(workdir, "seed.txt", SEED, age=600)
    out = run(workdir, api_url)
    assert "flagged forms: 3" in out and OA in out and DEVICES in out and "selfeval review list" in out

    code, out, _ = review(capsys, "list", *w)
    assert code == 0 and all(name in out for name in (OA, OPS, DEVICES)) and "3 flags (open)" in out
    tables = published(warehouse)
    accepted = flag_of(tables, OA, "budget_sources")
    corrected = flag_of(tables, OPS, "budget_sources")

    code, out, _ = review(capsys, "show", accepted["flag_id"], *w)
    assert code == 0
    assert "全年预算数 30,000.00 元 不等于 当年财政拨款 + 上年结转资金 + 其他资金 = 99,000.00 元" in out
    assert "printed 30000.00, recomputed 99000.00" in out
    value_row = next(line for line in out.splitlines() if line.startswith("→"))
    assert ">>30000.00<<" in value_row and "年度资金总额" in value_row and "line 8" in value_row

    monkeypatch.setenv("SELFEVAL_REVIEWER", "王审核")
    code, out, _ = review(capsys, "accept", accepted["flag_id"], "--note", "原表如此：全年预算调减", *w)
    assert code == 0 and "open → accepted" in out
    code, out, _ = review(capsys, "correct", corrected["form_id"], "appropriation_full_year", "387167",
                          "--note", "拨款数误读", "--reviewer", "李复核", *w)
    assert code == 0 and "427167 元 → 387167 元" in out and "open → corrected" in out

    def check_decisions(tables: dict[str, pd.DataFrame]) -> None:
        forms = tables["forms"].set_index("project_name")
        assert forms.loc[OPS, "appropriation_full_year"] == 387167
        assert flag_of(tables, OA, "budget_sources")["status"] == "accepted"
        assert flag_of(tables, OPS, "budget_sources")["status"] == "corrected"
        assert flag_of(tables, DEVICES, "missing_field")["status"] == "open"
        assert dict(forms["status"]) == {**dict.fromkeys(forms.index, "ok"), DEVICES: "flagged"}
        assert forms["form_id"].is_unique and forms.index.is_unique and len(forms) == FORMS_PER_SEED
        assert len(tables["indicators"]) == INDICATORS_PER_SEED and tables["flags"]["flag_id"].is_unique

    check_decisions(published(warehouse))
    code, out, _ = review(capsys, "list", *w)
    assert "1 flags (open)" in out and DEVICES in out and OA not in out

    drop(workdir, "seed-again.txt", SEED, age=300)  # the same bytes
    assert "files: 0 loaded, 0 rejected, 1 duplicate" in run(workdir, api_url)
    check_decisions(published(warehouse))

    drop(workdir, "seed-reissued.txt", SEED + b"\n", age=60)  # a re-issued copy: other bytes, the same forms
    out = run(workdir, api_url)
    assert "files: 1 loaded" in out and "flagged forms: 1" in out
    tables = published(warehouse)
    check_decisions(tables)
    assert set(tables["forms"]["source_file"]) == {"seed-reissued.txt"}
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        assert db.execute("select count(*), sum(current) from forms").fetchone() == (2 * FORMS_PER_SEED, FORMS_PER_SEED)
        assert db.execute("select count(*) from decisions").fetchone()[0] == 2

    ops = tables["forms"].set_index("project_name").loc[OPS, "form_id"]
    code, out, _ = review(capsys, "history", ops, *w)
    lines = out.splitlines()
    assert [line.split()[2] for line in lines if line.startswith("version")] == ["seed.txt", "seed-reissued.txt"]
    (decision,) = [line for line in lines if line.startswith("decision")]
    assert "李复核" in decision and "correct appropriation_full_year: 427167 元 → 387167 元" in decision
    assert "拨款数误读" in decision and time.strftime("%Y-") in decision
    oa = tables["forms"].set_index("project_name").loc[OA, "form_id"]
    code, out, _ = review(capsys, "history", oa, *w)
    assert "王审核  accept" in out and "原表如此" in out


@pytest.fixture
def loaded(workdir) -> Path:
    """The seed loaded without Prefect: a warehouse to review."""
    from flows.runs import run_inbox
    from flows.settings import Settings
    from flows.workers import in_process

    drop(workdir, "seed.txt", SEED, age=60)
    settings = Settings.build(inbox=workdir / "inbox", warehouse=workdir / "warehouse", settle_seconds=0)
    run_inbox(settings, in_process(settings))
    return workdir / "warehouse"


def state(warehouse: Path) -> tuple:
    with sqlite3.connect(warehouse / "selfeval.sqlite") as db:
        return (db.execute("select count(*) from decisions").fetchone(),
                db.execute("select value from meta where key = 'generation'").fetchone(),
                db.execute("select flag_id, status from flags order by flag_id").fetchall(),
                db.execute("select * from forms order by form_id").fetchall())


@pytest.mark.parametrize(("args", "message"), [
    (["accept", "nope:budget_sources:budget_full_year"], "no flag 'nope:budget_sources:budget_full_year'"),
    (["correct", "{form}", "budget_fullyear", "1"], "unknown field 'budget_fullyear'"),
    (["correct", "{form}", "budget_full_year", "三万"], "budget_full_year takes an amount"),
    (["correct", "{form}", "year", "22"], "year takes a year"),
    (["correct", "{form}", "score", "9", "--seq", "99"], "no indicator 99: the form's indicators are 1–5"),
    (["correct", "{form}", "score", "9"], "give the indicator with --seq N"),
    (["correct", "{form}", "score", "nine", "--seq", "1"], "score takes a score"),
    (["correct", "nope-001", "year", "2022"], "no form 'nope-001'"),
    (["reopen", "{flag}"], "is open already"),
    (["list", "--status", "closed"], "bad status 'closed'"),
    (["show", "{flag}", "--lang", "fr"], "bad --lang 'fr'"),
])
def test_bad_review_input_is_refused_in_one_line_and_changes_nothing(loaded, capsys, args, message):
    tables = published(loaded)
    flag = flag_of(tables, OA, "budget_sources")
    before = state(loaded)
    args = [a.format(form=flag["form_id"], flag=flag["flag_id"]) for a in args]
    code, out, err = review(capsys, *args, "--warehouse", str(loaded))
    assert code == 2, out + err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert state(loaded) == before


def test_review_of_a_folder_without_a_warehouse_says_so(tmp_path, capsys):
    code, _, err = review(capsys, "list", "--warehouse", str(tmp_path / "nowhere"))
    assert code == 2 and "no warehouse at" in err and not (tmp_path / "nowhere").exists()


def test_reopen_withdraws_the_correction_that_closed_a_flag(loaded, capsys):
    w = ["--warehouse", str(loaded)]
    flag = flag_of(published(loaded), OPS, "budget_sources")
    assert review(capsys, "correct", flag["form_id"], "appropriation_full_year", "387167", *w)[0] == 0
    code, out, _ = review(capsys, "reopen", flag["flag_id"], "--note", "原表确为427167", *w)
    assert code == 0 and "withdrew decision 1 (correct appropriation_full_year)" in out
    tables = published(loaded)
    assert flag_of(tables, OPS, "budget_sources")["status"] == "open"
    assert tables["forms"].set_index("project_name").loc[OPS, ["appropriation_full_year", "status"]].tolist() == \
        [427167, "flagged"]
    code, out, _ = review(capsys, "history", flag["form_id"], *w)
    assert "withdrawn by 2" in out and "reopen" in out


def test_english_messages_on_request(loaded, capsys):
    code, out, _ = review(capsys, "list", "--lang", "en", "--warehouse", str(loaded))
    assert code == 0 and "is not 当年财政拨款" in out and "不等于" not in out


def test_the_run_summary_names_twenty_flagged_forms_and_counts_the_rest():
    from flows.runs import RunSummary
    from review.queries import FlaggedForm

    flagged = [FlaggedForm(f"f-{n:03d}", f"项目{n}", "某部门", "budget_sources,missing_field", 1) for n in range(25)]
    lines = RunSummary("inbox", "/data/warehouse", flagged=flagged).render().splitlines()
    start = lines.index("flagged forms: 25")
    assert lines[start + 1] == "  项目0 — 某部门: budget_sources, missing_field"
    assert lines[start + 20] == "  项目19 — 某部门: budget_sources, missing_field"
    assert lines[start + 21] == "  … and 5 more"
    assert lines[start + 22] == "review them: selfeval review list --warehouse /data/warehouse"
