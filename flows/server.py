"""Prefect servers, started the way a user starts them, and never left behind.

- `persistent_server` (for `selfeval server` and `selfeval serve`): `prefect server start` on
  127.0.0.1:PORT, its UI told to call that port. `selfeval server` remembers its address in
  `~/.selfeval/server.json` (`SELFEVAL_HOME`), so `selfeval run` uses it rather than starting one.
- `temporary_server` (for a `selfeval run` with no server to use): the same API Prefect's own
  temporary server runs, started by the run before it imports Prefect (the two start-ups overlap),
  in a session of its own so Ctrl-C reaches the run first, and bound to die with the run even
  when the run is killed outright (Linux's parent-death signal).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
STARTUP_SECONDS = 120.0
PR_SET_PDEATHSIG = 1


def state_file() -> Path:
    return Path(os.environ.get("SELFEVAL_HOME", "~/.selfeval")).expanduser() / "server.json"


def healthy(api_url: str, *, timeout: float = 2, path: str = "health") -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/{path}", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def remembered_server() -> str | None:
    """The API URL of the server `selfeval server` started, if it still answers."""
    try:
        url = json.loads(state_file().read_text(encoding="utf-8"))["api_url"]
    except (OSError, ValueError, KeyError):
        return None
    return url if healthy(url, timeout=0.5) else None


def _die_with_parent() -> None:
    """Run in the child before it starts: SIGTERM it when the process that started it dies."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the run stops it on its way out instead
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _server_env(port: int) -> dict[str, str]:
    os.environ.setdefault("PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED", "false")  # our own server: same version
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_SERVER_API_HOST=HOST, PREFECT_SERVER_API_PORT=str(port),
               PREFECT_UI_API_URL=f"http://{HOST}:{port}/api", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(process: subprocess.Popen, api_url: str, *, what: str,
                  startup_seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + startup_seconds
    while not (healthy(api_url, timeout=1) and healthy(f"{api_url}/admin", timeout=5, path="version")):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Prefect server did not start ({what})")
        time.sleep(0.1)


# What a server that lives for one run does without (about a quarter of its start-up): automations
# (their triggers and actions), the vacuum of old events (the events table is a kept server's to
# tend), and registering block types, which first imports every installed Prefect collection
# (prefect-dask, and Dask with it). A kept server (`selfeval server`, `serve`) keeps them all.
ONE_RUN_SERVER = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED": "false",
    "PREFECT_API_BLOCKS_REGISTER_ON_START": "false",
    "PREFECT_MEMOIZE_BLOCK_AUTO_REGISTRATION": "false",
}


class TemporaryServer:
    """A Prefect API for one run, on a free port; `api_url` answers once `wait` returns."""

    def __init__(self, log_path: Path | None = None) -> None:
        port = _free_port()
        self.api_url = f"http://{HOST}:{port}/api"
        env = {**_server_env(port), **ONE_RUN_SERVER}
        command = [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
                   "--host", HOST, "--port", str(port), "--log-level", "error", "--lifespan", "on"]
        log: Any = subprocess.DEVNULL
        if log_path is not None:  # its complaints go to a log, not into the run's own output
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log = log_path.open("ab")
        self.process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        start_new_session=True, preexec_fn=_die_with_parent)
        if log_path is not None:
            log.close()

    def wait(self) -> str:
        wait_until_up(self.process, self.api_url, what="temporary server for this run")
        return self.api_url

    def stop(self) -> None:
        _stop(self.process)


@contextmanager
def persistent_server(port: int, *, log_path: Path, remember: bool = False,
                      startup_seconds: float = STARTUP_SECONDS) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1:port for the duration; yields its API URL."""
    api_url = f"http://{HOST}:{port}/api"
    if healthy(api_url):  # one is already running there: use it, leave it running
        yield api_url
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    beside = Path(sys.executable).with_name("prefect")
    command = [str(beside)] if beside.exists() else [sys.executable, "-m", "prefect"]
    with log_path.open("ab") as log:
        process = subprocess.Popen([*command, "server", "start", "--host", HOST, "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=_server_env(port), start_new_session=True, preexec_fn=_die_with_parent)
    try:
        wait_until_up(process, api_url, what=f"port {port}; see {log_path}", startup_seconds=startup_seconds)
        if remember:
            state_file().parent.mkdir(parents=True, exist_ok=True)
            state_file().write_text(json.dumps({"api_url": api_url, "pid": process.pid}), encoding="utf-8")
        yield api_url
    finally:
        if remember:
            state_file().unlink(missing_ok=True)
        _stop(process)


def drain_prefect(timeout: float = 5.0) -> None:
    """Send Prefect's queued log lines and events before its server stops, waiting at most
    `timeout` seconds each: sent to a server that is gone, they would hold the exit for good."""
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogWorker
    except ImportError:
        return
    for service in (APILogWorker, EventsWorker):
        try:
            service.drain_all(timeout=timeout)
        except Exception:  # nothing to send, or a server that no longer answers
            pass
