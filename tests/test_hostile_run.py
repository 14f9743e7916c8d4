"""Hostile and odd input through whole runs: the run's own limits, and what the run does around
the readers (see `test_hostile_inbox.py` for the inbox itself, `test_hostile.py` for the readers)."""

from __future__ import annotations

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

