"""`referral users …`: add a person (prints their invitation link), list the team,
send a new set-password link, deactivate. Bad input (an unknown role or person, an
address already on the team, an address that is not one) is a message on stderr and
exit code 2; nothing is changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.console import fail, out, state
from referral_engine.users.models import Role, User

users_app = typer.Typer(
    help="The team: add people, list them, send set-password links, deactivate.",
    no_args_is_help=True,
)


def _print_link(email: str, url: str, days: int, emailed: bool) -> None:
    out.print(f"Set-password link for {email} (works once, for {days} day(s)):")
    out.print(url, soft_wrap=True, highlight=False)
    if emailed:
        out.print("It is emailed to them when the worker next sends (`referral tick`).")
    else:
        out.print("No email provider is configured: give them this link yourself.")


@users_app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="Their email address (they sign in with it).")],
    role: Annotated[Role, typer.Option("--role", help="principal, producer, csr or admin.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Their name as colleagues see it.")
    ] = None,
    senior: Annotated[
        bool, typer.Option("--senior", help="A senior CSR (gets referral calls).")
    ] = False,
) -> None:
    """Add a person and print their invitation link (also emailed to them)."""
    from referral_engine.db import unit_of_work
    from referral_engine.events.schemas import normalized_email
    from referral_engine.setup import require_schema
    from referral_engine.users import people
    from referral_engine.users.invitations import LIFETIME

    try:
        address = normalized_email(email.strip())
    except ValueError as exc:
        fail(f"{email}: {exc}")
    require_schema(state.db_url)
    try:
        with unit_of_work(state.db_url) as session:
            added = people.add_person(
                session,
                email=address,
                name=(name or "").strip(),
                role=role,
                senior=senior,
                by=None,
                now=clock.now(),
            )
            link, shown = added.link, f"{added.user.name} <{added.user.email}>"
    except people.DuplicateUser as exc:
        fail(f"{exc}: `referral users reset {address}` sends a new link")
    out.print(f"Added {shown} as {role}.")
    assert link is not None
    _print_link(address, link.url, LIFETIME[link.purpose].days, link.emailed)


@users_app.command("list")
def list_() -> None:
    """The team: email, name, role, senior, active, password set, last sign-in."""
    from rich.table import Table

    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema
    from referral_engine.users import people

    require_schema(state.db_url)
    table = Table(title="Your team")
    table.add_column("email", no_wrap=True)
    for column in ("name", "role", "senior", "active", "password", "last sign-in"):
        table.add_column(column, no_wrap=column != "name")
    with unit_of_work(state.db_url) as session:
        for user in people.list_team(session):
            table.add_row(
                user.email,
                user.name,
                user.role,
                "yes" if user.senior else "",
                "yes" if user.active else "no",
                "set" if user.password_hash else "invited" if user.invited_at else "none",
                user.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if user.last_sign_in_at else "",
            )
    out.print(table)


@users_app.command("reset")
def reset(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
) -> None:
    """Print (and email) a new set-password link; older links stop working."""
    from referral_engine.users import people
    from referral_engine.users.invitations import LIFETIME

    with _person(email) as (session, user):
        try:
            link = people.send_reset(session, user=user, by=None, now=clock.now())
        except people.BadChange as exc:
            fail(str(exc))
        address = user.email
    _print_link(address, link.url, LIFETIME[link.purpose].days, link.emailed)


@users_app.command("deactivate")
def deactivate(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
) -> None:
    """End a person's access at once: their sessions, API tokens and links stop."""
    from referral_engine.users import people

    with _person(email) as (session, user):
        try:
            people.deactivate(session, user=user, by=None, now=clock.now())
        except people.NotAllowed as exc:
            fail(str(exc))
        address = user.email
    out.print(f"Deactivated {address}: their sessions and API tokens no longer work.")


@contextmanager
def _person(email: str) -> Iterator[tuple[Session, User]]:
    """A transaction and the person with that address, or exit 2."""
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema
    from referral_engine.users import service

    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        user = service.find_by_email(session, email=email.strip())
        if user is None:
            fail(f"nobody on the team has the address {email}")
        yield session, user
