"""The `referral` command: thin, calls services. Exit codes: 0 ok, 1 failure, 2 bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from referral_engine import clock
from referral_engine.asks.cli import asks_app, templates_app
from referral_engine.console import ReportFormat, err, fail, out, state
from referral_engine.contacts.cli import consent_app
from referral_engine.mail.cli import mail_app
from referral_engine.referrals.cli import referrals_app
from referral_engine.replies.cli import replies_app
from referral_engine.reports.cli import report_app
from referral_engine.settings import DEFAULT_DB_URL
from referral_engine.sources.cli import sources_app
from referral_engine.users.cli import users_app

app = typer.Typer(
    name="referral",
    help="Referral Engine: turn the warmest client moments into referrals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL (env REFERRAL_DB).", show_default=False)
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="The instant this command treats as now, ISO 8601 (env REFERRAL_NOW).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.db_url = db or os.environ.get("REFERRAL_DB") or DEFAULT_DB_URL
    if now:
        try:
            clock.pin(clock.parse_instant(now))
        except clock.BadInstant as exc:
            fail(f"--now: {exc}")
    elif os.environ.get("REFERRAL_NOW"):
        try:
            clock.pin(clock.parse_instant(os.environ["REFERRAL_NOW"]))
        except clock.BadInstant as exc:
            fail(f"REFERRAL_NOW: {exc}")
    else:
        clock.pin(None)
    _check_providers()


def _check_providers() -> None:
    """Provider variables that cannot work stop every command here (exit 2), before any
    message could fail on them."""
    from pydantic import ValidationError

    from referral_engine.delivery.providers import ProviderConfigError, check
    from referral_engine.settings import provider_settings

    try:
        check(provider_settings())
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"REFERRAL_{str(first['loc'][0]).upper()}: {first['msg']}")
    except ProviderConfigError as exc:
        fail(str(exc))
    from referral_engine.agency import crypto

    try:
        crypto.enabled()
    except crypto.BadEncryptionKey as exc:
        fail(str(exc))


UNENCRYPTED = (
    "[yellow]Secrets (the signing key, webhook secrets) are stored unencrypted: set "
    "REFERRAL_ENCRYPTION_KEY to a key from `referral secrets new-key` and run "
    "`referral init` again to encrypt them.[/]"
)


@app.command()
def init(
    config: Annotated[
        Path | None, typer.Option("--config", help="Agency settings (TOML).", show_default=False)
    ] = None,
) -> None:
    """Create or migrate the database, load settings, create the first admin."""
    from referral_engine.agency import crypto
    from referral_engine.settings import SettingsError
    from referral_engine.setup import initialize
    from referral_engine.users.passwords import WeakPassword

    try:
        result = initialize(state.db_url, config=config)
    except SettingsError as exc:
        fail(f"{config}: {exc}")
    except crypto.SecretUnreadable as exc:
        fail(f"{exc}. Nothing was changed.")
    except WeakPassword as exc:
        fail(f"REFERRAL_ADMIN_PASSWORD: {exc} Nothing was changed.")
    out.print(f"Database ready: {result.db_display}")
    if config:
        out.print(f"Settings loaded from {config}")
    creds = result.credentials
    if creds.created:
        out.print(f"Admin created: [bold]{creds.email}[/]")
        out.print(f"  password: {creds.password}")
        out.print(f"  API token: {creds.token}")
        out.print("[dim]Store these now: they are not shown again.[/]")
    else:
        out.print(f"Admin exists: {creds.email}")
        if creds.token:
            out.print(f"  API token: {creds.token}")
    if crypto.enabled():
        out.print("Secrets are stored encrypted (REFERRAL_ENCRYPTION_KEY).")
    else:
        out.print(UNENCRYPTED)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Run no in-process worker.")
    ] = False,
) -> None:
    """Serve the web app and API, with an in-process worker unless --no-worker."""
    from referral_engine.agency import crypto
    from referral_engine.setup import serve_app

    if not crypto.enabled():
        out.print(UNENCRYPTED)
    try:
        serve_app(state.db_url, host=host, port=port, worker=not no_worker)
    except crypto.SecretUnreadable as exc:
        fail(str(exc))


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="Seconds between passes when idle.")] = 5.0,
) -> None:
    """Run a worker (several may run against one PostgreSQL database)."""
    from referral_engine.setup import require_schema
    from referral_engine.worker import run_forever

    require_schema(state.db_url)
    out.print(f"Worker running on {state.db_url.split('@')[-1]} (Ctrl-C to stop)")
    try:
        run_forever(state.db_url, poll_seconds=poll)
    except KeyboardInterrupt:
        out.print("Worker stopped.")


@app.command()
def tick() -> None:
    """Run all work due at now once, then exit; prints what it did."""
    from referral_engine.setup import require_schema
    from referral_engine.worker import run_due

    require_schema(state.db_url)
    report = run_due(state.db_url, now=clock.now())
    if not report.total and not report.failed and not report.retried:
        out.print(f"Nothing due at {clock.now().isoformat()}.")
        return
    out.print(f"Ran {report.total} job(s) due at {clock.now().isoformat()}:")
    for kind, count in sorted(report.ran.items()):
        out.print(f"  {kind}: {count}")
    for outcome, count in sorted(report.outcomes.items()):
        out.print(f"    {outcome}: {count}")
    if report.retried:
        out.print(f"  deferred to later: {report.retried}")
    if report.failed:
        out.print(f"  [red]failed (will retry): {report.failed}[/]")


@app.command(name="import")
def import_(
    file: Annotated[Path, typer.Argument(help=".jsonl of canonical events or .csv export.")],
    source: Annotated[str, typer.Option("--source", help="Source name of these events.")],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            help="CSV mapping profile: a TOML file or a shipped profile name.",
            show_default=False,
        ),
    ] = None,
    chunk: Annotated[int, typer.Option(help="Events per transaction.")] = 1000,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Import events from a file; prints accepted / duplicate / rejected counts."""
    from referral_engine.events.csv_profiles import ProfileError
    from referral_engine.events.importer import ImportRefused, import_file

    try:
        summary = import_file(
            state.db_url,
            path=file,
            source=source,
            mapping=mapping,
            chunk=chunk,
            console=None if quiet else err,
        )
    except (ImportRefused, ProfileError) as exc:
        fail(str(exc))
    out.print(
        f"{file.name}: [green]{summary.accepted} accepted[/], "
        f"{summary.duplicate} duplicate, [red]{summary.rejected} rejected[/]"
    )
    for line_no, reason in summary.rejections[:20]:
        err.print(f"  line {line_no}: {reason}", highlight=False, soft_wrap=True)
    if summary.rejected > 20:
        err.print(f"  … and {summary.rejected - 20} more: `referral events --rejected`")
    if summary.rejected:
        raise typer.Exit(2)


@app.command()
def events(
    rejected: Annotated[bool, typer.Option("--rejected", help="List rejected inputs.")] = False,
    reprocess: Annotated[
        bool, typer.Option("--reprocess", help="Run rejected inputs through ingest again.")
    ] = False,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping", help="With --reprocess: the fixed CSV mapping profile.", show_default=False
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source.", show_default=False)
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
) -> None:
    """List inputs (--rejected) or re-process rejected ones after a fix (--reprocess)."""
    from referral_engine.events.csv_profiles import ProfileError
    from referral_engine.events.importer import list_rejected, reprocess_rejected
    from referral_engine.setup import require_schema
    from referral_engine.sources.native import reread_native
    from referral_engine.sources.reprocess import reread

    require_schema(state.db_url)
    if reprocess:
        try:
            summary = reprocess_rejected(
                state.db_url,
                source=source,
                mapping=mapping,
                readers={"poll": reread, "webhook": reread_native},
            )
        except ProfileError as exc:
            fail(str(exc))
        out.print(
            f"Re-processed {summary.total}: [green]{summary.accepted} accepted[/], "
            f"{summary.duplicate} duplicate, [red]{summary.rejected} still rejected[/]"
        )
        if summary.rejected:
            raise typer.Exit(2)
        return
    if not rejected:
        fail("say what to list: --rejected, or --reprocess to run them again")
    rows = list_rejected(state.db_url, source=source)
    if fmt == ReportFormat.json:
        out.print_json(json.dumps(rows))
        return
    from rich.table import Table

    table = Table(title=f"Rejected inputs ({len(rows)})")
    for column in ("id", "received", "source", "where", "event id", "reason"):
        table.add_column(column)
    for row in rows:
        where = f"{row['file_name']}:{row['line_no']}" if row["line_no"] else row["channel"]
        table.add_row(
            str(row["id"]),
            row["received_at"][:16],
            row["source"],
            where,
            row["event_id"] or "",
            row["reason"] or "",
        )
    out.print(table)


@app.command()
def demo(
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks of agency life to run.")] = 6,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Print the summary and exit.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated agency.")] = 7,
) -> None:
    """Run a simulated agency through weeks of the loop, print a summary, serve the app."""
    from referral_engine.demo import run_demo

    run_demo(state.db_url, weeks=weeks, seed=seed, console=out)
    if not no_serve:
        from referral_engine.setup import serve_app

        serve_app(state.db_url, host=host, port=port, worker=True)


app.add_typer(report_app, name="report")
app.add_typer(asks_app, name="asks")
app.add_typer(templates_app, name="templates")
app.add_typer(replies_app, name="replies")
app.add_typer(referrals_app, name="referrals")
app.add_typer(consent_app, name="consent")
app.add_typer(users_app, name="users")
app.add_typer(sources_app, name="sources")
app.add_typer(mail_app, name="mail")

secrets_app = typer.Typer(help="Secrets at rest: the key that encrypts them.")


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a new key for REFERRAL_ENCRYPTION_KEY (keep it outside the database, with
    the backups' keys: without it the stored secrets cannot be read)."""
    from referral_engine.agency import crypto

    typer.echo(crypto.new_key())


app.add_typer(secrets_app, name="secrets")


def run() -> None:
    app()
