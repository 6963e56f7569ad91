"""`referral referrals …`: the referrals from the terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from referral_engine import clock
from referral_engine.console import fail, out, state

referrals_app = typer.Typer(help="Referrals: list them, move them along.", no_args_is_help=True)


@referrals_app.command("list")
def list_referrals(
    status: Annotated[str | None, typer.Option(help="Only referrals with this status.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Referrals, newest first, with their source, status and tags."""
    from referral_engine.db import unit_of_work
    from referral_engine.referrals import repository, views
    from referral_engine.referrals.models import ReferralStatus
    from referral_engine.setup import require_schema

    if status and status not in ReferralStatus.__members__:
        fail(f"--status: one of {', '.join(ReferralStatus.__members__)}")
    if fmt not in ("table", "json"):
        fail("--format: table or json")
    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        rows = repository.listing(
            session,
            status=ReferralStatus(status) if status else None,
            referred_by_kind=None,
            limit=limit,
            offset=0,
        )
        shown = views.read_all(session, rows)
    if fmt == "json":
        out.print_json(json.dumps([r.model_dump(mode="json") for r in shown]))
        return
    table = Table(title=f"{len(shown)} referral(s)", title_justify="left")
    for column in ("id", "prospect", "referred by", "status", "tags"):
        table.add_column(column)
    for r in shown:
        name = " ".join(p for p in (r.prospect.first_name, r.prospect.last_name) if p)
        table.add_row(
            str(r.id),
            name or r.prospect.company or r.prospect.email or r.prospect.mobile or "",
            f"{r.referred_by.name or r.referred_by.kind} ({r.referred_by.kind})",
            r.status,
            ", ".join(r.tags),
        )
    out.print(table)


@referrals_app.command("set")
def set_status(
    referral_id: int,
    status: Annotated[str, typer.Argument(help="contacted, quoting, converted, not_converted")],
    reason: Annotated[
        str | None, typer.Option(help="With not_converted: price, timing, coverage, …")
    ] = None,
    policy_number: Annotated[str | None, typer.Option(help="With converted.")] = None,
    reviewer: Annotated[str | None, typer.Option("--as", help="Email of who did it.")] = None,
) -> None:
    """Move a referral along; not_converted needs --reason."""
    from pydantic import ValidationError

    from referral_engine.asks.cli import _reviewer
    from referral_engine.db import unit_of_work
    from referral_engine.referrals import rules, updates
    from referral_engine.referrals.schemas import ReferralUpdate
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    body: dict[str, object] = {"status": status}
    if reason:
        body["reason"] = reason
    if policy_number:
        body["policy_number"] = policy_number
    try:
        changes = ReferralUpdate.model_validate(body)
        with unit_of_work(state.db_url) as session:
            user = _reviewer(session, reviewer)
            updates.update(
                session,
                referral_id=referral_id,
                changes=changes,
                user=user,
                now=clock.now(),
            )
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    except (updates.ReferralNotFound, rules.InvalidReferral, rules.TransitionRefused) as exc:
        fail(str(exc))
    out.print(f"Referral {referral_id}: {status}")
