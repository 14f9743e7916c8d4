"""Hostile and odd input through whole runs: the run's own limits, and what the run does around
the readers (see `test_hostile_inbox.py` for the inbox itself, `test_hostile.py` for the readers)."""

from __future__ import annotations

import os

import pytest

from flows.cli import main
from flows.pipeline import BatchItem
from flows.settings import Settings
from flows.workers import LocalPool
from storage.inbox import sha256_of
from tests.material import bad
from tests.runs import SEED


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("SELFEVAL_MAX_PAGE_PT", "abc", "bad setting SELFEVAL_MAX_PAGE_PT='abc'"),
    ("SELFEVAL_MAX_SECONDS_PER_FILE", "0", "bad setting SELFEVAL_MAX_SECONDS_PER_FILE='0'"),
    ("SELFEVAL_MAX_WORKER_MB", "lots", "bad setting SELFEVAL_MAX_WORKER_MB='lots'"),
    ("SELFEVAL_MAX_SECONDS", "60", "no limit SELFEVAL_MAX_SECONDS; the limits are"),
])
def test_a_bad_limit_stops_the_run_before_it_starts(tmp_path, capsys, monkeypatch, variable, value, words):
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "form.txt").write_bytes(SEED)
    monkeypatch.setenv(variable, value)
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--warehouse", str(tmp_path / "warehouse")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {words}") and err.count("\n") == 1, err
    assert not (tmp_path / "warehouse").exists() and (tmp_path / "inbox" / "form.txt").exists()


def test_the_runs_limits_are_the_ones_its_workers_read_with(tmp_path, monkeypatch):
    """A limit given to the run, not in the environment, rejects a file in a worker process."""
    monkeypatch.delenv("SELFEVAL_MAX_PDF_PAGES", raising=False)
    six = bad.many_pages_pdf(tmp_path / "six.pdf", pages=6)
    pool = LocalPool(Settings.build(workers=1, max_pdf_pages=5)).start()
    try:
        (outcome,) = pool.read([BatchItem("six.pdf", sha256_of(six), str(six))]).outcomes
    finally:
        pool.close()
    assert (outcome.status, outcome.reason) == (
        "rejected", "the PDF has 6 pages, over the 5-page limit (SELFEVAL_MAX_PDF_PAGES)")


def test_settings_hold_one_limits_object_whose_names_are_the_variables(monkeypatch):
    monkeypatch.setenv("SELFEVAL_MAX_SECONDS_PER_FILE", "30")
    settings = Settings.build(max_worker_mb=700)
    assert (settings.limits.max_seconds_per_file, settings.limits.max_worker_mb) == (30, 700)
    assert settings.limit_reason("seconds") == "over the 30 s limit (SELFEVAL_MAX_SECONDS_PER_FILE)"
    assert settings.limit_reason("memory") == "over the 700 MB memory limit (SELFEVAL_MAX_WORKER_MB)"
    assert not any(name.startswith("max_seconds") or name.startswith("max_worker") for name in Settings.model_fields)



# -- the issue's hostile inputs, together in one inbox, through `selfeval run` ------------------------

GiB = 1 << 30


def test_every_hostile_input_of_the_issue_in_one_run(tmp_path):
    """Each row of the issue's table and each input its 'done means' adds (`tests.material.hostile`),
    in one inbox beside good files, through `selfeval run` with its own temporary Prefect server:
    the run finishes, every good file loads, every bad one is rejected with its reason and kept,
    nothing outside the inbox is touched, and the whole process tree's resident memory stays under
    2 GiB."""
    import pandas as pd

    from tests.material.hostile import INBOX, seed_goals, write_inbox
    from tests.memory import TreePeak
    from tests.runs import FORMS_PER_SEED, every_version, run_args, selfeval

    expected = write_inbox(tmp_path / "inbox", tmp_path / "outside", INBOX)
    process = selfeval(*run_args(tmp_path), env={"PREFECT_API_URL": None})
    with TreePeak(process.pid) as peak:
        out, _ = process.communicate(timeout=600)
    assert process.returncode == 0, out
    assert peak.peak < 2 * GiB, f"peak {peak.mib:.0f} MiB"
    files = pd.read_parquet(tmp_path / "warehouse" / "files").set_index("file_name")
    assert sorted(files.index) == sorted(expected)
    for name, (status, reason) in expected.items():
        assert (files.loc[name, "status"], files.loc[name, "reason"][: len(reason)]) == (status, reason), name
    assert not files["reason"].str.contains("against )", regex=False).any()  # a line near no title names none
    assert files.loc["copy of b.txt", "reason"] == files.loc["b.txt", "reason"]
    forms = every_version(tmp_path / "warehouse")[0]  # the good files re-issue one form: every version kept
    loaded = sorted(name for name, (status, _) in expected.items() if status == "loaded")
    assert forms.groupby("source_file").size().to_dict() == dict.fromkeys(loaded, FORMS_PER_SEED)
    goals = [f["goal_planned"] for f in forms[forms["source_file"] == "excel.csv"].to_dict("records")]
    assert sorted(goals) == sorted(seed_goals()[::2])
    assert "left: pipe.txt: a named pipe (FIFO), not a file: left in the inbox" in out
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["form.txt"]
    assert [p.relative_to(tmp_path).as_posix() for p in (tmp_path / "inbox").rglob("*") if not p.is_dir()] == [
        "inbox/pipe.txt"]
    kept = {p.read_bytes() for p in (tmp_path / "rejected").rglob("*") if p.is_file() and not p.is_symlink()}
    assert "关于报送绩效自评表的通知\nuser's".encode() in kept
    print(f"\nhostile inbox: {len(expected)} files through selfeval run, peak {peak.mib:.0f} MiB")


def test_a_file_past_the_runs_time_or_memory_limit_ends_its_worker_and_nothing_else(tmp_path, api_url):
    """The run's own limits, behind the readers': with the readers' limits raised, a decompression
    bomb fills its worker until the run ends it, and a page of millions of operands is parsed until
    its time is up; each is rejected naming the limit, the worker is started afresh, the good
    files load, and the process tree stays under 2 GiB."""
    import pandas as pd

    from tests.material.hostile import RUN_LIMITS, merged_env, write_inbox
    from tests.memory import TreePeak
    from tests.runs import run_args, selfeval

    expected = write_inbox(tmp_path / "inbox", tmp_path / "outside", RUN_LIMITS)
    env = {"PREFECT_API_URL": api_url, **merged_env(RUN_LIMITS)}
    process = selfeval(*run_args(tmp_path, "--workers", "1"), env=env)
    with TreePeak(process.pid) as peak:
        out, _ = process.communicate(timeout=300)
    assert process.returncode == 0, out
    assert peak.peak < 2 * GiB, f"peak {peak.mib:.0f} MiB"
    files = pd.read_parquet(tmp_path / "warehouse" / "files").set_index("file_name")
    assert {name: (row.status, row.reason) for name, row in files.iterrows()} == expected
    assert (tmp_path / "rejected" / "bomb.pdf.reason.txt").read_text(encoding="utf-8").strip() == files.loc[
        "bomb.pdf", "reason"]
    print(f"\nrun limits: peak {peak.mib:.0f} MiB")


def permissions_that_hold() -> list[str]:
    """A command prefix under which file permissions hold: none for a user; for root, who reads
    anything, setpriv without the two capabilities that allow it (skipped only when that fails)."""
    import shutil
    import subprocess

    if os.geteuid() != 0:
        return []
    prefix = [shutil.which("setpriv") or "setpriv", "--inh-caps=-dac_override,-dac_read_search",
              "--bounding-set=-dac_override,-dac_read_search"]
    try:
        done = subprocess.run([*prefix, "cat", "/proc/self/status"], capture_output=True, text=True, timeout=30)
    except OSError:
        done = None
    if done is None or done.returncode != 0:
        pytest.skip("running as root, and setpriv (util-linux) cannot drop the capabilities that let root read "
                    "any file: a file unreadable to the run's user cannot be arranged")
    return prefix


def test_a_file_and_a_folder_the_user_may_not_read_are_named_and_the_run_goes_on(tmp_path, api_url):
    """Every run used to exit 1 before doing anything. Root is made to obey permissions too."""
    import subprocess

    import pandas as pd

    from tests.runs import SELFEVAL, fill_inbox, run_args, seed_variant

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fill_inbox(inbox, {"good-1.txt": SEED, "good-2.txt": seed_variant(1), "locked.txt": seed_variant(2),
                       "locked-folder/form.txt": seed_variant(3)})
    prefix = permissions_that_hold()
    (inbox / "locked.txt").chmod(0)
    (inbox / "locked-folder").chmod(0)
    try:
        done = subprocess.run([*prefix, str(SELFEVAL), *run_args(tmp_path)], capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PREFECT_API_URL": api_url})
    finally:
        (inbox / "locked-folder").chmod(0o755)
    assert done.returncode == 0, done.stdout + done.stderr
    files = pd.read_parquet(tmp_path / "warehouse" / "files").set_index("file_name")
    assert files["status"].to_dict() == {"good-1.txt": "loaded", "good-2.txt": "loaded", "locked.txt": "rejected"}
    assert files.loc["locked.txt", "reason"] == ("cannot be opened (Permission denied): the user running selfeval "
                                                 "may not read it; allow it and put it back in the inbox")
    assert (tmp_path / "rejected" / "locked.txt").exists()
    assert "left: locked-folder/: a folder that cannot be read (Permission denied): left in the inbox" in done.stdout
    assert (inbox / "locked-folder" / "form.txt").read_bytes() == seed_variant(3)


@pytest.mark.slow
def test_a_scanned_pdf_read_in_a_worker_process_may_start_its_page_workers(tmp_path):
    """Four scanned pages or more start the OCR page pool, which a daemonic worker was refused:
    every scanned PDF of four pages or more was rejected as an internal error in `selfeval run`."""
    from tests.material import forms_to_pdf, load_gold_forms, pdf_to_scans
    from tests.memory import TreePeak

    printed = forms_to_pdf(load_gold_forms()[:3], tmp_path / "printed.pdf")  # four pages
    scans = pdf_to_scans(printed, tmp_path / "scans", name="three-forms", seed=4)
    scan = scans.pdf
    assert len(scans.pages) >= 4  # the pool's least
    pool = LocalPool(Settings.build(workers=1)).start()
    try:
        with TreePeak(os.getpid()) as peak:
            (outcome,) = pool.read([BatchItem(scan.name, sha256_of(scan), str(scan))]).outcomes
    finally:
        pool.close()
    assert (outcome.status, outcome.reason, outcome.pages, outcome.forms) == ("loaded", "", len(scans.pages), 3)
    print(f"\nscanned PDF in a worker: peak {peak.mib:.0f} MiB (this test process included)")
