"""A local Prefect server for `selfeval serve`, started the way a user starts one.

Schedules need a persistent server (the temporary one a plain run starts has no scheduler), so
when no `PREFECT_API_URL` is set, `selfeval serve` starts `prefect server start` on 127.0.0.1,
waits until it answers, and stops it when serving ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_SECONDS = 90.0


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _prefect_command() -> list[str]:
    beside = Path(sys.executable).with_name("prefect")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "prefect"]


@contextmanager
def local_server(port: int, *, log_path: Path, startup_seconds: float = STARTUP_SECONDS) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1:port for the duration; yields its API URL."""
    api_url = f"http://{HOST}:{port}/api"
    if _healthy(api_url):  # one is already running there: use it, leave it running
        yield api_url
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen([*_prefect_command(), "server", "start", "--host", HOST, "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    try:
        deadline = time.monotonic() + startup_seconds
        while not _healthy(api_url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start on port {port}; see {log_path}")
            time.sleep(0.5)
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
