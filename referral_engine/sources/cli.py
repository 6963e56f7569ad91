"""`referral sources …`: each source's health, and a poll now.

``list`` prints every source (configured ones and any other name inputs arrived under)
with its kind, the credential variables it names and whether they are set (never their
values), inputs in / accepted / duplicate / rejected, last success, lag and last error.
``poll [NAME]`` polls one poll source (or an email source's mailbox), or all of them,
once; a poll that fails prints its error and exits 1; an unknown name exits 2.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape

from referral_engine import clock
from referral_engine.console import ReportFormat, fail, out, state

sources_app = typer.Typer(
    help="Sources of events: their health, and polling them.", no_args_is_help=True
)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


@sources_app.command("list")
def list_sources(
    fmt: Annotated[ReportFormat, typer.Option("--format", help="table or json.")] = (
        ReportFormat.table
    ),
) -> None:
    """Every source's health: inputs, last success, lag, last error."""
    from rich.table import Table

    from referral_engine.agency.service import load_settings
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema
    from referral_engine.sources.health import lag_text, source_health

    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        rows = source_health(session, settings=load_settings(session))
    if fmt == ReportFormat.json:
        out.print_json(json.dumps([row.as_dict() for row in rows]))
        return
    table = Table(title=f"Sources ({len(rows)})")
    for column in ("source", "kind", "credentials", "in", "accepted", "duplicate", "rejected"):
        table.add_column(column)
    for column in ("last success", "lag", "last error"):
        table.add_column(column)
    for row in rows:
        kind = f"{row.kind} ({row.profile})" if row.profile else row.kind
        if row.signed:
            kind += ", signed"
        error = f"{_when(row.last_error_at)} {escape(row.last_error)}" if row.last_error else ""
        table.add_row(
            row.name,
            kind,
            row.credential_text,
            str(row.inputs),
            str(row.accepted),
            str(row.duplicate),
            f"{row.rejected} (+{row.quarantined} quarantined)"
            if row.quarantined
            else str(row.rejected),
            _when(row.last_success_at),
            lag_text(row.lag_seconds),
            error,
        )
    out.print(table)


@sources_app.command("poll")
def poll(
    name: Annotated[
        str | None, typer.Argument(help="The poll source (default: every one).")
    ] = None,
) -> None:
    """Poll a source (or every poll source) once, now; prints what it read."""
    from referral_engine.setup import require_schema
    from referral_engine.sources.poller import UnknownSource, poll_source, poll_sources

    require_schema(state.db_url)
    names = [name] if name else poll_sources(state.db_url)
    if not names:
        fail(
            'no poll source is configured: add [sources.NAME] kind = "poll" (or kind = '
            '"email" with imap_url_env) to the settings'
        )
    failed = False
    for source in names:
        try:
            report = poll_source(state.db_url, name=source, now=clock.now())
        except UnknownSource as exc:
            fail(str(exc))
        out.print(
            f"{source}: read {report.read} record(s) on {report.pages} page(s): "
            f"[green]{report.accepted} accepted[/], {report.duplicate} duplicate, "
            f"[red]{report.rejected} rejected[/], "
            + (
                f"[yellow]{report.quarantined} quarantined[/] (a task each)"
                if report.quarantined
                else f"{report.skipped} not a moment"
            ),
            highlight=False,
            soft_wrap=True,
        )
        if report.waits:
            waited = ", ".join(f"{w:g}s" for w in report.waits)
            out.print(f"  retried after waiting {waited}", highlight=False)
        if report.note:
            out.print(f"  [yellow]note:[/] {escape(report.note)}", highlight=False, soft_wrap=True)
        if report.cursor:
            out.print(f"  cursor: {report.cursor}", highlight=False)
        if report.error:
            failed = True
            out.print(
                f"  [red]poll failed:[/] {escape(report.error)}", highlight=False, soft_wrap=True
            )
    if failed:
        raise typer.Exit(1)
