"""`referral consent …`: record a revocation a client made by phone, in person, by email
to a member of staff or by letter; show a client's consent and its history.

CLIENT is the client's external id, email address or mobile number (any format the
agency's phone region reads). Bad input (an unknown or ambiguous client, a missing staff
name) is a message on stderr and exit code 2.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.console import fail, out, state
from referral_engine.contacts.models import Client

consent_app = typer.Typer(
    help="Consent: record a revocation made by phone or in person; show a client's consent.",
    no_args_is_help=True,
)

CLIENT_HELP = "The client: external id, email address or mobile number."


class Channel(StrEnum):
    sms = "sms"
    email = "email"
    all = "all"


class How(StrEnum):
    phone = "phone"
    in_person = "in_person"
    email = "email"
    letter = "letter"


@consent_app.command("revoke")
def revoke(
    client: Annotated[str, typer.Argument(help=CLIENT_HELP, show_default=False)],
    channel: Annotated[Channel, typer.Option("--channel", help="Which messages stop.")],
    how: Annotated[How, typer.Option("--how", help="How the client told you.")],
    by: Annotated[
        str, typer.Option("--by", help="Name of the member of staff who heard or received it.")
    ],
    said: Annotated[
        str | None, typer.Option("--said", help="The client's words, as near as you have them.")
    ] = None,
) -> None:
    """Record a revocation the client made by phone, in person, by email or letter.

    The client is opted out of the channel at once, on every number and address of the
    agency, and their open asks there stop."""
    from referral_engine.contacts import consent
    from referral_engine.contacts.models import ConsentMethod, ConsentPurpose, ConsentStatus
    from referral_engine.contacts.schemas import ConsentCreate
    from referral_engine.db import unit_of_work
    from referral_engine.replies.statements import record_statement
    from referral_engine.setup import require_schema

    if not by.strip():
        fail("--by: the name of the member of staff who heard or received it")
    require_schema(state.db_url)
    channels = ("sms", "email") if channel == Channel.all else (channel.value,)
    now = clock.now()
    with unit_of_work(state.db_url) as session:
        found = _client(session, client)
        before = {c: consent.state_of(found, c) for c in channels}
        for purpose in channels:
            body = ConsentCreate(
                purpose=ConsentPurpose(purpose),
                status=ConsentStatus.revoked,
                method=ConsentMethod(how.value),
                wording=said,
                staff_name=by.strip(),
            )
            try:
                record_statement(session, client=found, body=body, user=None, now=now)
            except consent.BadConsent as exc:
                fail(str(exc))
        name = found.display_name
    for purpose in channels:
        label = "SMS" if purpose == "sms" else "email"
        if before[purpose] == ConsentStatus.revoked:
            out.print(f"{name}: {label} was revoked already; nothing new recorded")
        else:
            out.print(
                f"{name}: {label} revoked ({how.value.replace('_', ' ')}, "
                f"recorded for {by.strip()}); open {label} asks stopped"
            )


@consent_app.command("show")
def show(
    client: Annotated[str, typer.Argument(help=CLIENT_HELP, show_default=False)],
) -> None:
    """Show a client's consent per channel and every statement that proves it.

    Newest first: when, what, how, who and in their words."""
    from referral_engine.contacts import consent
    from referral_engine.contacts.models import ConsentPurpose
    from referral_engine.db import unit_of_work
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        found = _client(session, client)
        contact = " · ".join(p for p in (found.external_id, found.email, found.mobile) if p)
        out.print(f"{found.display_name} ({contact})", highlight=False)
        out.print(
            f"email: {consent.state_of(found, ConsentPurpose.email)} · "
            f"SMS: {consent.state_of(found, ConsentPurpose.sms)}",
            highlight=False,
        )
        out.print("History, newest first (when UTC · what · how · who · their words):")
        for row in consent.history(session, client_id=found.id):
            parts = [
                row.given_at.strftime("%Y-%m-%d %H:%M"),
                f"{row.purpose} {row.status}",
                row.method.replace("_", " "),
                row.staff_name or row.source or "",
                f"“{row.wording}”" if row.wording else row.note or "",
            ]
            out.print("  " + " · ".join(p for p in parts if p), highlight=False, soft_wrap=True)


def _client(session: Session, text: str) -> Client:
    """The one client CLIENT names; exits 2 when none or several match."""
    from referral_engine.agency.service import load_settings
    from referral_engine.contacts import repository
    from referral_engine.events.schemas import to_e164

    text = text.strip()
    if not text:
        fail("CLIENT: give an external id, email address or mobile number")
    mobiles = []
    if "@" not in text:
        try:
            mobiles = [to_e164(text, load_settings(session).agency.phone_region)]
        except ValueError:
            mobiles = []
    by_id = repository.clients_matching(session, external_ids=[text], emails=[], mobiles=[])
    found = by_id or repository.clients_matching(
        session, external_ids=[], emails=[text.lower()] if "@" in text else [], mobiles=mobiles
    )
    if not found:
        fail(f"no client with the external id, email or mobile {text!r}")
    if len(found) > 1:
        ids = ", ".join(c.external_id or f"#{c.id}" for c in found)
        fail(f"{text!r} matches {len(found)} clients ({ids}): give the external id")
    return found[0]
