"""flows/cli.py: exit codes and the messages a user reads.

Only `test_run_loads_the_inbox_and_prints_the_summary` runs the flow (and starts Prefect's
temporary server, on a database of its own); every other case fails before a flow starts.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from extractors.family import family_names
from flows.cli import PREFECT_DEFAULTS, main
from flows.settings import Settings

SEED_DIR = Path(__file__).parent.parent / "fixtures" / "seed"
SEED = SEED_DIR / "2022-shanghai-disabled-persons-federation.txt"
GOLD = json.loads((SEED_DIR / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture
def cli_env(monkeypatch):
    """The environment variables `main` sets by default are restored after the test."""
    for key, value in PREFECT_DEFAULTS.items():
        monkeypatch.setenv(key, os.environ.get(key, value))
    for key in ("PREFECT_API_URL", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED"):
        monkeypatch.delenv(key, raising=False)  # a run in this process sets them


@pytest.fixture
def private_prefect_db(tmp_path_factory):
    """The temporary server a run starts keeps its runs in a scratch database, not ~/.prefect."""
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    db = tmp_path_factory.mktemp("prefect") / "prefect.db"
    with temporary_settings(updates={PREFECT_SERVER_DATABASE_CONNECTION_URL: f"sqlite+aiosqlite:///{db}"}):
        yield


def workers_bounds() -> tuple[int, int]:
    metadata = Settings.model_fields["workers"].metadata
    return (next(m.ge for m in metadata if hasattr(m, "ge")), next(m.le for m in metadata if hasattr(m, "le")))


def test_run_loads_the_inbox_and_prints_the_summary(tmp_path, capsys, cli_env, private_prefect_db):
    inbox, warehouse = tmp_path / "inbox", tmp_path / "warehouse"
    inbox.mkdir()
    (inbox / "seed.txt").write_bytes(SEED.read_bytes())
    (inbox / "junk.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    assert main(["run", "--inbox", str(inbox), "--warehouse", str(warehouse), "--settle", "0"]) == 0

    out = capsys.readouterr().out
    forms = len(GOLD["forms"])
    indicators = sum(len(f["indicators"]) for f in GOLD["forms"])
    flags = Counter(c for checks in GOLD["expected_flags"].values() for c in checks)
    assert str(warehouse) in out
    assert "files: 1 loaded, 1 rejected, 0 duplicate" in out
    assert f"forms: {forms} " in out and f"indicator rows: {indicators}" in out
    assert all(f"{check} {n}" in out for check, n in flags.items())
    assert "rejected: junk.txt: binary" in out
    assert len(pd.read_parquet(warehouse / "forms")) == forms
    assert (tmp_path / "rejected" / "junk.txt.reason.txt").exists()


def test_a_missing_inbox_exits_2_naming_the_folder(tmp_path, capsys, cli_env):
    missing = tmp_path / "no-such-inbox"
    assert main(["run", "--inbox", str(missing), "--warehouse", str(tmp_path / "warehouse")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "not a folder" in err
    assert not (tmp_path / "warehouse").exists()


@pytest.mark.parametrize("workers", ["0", "-1", "65"])
def test_a_bad_worker_count_exits_2_naming_the_setting_and_its_range(tmp_path, capsys, cli_env, workers):
    (tmp_path / "inbox").mkdir()
    low, high = workers_bounds()
    assert int(workers) < low or int(workers) > high
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--workers", workers]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:")
    assert f"workers={workers}" in err
    assert f"{low} to {high}" in err


def test_an_unknown_family_exits_2_naming_the_known_ones(tmp_path, capsys, cli_env):
    (tmp_path / "inbox").mkdir()
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--family", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert "family" in err and "nosuch" in err
    known = family_names()
    assert known and all(name in err for name in known)


def test_a_malformed_option_exits_2_with_usage(capsys, cli_env):
    assert main(["run", "--workers", "many"]) == 2
    err = capsys.readouterr().err
    assert "--workers" in err and "Usage:" in err


@pytest.mark.parametrize(("args", "message"), [
    (["serve", "--cron", "not a cron"], "bad --cron 'not a cron'"),
    (["serve", "--interval", "-5"], "bad --interval -5"),
    (["serve"], "give one schedule"),
    (["run", "--warehouse", "a-file"], "is a file, not a folder"),
])
def test_a_bad_setting_exits_2_with_one_line_before_anything_starts(tmp_path, capsys, cli_env, monkeypatch,
                                                                  args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "a-file").write_text("")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "warehouse").exists()


def test_an_inbox_with_nothing_new_is_answered_without_a_flow_run(tmp_path, capsys, cli_env):
    import time

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "still-downloading.pdf.crdownload").write_bytes(b"%PDF")
    started = time.perf_counter()
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--warehouse", str(tmp_path / "warehouse")]) == 0
    assert time.perf_counter() - started < 1
    assert f"nothing new in {tmp_path / 'inbox'}" in capsys.readouterr().out
    assert not (tmp_path / "warehouse").exists()


def test_each_inbox_and_warehouse_pair_has_its_own_deployment(tmp_path):
    from flows.cli import deployment_name

    names = {deployment_name(tmp_path / inbox, tmp_path / "warehouse") for inbox in ("a/inbox", "b/inbox")}
    names.add(deployment_name(tmp_path / "a/inbox", tmp_path / "other"))
    assert len(names) == 3
    assert deployment_name(tmp_path / "a/inbox", tmp_path / "warehouse") in names


def test_sql_queries_the_published_tables_and_their_views(tmp_path, capsys, cli_env):
    from flows.runs import run_inbox
    from flows.workers import in_process

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "seed.txt").write_bytes(SEED.read_bytes())
    settings = Settings.build(inbox=tmp_path / "inbox", warehouse=tmp_path / "warehouse", settle_seconds=0)
    run_inbox(settings, in_process(settings))
    warehouse = str(tmp_path / "warehouse")
    assert main(["sql", "select count(*) as n from open_flags", "--warehouse", warehouse, "--format", "csv"]) == 0
    flags = sum(len(c) for c in GOLD["expected_flags"].values())
    assert capsys.readouterr().out.split() == ["n", str(flags)]
    assert main(["sql", "select project_name from flagged_forms order by 1", "--warehouse", warehouse,
                 "--format", "json"]) == 0
    names = [json.loads(line)["project_name"] for line in capsys.readouterr().out.splitlines()]
    assert names == sorted(GOLD["expected_flags"])
    assert main(["sql", "select nope from forms", "--warehouse", warehouse]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "nope" in err


def test_sql_reads_every_table_of_one_publish_while_a_publish_switches_them(tmp_path, capsys, cli_env):
    """A publish caught between switching `forms` and switching `flags`: sql still joins one state."""
    from flows.runs import run_inbox
    from flows.workers import in_process

    (tmp_path / "inbox").mkdir()
    settings = Settings.build(inbox=tmp_path / "inbox", warehouse=tmp_path / "warehouse", settle_seconds=0)
    warehouse = tmp_path / "warehouse"
    (tmp_path / "inbox" / "seed.txt").write_bytes(SEED.read_bytes())
    run_inbox(settings, in_process(settings))
    before = os.readlink(warehouse / "flags")
    (tmp_path / "inbox" / "2023.txt").write_bytes(SEED.read_bytes().replace(b"2022", b"2023"))
    run_inbox(settings, in_process(settings))
    assert os.readlink(warehouse / "flags") != before
    os.unlink(warehouse / "flags")  # as the publish leaves it between its two switches
    os.symlink(before, warehouse / "flags")
    assert main(["sql", "select count(*) as n from flags fl join forms f using (form_id) where f.year = 2023",
                 "--warehouse", str(warehouse), "--format", "csv"]) == 0
    flags = sum(len(c) for c in GOLD["expected_flags"].values())
    assert capsys.readouterr().out.split() == ["n", str(flags)]
