"""`selfeval run` from the command line to the flow: quick answers first, then everything at once.

An inbox with nothing new is answered without Prefect (under a second). Otherwise the Prefect
server (the one in PREFECT_API_URL, the one `selfeval server` keeps, or a temporary one for this
run) and the file workers start side by side while Prefect is imported, and the run holds the
warehouse's lock before its flow run starts. Whatever way the command ends, the workers and a
temporary server end with it.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from flows.settings import Settings
from storage.inbox import inbox_files, scan_inbox
from storage.store import work_left

PLAIN_EVERY_SECONDS = 2.0
log = logging.getLogger("selfeval")


def nothing_new(settings: Settings) -> bool:
    return not inbox_files(settings.inbox) and not work_left(settings.warehouse)


def nothing_new_lines(settings: Settings) -> str:
    """'nothing new', and what the inbox holds that no run reads (a named pipe, a folder it cannot list)."""
    return "\n".join([f"nothing new in {settings.inbox}", *(f"left: {note}" for note in scan_inbox(settings.inbox).left)])


def _api_url(log_path: Path) -> tuple[str | None, Any]:
    """The server to use: PREFECT_API_URL, the remembered one, or a temporary one started now."""
    from flows.server import TemporaryServer, remembered_server

    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"], None
    remembered = remembered_server()
    if remembered:
        return remembered, None
    server = TemporaryServer(log_path)
    return server.api_url, server


def launch_run(settings: Settings, *, wait: float, debug: bool, set_logging: Callable[..., None]) -> None:
    if nothing_new(settings):
        typer.echo(nothing_new_lines(settings))
        return
    from storage.store import RunBusy, Store

    store = Store(settings.warehouse)
    told = lambda holder: typer.echo(f"waiting: {holder} is working on warehouse {settings.warehouse}", err=True)  # noqa: E731
    try:
        with store.run_lock(wait=wait, inbox=str(settings.inbox), on_wait=told):
            if nothing_new(settings):  # the run waited for took it all
                typer.echo(nothing_new_lines(settings))
                return
            api_url, server = _api_url(settings.warehouse / "prefect-server.log")
            given = os.environ.get("PREFECT_API_URL")
            os.environ["PREFECT_API_URL"] = api_url or ""
            set_logging(debug, to_server=server is None)
            try:
                _run(settings, server)
            finally:
                from flows.runs import publish_committed

                publish_committed(settings.warehouse)
                _stop(server)
                if given is None:  # main() called in a process that goes on: leave no dead server's URL
                    os.environ.pop("PREFECT_API_URL", None)
    except RunBusy as busy:
        typer.echo(f"error: {busy.holder} is still working on warehouse {settings.warehouse} after {wait:g} s; "
                   "try again later (--wait SECONDS)", err=True)
        raise SystemExit(1) from None


def _stop(server: Any) -> None:
    from flows.ingest import close_pools

    close_pools()
    if server is not None:
        from flows.server import drain_prefect

        drain_prefect()
        server.stop()


def _read_ahead(settings: Settings, pool: Any) -> None:
    """Plan the inbox as the flow will and set the workers reading its batches while Prefect is
    imported and the server starts. The flow plans again and commits: it is handed the batches
    read ahead that it asks for (`LocalPool.read`); nothing is written before it runs."""
    from flows.runs import make_batches, plan_inbox
    from storage.store import Store

    def plan() -> None:
        try:
            fresh = plan_inbox(settings.inbox, Store.open(settings.warehouse), settle=settings.settle_seconds).fresh
        except Exception:  # the flow plans again, and says what is wrong
            log.debug("no reading ahead", exc_info=True)
            return
        pool.read_ahead([[p.item() for p in batch] for batch in make_batches(fresh, settings.workers)])

    threading.Thread(target=plan, daemon=True, name="selfeval-plan-ahead").start()


def _run(settings: Settings, server: Any) -> None:
    if not settings.dask:
        from flows.workers import LocalPool

        pool = LocalPool(settings).start()  # the workers import the extractors meanwhile
        _read_ahead(settings, pool)
    from flows import ingest

    if not settings.dask:
        ingest.pool_for(settings, pool)
    if server is not None:
        server.wait()
    gc.freeze()  # the libraries just imported live for the whole run: keep the collector off them
    with Progress() as progress:
        ingest.progress = progress
        summary = ingest.flow_for(settings)(inbox=str(settings.inbox), warehouse=str(settings.warehouse),
                                            family=settings.family, workers=settings.workers, dask=settings.dask,
                                            settle=settings.settle_seconds)
    typer.echo(summary.render())


class Progress:
    """A progress bar (files, forms, pages, ETA) on a terminal; a plain line every few seconds
    otherwise; nothing for a run shorter than that."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.files = self.forms = self.pages = 0
        self.total = 0
        self.last_line = self.started
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def planned(self, files: int) -> None:
        self.total = files

    def update(self, outcomes: list) -> None:
        self.files += len(outcomes)
        self.forms += sum(o.forms for o in outcomes)
        self.pages += sum(o.pages for o in outcomes)
        now = time.monotonic()
        if now - self.started < PLAIN_EVERY_SECONDS:
            return
        if typer.get_text_stream("stderr").isatty():
            self._bar()
        elif now - self.last_line >= PLAIN_EVERY_SECONDS:
            self.last_line = now
            typer.echo(f"{self.files}/{self.total} files, {self.forms} forms, {self.pages} pages, "
                       f"{now - self.started:.0f} s", err=True)

    def _bar(self) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        if self.bar is None:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
                                "{task.total} files"), TextColumn("{task.fields[forms]} forms"),
                                TextColumn("{task.fields[pages]} pages"), TimeRemainingColumn(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("reading", total=self.total or None, forms=0, pages=0)
        self.bar.update(self.task, completed=self.files, total=self.total or None, forms=self.forms, pages=self.pages)
