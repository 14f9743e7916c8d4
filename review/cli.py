"""`selfeval review`: list the open flags, show one with its evidence, accept, correct, reopen,
see a form's history, export to and import from Excel, or serve the review page (`--web`).

Every decision is published at once, so `selfeval sql` and the parquet tables show it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from extractors.exceptions import ReviewError

LANGS = ("zh", "en")  # the store, pandas and the checks are imported by each command, not by `selfeval`

review_app = typer.Typer(add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
                         help="List, show and settle flagged mismatches (`--web` for the review page).")

Warehouse = Annotated[Path, typer.Option(help="folder of the store and the published tables")]
Lang = Annotated[str, typer.Option(help="language of the messages: zh or en")]
Note = Annotated[str, typer.Option(help="why: what the source says, what was wrong")]
Reviewer = Annotated[str | None, typer.Option(help="who decides [default: $SELFEVAL_REVIEWER, else the login name]")]


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ReviewError(f"bad --lang {lang!r}; allowed: {', '.join(LANGS)}")
    return lang


def _publish(store: object) -> None:
    from storage.publish import publish

    publish(store)  # type: ignore[arg-type]


def _decide(warehouse: Path, decide: Callable[[Any], Any]) -> None:
    """Take one decision on the warehouse's store, say what it changed, publish it."""
    from review import queries

    store = queries.open_store(warehouse)
    _echo_outcome(decide(store))
    _publish(store)


def _echo_outcome(outcome: Any) -> None:
    typer.echo(f"decision {outcome.decision_id}: {outcome.text}")
    for flag_id, before, after in outcome.changed:
        typer.echo(f"  {flag_id}: {before or 'new'} → {after}")


@review_app.callback(invoke_without_command=True)
def review(ctx: typer.Context, web: Annotated[bool, typer.Option("--web", help="serve the review page")] = False,
           warehouse: Warehouse = Path("warehouse"),
           host: Annotated[str, typer.Option(help="address the page listens on")] = "127.0.0.1",
           port: Annotated[int, typer.Option(min=0, max=65535, help="port of the page (0: any free one)")] = 8765,
           lang: Lang = "zh") -> None:
    """List, show and settle flagged mismatches."""
    from review import queries

    if ctx.invoked_subcommand is not None:
        return
    if not web:
        typer.echo(ctx.get_help())
        return
    from review.web import serve

    serve(queries.open_store(warehouse), host=host, port=port, lang=_lang(lang))


@review_app.command("list")
def list_(warehouse: Warehouse = Path("warehouse"),
          check: Annotated[str | None, typer.Option(help="only this check code")] = None,
          severity: Annotated[str | None, typer.Option(help="error or warning")] = None,
          department: Annotated[str | None, typer.Option(help="departments containing this text")] = None,
          year: Annotated[int | None, typer.Option(help="only forms of this year")] = None,
          file: Annotated[str | None, typer.Option(help="files whose name contains this text")] = None,
          status: Annotated[str, typer.Option(help="open, accepted, corrected or all")] = "open",
          lang: Lang = "zh") -> None:
    """The flags still open (or of a status), with their project and department."""
    from rich.console import Console
    from rich.table import Table

    from review import queries

    store = queries.open_store(warehouse)
    with store.connect() as db:
        rows = queries.flags(db, status=status, check=check, severity=severity, department=department, year=year,
                             file=file)
    if not rows:
        typer.echo(f"no {status if status != 'all' else ''} flags match".replace("  ", " "))
        return
    table = Table(title=f"{len(rows)} flags ({status})", show_lines=False)
    for name in ("flag", "check", "project", "department", "year", "place", "message"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(row.flag_id, f"{row.check}\n{row.severity}", row.project_name or row.source_file,
                      row.department, str(row.year or ""), row.location, row.text(lang))
    Console(width=max(160, Console().width)).print(table)
    typer.echo("show one: selfeval review show FLAG_ID")


def _image_path(warehouse: Path, flag_id: str) -> Path:
    return warehouse / "review-images" / (re.sub(r"[^\w.-]+", "_", flag_id) + ".png")


@review_app.command()
def show(flag_id: str, warehouse: Warehouse = Path("warehouse"), lang: Lang = "zh",
         image: Annotated[Path | None, typer.Option(help="where to save the cell's picture "
                                                   "[default: <warehouse>/review-images/<flag>.png]")] = None,
         open_image: Annotated[bool, typer.Option("--open", help="open the cell's picture")] = False) -> None:
    """One flag: the form, the printed and the recomputed value, the source around it."""
    from review import queries
    from review.evidence import cell_image, excerpt

    lang = _lang(lang)
    store = queries.open_store(warehouse)
    with store.connect() as db:
        flag = queries.flag(db, flag_id)
        form = queries.form(db, flag.form_id) if flag.form_id else {}
        value = queries.value_of(db, flag.form_id, flag.field) if flag.form_id else None
    typer.echo(f"flag {flag.flag_id}  [{flag.severity}, {flag.status}]")
    typer.echo(f"  {flag.text(lang)}")
    if form:
        typer.echo(f"form {form['form_id']}: {form['project_name']} — {form['department']} "
                   f"({form['implementing_unit']}), {form['year'] or '?'}, amounts in {form['amount_unit']}, "
                   f"status {form['status']}")
    typer.echo(f"  field {flag.field}: printed {flag.found or '—'}, recomputed {flag.expected or '—'}"
               + (f", stored {queries.shown_value(flag.field, value)}" if value not in (None, "") else ""))
    typer.echo(f"  at {flag.location or '?'} in {flag.archived_file or flag.source_file}")
    shown = excerpt(flag.archived_file, flag.location)
    typer.echo(shown.note) if shown.note else None
    for row in shown.rows:
        cells = [f">>{c}<<" if i == row.marked else c for i, c in enumerate(row.cells)]
        typer.echo(f"{'→' if row.is_value_row else ' '} {row.where:>22} │ " + " │ ".join(cells))
    picture = cell_image(flag.archived_file, flag.location)
    if picture is not None:
        target = image or _image_path(warehouse, flag.flag_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(picture)
        typer.echo(f"cell picture: {target}")
        if open_image:
            typer.launch(str(target))
    typer.echo(f"decide: selfeval review accept {flag.flag_id} --note '…'   or   "
               f"selfeval review correct {flag.form_id or 'FORM_ID'} FIELD VALUE --note '…'")


@review_app.command("accept")
def accept_(flag_id: str, warehouse: Warehouse = Path("warehouse"), note: Note = "", reviewer: Reviewer = None) -> None:
    """The source really says this: the flag is closed, and stays closed on every later run."""
    from review import decisions

    _decide(warehouse, lambda store: decisions.accept(store, flag_id, note=note, reviewer=reviewer))


@review_app.command("correct")
def correct_(form_id: str, field: str, value: str, warehouse: Warehouse = Path("warehouse"),
             seq: Annotated[int | None, typer.Option(help="the indicator (1, 2, …) for an indicator's column")] = None,
             note: Note = "", reviewer: Reviewer = None) -> None:
    """The extraction was wrong: FIELD of the form is VALUE (an amount as the form prints it, or
    with its unit: 99000元, 9.9万元). The form is re-checked; the correction holds on every later
    extraction of the form."""
    from review import decisions

    _decide(warehouse, lambda store: decisions.correct(store, form_id, field, value, seq=seq, note=note, reviewer=reviewer))


@review_app.command("reopen")
def reopen_(flag_id: str, warehouse: Warehouse = Path("warehouse"), note: Note = "", reviewer: Reviewer = None) -> None:
    """Open a closed flag again, withdrawing the acceptance or correction that closed it."""
    from review import decisions

    _decide(warehouse, lambda store: decisions.reopen(store, flag_id, note=note, reviewer=reviewer))


@review_app.command("history")
def history_(form_id: str, warehouse: Warehouse = Path("warehouse")) -> None:
    """The form's versions (re-issued files) and every decision taken on it."""
    from review import queries

    store = queries.open_store(warehouse)
    with store.connect() as db:
        versions, taken = queries.history(db, form_id)
    for v in versions:
        state = "current" if v.current else f"superseded by {v.superseded_by}"
        typer.echo(f"version {v.form_id}  {v.source_file}  seen {v.seen_at}  {state}")
    withdrawn = {d.withdraws: d.decision_id for d in taken if d.action == "reopen"}
    for d in taken:
        what = f"{d.field or d.flag_id}: {d.old_value or '—'} → {d.new_value or '—'}"
        gone = f"  (withdrawn by {withdrawn[d.decision_id]})" if d.decision_id in withdrawn else ""
        typer.echo(f"decision {d.decision_id}  {d.decided_at}  {d.reviewer}  {d.action} {what}"
                   f"{'  note: ' + d.note if d.note else ''}{gone}")
    if not taken:
        typer.echo("no decisions yet")


@review_app.command("export")
def export_(xlsx: Annotated[Path, typer.Option("--xlsx", help="the workbook to write")],
            warehouse: Warehouse = Path("warehouse"), lang: Lang = "zh") -> None:
    """The open flags with their evidence as a workbook, one sheet per check, with columns for decisions."""
    from review import queries
    from review.excel import export

    store = queries.open_store(warehouse)
    count = export(store, xlsx, lang=_lang(lang))
    typer.echo(f"{count} open flags written to {xlsx}; fill the decision columns, then "
               f"selfeval review import --xlsx {xlsx}")


@review_app.command("import")
def import_(xlsx: Annotated[Path, typer.Option("--xlsx", help="the workbook reviewers filled")],
            warehouse: Warehouse = Path("warehouse"), reviewer: Reviewer = None) -> None:
    """Apply the decisions typed into an exported workbook: all of them, or none if a row is bad."""
    from review import queries
    from review.excel import import_decisions

    store = queries.open_store(warehouse)
    outcomes = import_decisions(store, xlsx, reviewer=reviewer)
    for outcome in outcomes:
        _echo_outcome(outcome)
    _publish(store)
    typer.echo(f"{len(outcomes)} decisions applied from {xlsx}")
