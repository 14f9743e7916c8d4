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

from extractors.family import FAMILIES_DIR
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
    known = sorted(p.stem for p in FAMILIES_DIR.glob("*.toml"))
    assert known and all(name in err for name in known)


def test_a_malformed_option_exits_2_with_usage(capsys, cli_env):
    assert main(["run", "--workers", "many"]) == 2
    err = capsys.readouterr().err
    assert "--workers" in err and "Usage:" in err
