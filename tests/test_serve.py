"""`selfeval serve`: a scheduled deployment on a Prefect server it starts, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=10) as response:
            assert json.loads(response.read())["api_url"] == f"http://127.0.0.1:{port}/api", "the UI calls its port"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    forms = pd.read_parquet(workdir / "warehouse" / "forms")
    assert len(forms) == 7
    deadline = time.monotonic() + 20
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not answers(port), "the Prefect server started for serving must stop with it"


def test_run_uses_the_server_selfeval_server_keeps(workdir: Path) -> None:
    shutil.copy(next((FIXTURES / "seed").glob("*.txt")), workdir / "inbox" / "seed.txt")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(workdir / "prefect-home"), SELFEVAL_HOME=str(workdir / "selfeval-home"))
    server = subprocess.Popen([str(SELFEVAL), "server", "--port", str(port)], cwd=workdir, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    state = workdir / "selfeval-home" / "server.json"
    try:
        deadline = time.monotonic() + 150
        while not state.exists():
            assert server.poll() is None and time.monotonic() < deadline, "selfeval server did not come up"
            time.sleep(0.5)
        run = subprocess.run([str(SELFEVAL), "run", "--settle", "0"], cwd=workdir, env=env, capture_output=True,
                             text=True, timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/flow_runs/count", data=b"{}",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == 1, "the run should be recorded by the kept server"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    assert not state.exists() and not answers(port)
