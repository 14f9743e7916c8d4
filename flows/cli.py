"""`selfeval`: run the flow over an inbox once, serve it on a schedule, keep a Prefect server, query.

Exit codes: 0 the run finished (whatever files it rejected), 1 the run could not finish,
2 a bad command line or setting (checked before anything starts), 130 interrupted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from extractors.exceptions import SelfevalError, SettingsError
from review.cli import review_app

# Offline by default: no telemetry, Prefect's own lines quiet unless --debug.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}
OUR_LOGGERS = ("selfeval", "extractors", "flows", "storage", "schemas")
SERVE_GRACE_SECONDS = 10.0

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Turn 财政项目支出绩效自评表 into checked parquet tables.")

app.add_typer(review_app, name="review")

Inbox = Annotated[Path, typer.Option(help="folder of files to load (sub-folders too)")]
Warehouse = Annotated[Path, typer.Option(help="folder of the store and the published tables")]
Family = Annotated[str, typer.Option(help="form family forced on every form (default auto: recognised per form)")]
Workers = Annotated[int, typer.Option(help="files read at once, each in a worker process")]
Dask = Annotated[str | None, typer.Option(help="extract on this Dask scheduler, e.g. tcp://host:8786")]
Debug = Annotated[bool, typer.Option(help="log every stage and Prefect's own lines, with tracebacks")]


class Stop(Exception):
    """Leave with this exit code after the message was printed."""

    def __init__(self, code: int, *, hard: bool = False) -> None:
        self.code = code
        self.hard = hard  # leave at once: what Prefect still holds at exit has nowhere to go


def fail(message: str, code: int = 2) -> Stop:
    typer.echo(f"error: {message}", err=True)
    return Stop(code)


def _settings(inbox: Path, warehouse: Path, family: str, workers: int, dask: str | None, **more: Any) -> Any:
    from flows.settings import Settings

    settings = Settings.build(inbox=inbox, warehouse=warehouse, family=family, workers=workers, dask=dask, **more)
    if settings.warehouse.exists() and not settings.warehouse.is_dir():
        raise fail(f"warehouse {settings.warehouse} is a file, not a folder: give a folder (it is created if missing)")
    if not settings.inbox.is_dir():
        raise fail(f"inbox {settings.inbox} is not a folder: create it and drop files in")
    return settings


def _logging(debug: bool, *, to_server: bool) -> None:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if debug:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    elif to_server:  # each file's line reaches the server's UI; the terminal stays quiet
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # Prefect's INFO lines go to its server, not here
        handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)


def _stop_on_sigterm() -> None:
    """SIGTERM ends the command like Ctrl-C does, so what it started is stopped too."""
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@app.command()
def run(inbox: Inbox = Path("inbox"), warehouse: Warehouse = Path("warehouse"), family: Family = "auto",
        workers: Workers = 2, dask: Dask = None,
        wait: Annotated[float, typer.Option(min=0, help="seconds to wait for another run on the warehouse")] = 600,
        settle: Annotated[float | None, typer.Option(min=0, help="seconds a just-changed file is watched "
                                                      "[default 2, SELFEVAL_SETTLE_SECONDS]")] = None,
        debug: Debug = False) -> None:
    """One flow run over every file now in the inbox."""
    from flows.launch import launch_run

    settings = _settings(inbox, warehouse, family, workers, dask, settle_seconds=settle)
    _stop_on_sigterm()
    launch_run(settings, wait=wait, debug=debug, set_logging=_logging)


def deployment_name(inbox: Path, warehouse: Path) -> str:
    """One deployment per inbox and warehouse pair, so two `serve` never take each other's runs."""
    key = hashlib.sha256(f"{inbox.resolve()}\0{warehouse.resolve()}".encode()).hexdigest()[:8]
    return f"{inbox.resolve().name}-to-{warehouse.resolve().name}-{key}"


def _schedule(cron: str | None, interval: float | None) -> dict[str, Any]:
    if (cron is None) == (interval is None):
        raise fail("give one schedule: --cron EXPR or --interval SECONDS")
    if interval is not None:
        if interval <= 0:
            raise fail(f"bad --interval {interval:g}: seconds between runs must be above 0")
        return {"interval": interval}
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron or "")
    except ValueError as exc:
        raise fail(f"bad --cron {cron!r}: {str(exc).splitlines()[-1].strip()}; e.g. '*/15 * * * *'") from None
    return {"cron": cron}


@app.command()
def serve(inbox: Inbox = Path("inbox"), warehouse: Warehouse = Path("warehouse"), family: Family = "auto",
          workers: Workers = 2, dask: Dask = None,
          cron: Annotated[str | None, typer.Option(help="cron expression, e.g. '*/15 * * * *'")] = None,
          interval: Annotated[float | None, typer.Option(help="seconds between runs")] = None,
          port: Annotated[int, typer.Option(min=1, max=65535, help="port of the Prefect server (and UI) started "
                                            "when PREFECT_API_URL is unset")] = 4200,
          debug: Debug = False) -> None:
    """A long-running deployment running the flow on a schedule; one run at a time per warehouse."""
    settings = _settings(inbox, warehouse, family, workers, dask)
    schedule = _schedule(cron, interval)
    if interval is not None:  # the runner looks for due runs often enough for the interval asked
        os.environ.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", str(max(1, min(10, int(interval // 2)))))
    _logging(debug, to_server=True)
    _stop_on_sigterm()
    params = {"inbox": str(settings.inbox.resolve()), "warehouse": str(settings.warehouse.resolve()),
              "family": settings.family, "workers": settings.workers, "dask": settings.dask}
    name = deployment_name(settings.inbox, settings.warehouse)
    if os.environ.get("PREFECT_API_URL"):
        _serve(settings, name, params, schedule)
        raise Stop(0, hard=True)
    from flows.server import persistent_server

    settings.warehouse.mkdir(parents=True, exist_ok=True)
    with persistent_server(port, log_path=settings.warehouse / "prefect-server.log") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        typer.echo(f"Prefect server: {api_url.removesuffix('/api')} (stopped when serving stops)")
        _serve(settings, name, params, schedule)
    raise Stop(0, hard=True)


def _serve(settings: Any, name: str, params: dict, schedule: dict) -> None:
    """Serve until Ctrl-C or SIGTERM; one flow run at a time from this process (and the run lock
    keeps any other run off the warehouse meanwhile)."""
    import asyncio

    from prefect.runner import Runner

    from flows.ingest import flow_for
    from flows.runs import publish_committed
    from flows.server import drain_prefect

    runner = Runner(name=f"selfeval-{name}", limit=1, pause_on_shutdown=False)
    runner.add_flow(flow_for(settings), name=name, parameters=params, **schedule)
    _stop_serving_on_signals(runner)
    typer.echo(f"serving deployment ingest_inbox/{name}: {settings.inbox} → {settings.warehouse}")
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    publish_committed(settings.warehouse)
    drain_prefect(timeout=3)


def _stop_serving_on_signals(runner: Any, *, grace: float = SERVE_GRACE_SECONDS) -> None:
    """Ctrl-C or SIGTERM: the runner cancels its run in progress and stops; if it has not stopped
    after `grace` seconds, or on a second signal, the process ends at once (its runs' work is
    safe in the store: the next run finishes it)."""
    import threading

    def hard_stop() -> None:
        _kill_children()
        sys.stderr.flush()
        os._exit(0)

    graceful = runner.handle_sigterm

    def stop(*args: object) -> None:
        if runner.stopping:
            hard_stop()
        typer.echo("stopping: the run in progress is cancelled, no new run starts", err=True)
        timer = threading.Timer(grace, hard_stop)
        timer.daemon = True
        timer.start()
        graceful()

    runner.handle_sigterm = stop  # type: ignore[method-assign]  # what Runner.start sets for SIGTERM
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _kill_children() -> None:
    import psutil

    for child in psutil.Process().children(recursive=True):
        try:
            child.kill()
        except psutil.Error:
            pass


@app.command()
def server(port: Annotated[int, typer.Option(min=1, max=65535, help="port of the server and its UI")] = 4200) -> None:
    """Keep a Prefect server running here; `selfeval run` uses it rather than a temporary one."""
    from flows.server import persistent_server, state_file

    _logging(False, to_server=False)
    _stop_on_sigterm()
    log = state_file().with_name("prefect-server.log")
    try:
        with persistent_server(port, log_path=log, remember=True) as api_url:
            typer.echo(f"Prefect server: {api_url.removesuffix('/api')} (log {log}); Ctrl-C stops it")
            signal.pause() if hasattr(signal, "pause") else input()
    except KeyboardInterrupt:
        pass


@app.command()
def sql(query: Annotated[str, typer.Argument(help="a DuckDB query over files, forms, indicators, flags, "
                                             "open_flags, flagged_forms")],
        warehouse: Warehouse = Path("warehouse"),
        output: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
        max_rows: Annotated[int, typer.Option(min=1, help="rows shown as a table")] = 100) -> None:
    """Query the published tables with DuckDB."""
    from storage.query import connect, render

    if output not in ("table", "csv", "json"):
        raise fail(f"bad --format {output!r}; allowed: table, csv, json")
    try:
        relation = connect(warehouse).sql(query)
    except Exception as exc:  # DuckDB's own message names the table or column
        raise fail(str(exc).splitlines()[0]) from None
    typer.echo(render(relation, output, max_rows) if relation is not None else "")


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="selfeval", standalone_mode=False)
    except Stop as stop:
        if stop.hard and argv is None:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(stop.code)
        return stop.code
    except (SelfevalError, SettingsError) as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    except typer.Abort:  # Ctrl-C, as the command line library reports it
        typer.echo("interrupted", err=True)
        return 130
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.TyperException as exc:  # a malformed command line: usage and the problem, exit 2
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        return getattr(exc, "exit_code", 2)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1
    except Exception as exc:
        if "--debug" in (argv or sys.argv):
            raise
        typer.echo(f"error: the run could not finish: {type(exc).__name__}: {exc} (try --debug)", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
