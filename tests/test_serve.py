"""`selfeval serve`: a scheduled deployment on a Prefect server it starts, stopped by SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow
SELFEVAL = Path(sys.executable).with_name("selfeval")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_loads_the_inbox_on_schedule_and_stops_its_server(workdir: Path) -> None:
    shutil.copy(next((FIXTURES / "seed").glob("*.txt")), workdir / "inbox" / "seed.txt")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(workdir / "prefect-home")  # a server of its own, not the user's
    process = subprocess.Popen([str(SELFEVAL), "serve", "--interval", "5", "--port", str(port), "--inbox", "inbox",
                                "--warehouse", "warehouse"], cwd=workdir, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 150
        while not (workdir / "archive" / "seed.txt").exists():
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            assert time.monotonic() < deadline, "no scheduled run loaded the inbox in time"
            time.sleep(1)
        assert answers(port), "the Prefect server should be up while serving"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    forms = pd.read_parquet(workdir / "warehouse" / "forms")
    assert len(forms) == 7
    deadline = time.monotonic() + 20
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not answers(port), "the Prefect server started for serving must stop with it"
