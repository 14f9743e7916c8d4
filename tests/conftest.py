"""Shared fixtures: the form family, the golden cases, a scratch inbox beside its warehouse."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Recognised pages are cached per test session, never in the user's ~/.cache.
os.environ["SELFEVAL_OCR_CACHE"] = tempfile.mkdtemp(prefix="selfeval-ocr-")
# Flow runs of the tests keep their Prefect database per test session, never in the user's ~/.prefect,
# so test sessions side by side do not share one SQLite file.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="selfeval-prefect-")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


PROVENANCE = {"form_id", "source_file", "source_sha256", "source_line", "source_page", "printed", "unplaced",
              "sources"}


def comparable(form) -> dict:
    """A rebuilt form as a plain dict without where it came from: what two readings of the same
    form must agree on, whatever file kind or shape each was read from."""
    from dataclasses import asdict

    record = asdict(form)
    for indicator in record["indicators"]:
        for key in ("source_line", "source_page", "weight_printed", "score_printed"):
            indicator.pop(key, None)
    return {k: v for k, v in record.items() if k not in PROVENANCE}


def golden_cases() -> list[Path]:
    """Every fixtures/<case>/ that holds a gold.json beside its input files."""
    return sorted(p.parent for p in FIXTURES.glob("*/gold.json"))


def load_gold(case: Path) -> dict:
    return json.loads((case / "gold.json").read_text(encoding="utf-8"))


def case_inputs(case: Path) -> list[Path]:
    return sorted(p for p in case.iterdir() if p.is_file() and p.name != "gold.json" and not p.name.startswith("."))


@pytest.fixture
def family():
    from extractors.family import load_family

    return load_family()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with an empty inbox/; the warehouse, archive/ and rejected/ go beside it."""
    (tmp_path / "inbox").mkdir()
    return tmp_path


@pytest.fixture(scope="session")
def api_url():
    """One Prefect API for the tests that run `selfeval` as a subprocess, so each run need not
    start a server of its own; stopped at the end of the session."""
    from flows.server import TemporaryServer

    server = TemporaryServer()
    try:
        yield server.wait()
    finally:
        server.stop()
