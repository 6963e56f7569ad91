"""`referral asks …` and `referral templates …`: review from the terminal."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.console import fail, out, state
from referral_engine.users.models import User

asks_app = typer.Typer(help="Asks: list, explain, approve, defer, decline.", no_args_is_help=True)
templates_app = typer.Typer(help="Ask templates: list and save.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"


AS_HELP = "Email of the person reviewing (default: the first admin)."


def _reviewer(session: Session, email: str | None) -> User:
    """The person acting from the terminal: ``--as EMAIL``, else the first admin."""
    from sqlalchemy import select

    from referral_engine.users import service as users
    from referral_engine.users.models import MANAGERS

    if email:
        user = users.find_by_email(session, email=email.strip().lower())
        if user is None:
            fail(f"--as: no user {email}")
        return user
    admin = session.scalars(
        select(User).where(User.role.in_(MANAGERS)).order_by(User.id).limit(1)
    ).first()
    if admin is None:
        fail("no admin exists: run referral init first")
    return admin


def _review(action: str, ask_id: int, reviewer: str | None, **kwargs: object) -> None:
    from referral_engine.asks import review
    from referral_engine.asks import service as asks
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    try:
        with unit_of_work(state.db_url) as session:
            user = _reviewer(session, reviewer)
            use_case = getattr(review, f"{action}_ask")
            ask = use_case(session, ask_id=ask_id, user=user, now=clock.now(), **kwargs)
            shown = review.read(session, ask)
    except (asks.AskNotFound, asks.ReviewRefused, asks.ReviewForbidden, asks.DraftRefused) as exc:
        fail(str(exc))
    when = f" for {shown.scheduled_for.isoformat()}" if shown.scheduled_for else ""
    out.print(f"Ask {shown.id}: {shown.status}{when}")


@asks_app.command("list")
def list_asks(
    status: Annotated[str | None, typer.Option(help="Only asks with this status.")] = None,
    client: Annotated[
        str | None, typer.Option("--client", help="Only this client's asks (external id).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Asks with status, channel, time and the reasons that decided them."""
    from referral_engine.asks import review
    from referral_engine.asks.models import AskStatus
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema

    if status and status not in AskStatus.__members__:
        fail(f"--status: one of {', '.join(AskStatus.__members__)}")
    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        rows = review.listing(session, status=status, client_external_id=client, limit=limit)
    if fmt == Format.json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    table = Table(title=f"{len(rows)} ask(s)", title_justify="left")
    for column in ("id", "client", "trigger", "status", "channel", "scheduled for", "reasons"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            row.client_name,
            row.trigger,
            row.status,
            row.channel or "",
            row.scheduled_for.strftime("%Y-%m-%d %H:%M UTC") if row.scheduled_for else "",
            "; ".join(f"{r.rule}: {r.detail}" for r in row.reasons),
        )
    out.print(table)


@asks_app.command("show")
def show(
    ask_id: int,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """One ask: reasons, draft and timeline."""
    from referral_engine.asks import repository, review
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        ask = repository.get(session, ask_id)
        if ask is None:
            fail(f"no ask {ask_id}")
        shown = review.read(session, ask, timeline=True)
    if fmt == Format.json:
        out.print_json(shown.model_dump_json())
        return
    out.print(f"[bold]Ask {shown.id}[/] — {shown.client_name} — {shown.trigger} — {shown.status}")
    out.print(f"Moment: {shown.evidence} ({shown.moment_at.isoformat()})")
    if shown.scheduled_for:
        out.print(f"Scheduled for: {shown.scheduled_for.isoformat()} by {shown.channel}")
    for reason in shown.reasons:
        out.print(f"  • {reason.rule}: {reason.detail}", highlight=False)
    out.print("Draft:" + (f" [bold]{shown.draft.subject}[/]" if shown.draft.subject else ""))
    out.print(shown.draft.body, highlight=False)
    table = Table(title="Timeline", title_justify="left")
    for column in ("when (UTC)", "what", "rule", "detail", "who"):
        table.add_column(column)
    for entry in shown.timeline or []:
        table.add_row(
            entry.at.strftime("%Y-%m-%d %H:%M"),
            entry.kind + (f" → {entry.status}" if entry.status else ""),
            entry.rule or "",
            entry.detail,
            entry.actor or "",
        )
    out.print(table)


@asks_app.command("approve")
def approve(
    ask_id: int,
    reviewer: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None,
    subject: Annotated[str | None, typer.Option(help="Edited email subject.")] = None,
    body_file: Annotated[
        Path | None, typer.Option("--body-file", help="Edited message body (a text file).")
    ] = None,
) -> None:
    """Approve a pending ask, optionally with an edited draft."""

    body = None
    if body_file is not None:
        try:
            body = body_file.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"--body-file: cannot read {body_file}: {exc.strerror}")
    _review("approve", ask_id, reviewer, subject=subject, body=body)


@asks_app.command("defer")
def defer(
    ask_id: int,
    until: Annotated[str, typer.Option(help="When to send instead (ISO 8601).")],
    reviewer: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None,
) -> None:
    """Send later: at --until, or the first allowed send time after it."""

    try:
        instant = clock.parse_instant(until)
    except clock.BadInstant as exc:
        fail(f"--until: {exc}")
    _review("defer", ask_id, reviewer, until=instant)


@asks_app.command("decline")
def decline(
    ask_id: int,
    reason: Annotated[str, typer.Option(help="Why not to ask (kept on the timeline).")],
    reviewer: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None,
) -> None:
    """Do not ask; the reason is kept."""
    _review("decline", ask_id, reviewer, reason=reason)


@templates_app.command("list")
def list_templates() -> None:
    """Every template key, marked where the agency saved its own wording."""
    from referral_engine.asks import repository
    from referral_engine.asks.drafts import default_templates
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        custom = {t.key for t in repository.templates(session)}
    for key in sorted(set(default_templates()) | custom):
        out.print(f"{key}{'  (agency wording)' if key in custom else ''}", highlight=False)


@templates_app.command("set")
def set_template(
    key: str,
    file: Annotated[Path, typer.Argument(help="The template text (Jinja2, sandboxed).")],
) -> None:
    """Save the agency's wording for KEY; refused now if it uses an unknown variable."""
    from referral_engine.asks.compose import save_template
    from referral_engine.asks.drafts import TemplateError
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema

    try:
        source = file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{file}: {exc.strerror}")
    require_schema(state.db_url)
    try:
        with unit_of_work(state.db_url) as session:
            save_template(session, key=key, source=source, actor="cli", now=clock.now())
    except TemplateError as exc:
        fail(f"{file}: {exc}")
    out.print(f"Saved {key}")
