"""`selfeval`: run the flow over an inbox once, or serve it on a schedule.

Exit codes: 0 the run finished (whatever files it rejected), 1 the run could not finish,
2 a bad command line or setting.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from pathlib import Path

from extractors.exceptions import SelfevalError

# Offline by default: no telemetry, a quiet temporary server unless the user points at one.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inbox", default="inbox", help="folder of files to load (default ./inbox)")
    parser.add_argument("--warehouse", default="warehouse", help="parquet folder (default ./warehouse)")
    parser.add_argument("--family", default="auto",
                        help="form family forced on every form (default auto: recognised per form)")
    parser.add_argument("--workers", type=int, default=2, help="files processed at once (default 2)")
    parser.add_argument("--debug", action="store_true", help="log every stage, with tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="selfeval", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="one flow run over every file now in the inbox")
    _common(run)
    serve = commands.add_parser("serve", help="a long-running deployment running the flow on a schedule")
    _common(serve)
    when = serve.add_mutually_exclusive_group(required=True)
    when.add_argument("--cron", help="cron expression, e.g. '*/15 * * * *'")
    when.add_argument("--interval", type=float, help="seconds between runs")
    serve.add_argument("--port", type=int, default=4200,
                       help="port of the local Prefect server started when PREFECT_API_URL is unset")
    return parser


def _settings(args: argparse.Namespace):
    from flows.settings import Settings

    return Settings.build(inbox=Path(args.inbox), warehouse=Path(args.warehouse), family=args.family,
                          workers=args.workers)


def cmd_run(args: argparse.Namespace) -> int:
    from flows.ingest import flow_with_workers

    settings = _settings(args)
    if not settings.inbox.is_dir():
        print(f"error: inbox {settings.inbox} is not a folder: create it and drop files in", file=sys.stderr)
        return 2
    run = flow_with_workers(settings.workers)
    gc.freeze()  # the libraries just imported live for the whole run: keep the collector off them
    summary = run(inbox=str(settings.inbox), warehouse=str(settings.warehouse), family=settings.family,
                  workers=settings.workers)
    print(summary.render())
    return 0


def _stop_on_sigterm() -> None:
    """SIGTERM ends serving like Ctrl-C does, so the server started for it is stopped too."""
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    params = {"inbox": str(settings.inbox.resolve()), "warehouse": str(settings.warehouse.resolve()),
              "family": settings.family, "workers": settings.workers}
    schedule = {"cron": args.cron} if args.cron else {"interval": args.interval}
    _stop_on_sigterm()
    if os.environ.get("PREFECT_API_URL"):
        return _serve(params, schedule)
    from flows.server import local_server

    with local_server(args.port, log_path=settings.warehouse / "prefect-server.log") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        print(f"Prefect server: {api_url.removesuffix('/api')} (stopped when serving stops)")
        return _serve(params, schedule)


def _serve(params: dict, schedule: dict) -> int:
    from flows.ingest import flow_with_workers

    try:
        flow_with_workers(params["workers"]).serve(name="selfeval-inbox", parameters=params, **schedule)
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if args.debug:  # Prefect's own run and task lines; ours (extractors, flows) in full
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    for name in ("selfeval", "extractors", "flows", "storage", "schemas"):
        logging.getLogger(name).setLevel(logging.DEBUG if args.debug else logging.WARNING)
    try:
        return {"run": cmd_run, "serve": cmd_serve}[args.command](args)
    except SelfevalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: the run could not finish: {type(exc).__name__}: {exc} (try --debug)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
