"""Revocation and its reverse: a client opts out of a channel by any reasonable means, and
START resumes texts only where consent was recorded before.

A revocation opts the client out at once, on every number and address of the agency; on
the channel they wrote from, every client record with that number or address stops too;
their open asks on that channel are suppressed with the reason in their own words. The one
confirmation text (:func:`confirm_revocation`) is recorded as a message to the client.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.asks import service as asks
from referral_engine.asks.models import AskStatus
from referral_engine.contacts import consent
from referral_engine.contacts.consent import ConsentStatement
from referral_engine.contacts.models import (
    Client,
    ConsentMethod,
    ConsentPurpose,
    ConsentStatus,
)
from referral_engine.decisions.rules import Reason
from referral_engine.delivery import messages as delivery_messages
from referral_engine.notifications import service as notifications
from referral_engine.replies import repository
from referral_engine.replies.opt_out import keyword, revoked_channels
from referral_engine.settings import AgencySection


def help_text(agency: AgencySection) -> str:
    """The answer to HELP (CTIA): who we are and how to reach a person."""
    reach = (
        f" For help call {agency.phone}."
        if agency.phone
        else f" For help email {agency.principal_email}."
        if agency.principal_email
        else ""
    )
    return (
        f"{agency.name}: messages from your agent about referrals.{reach} "
        "Reply STOP to opt out, START to opt back in."
    )


def confirmation_text(agency_name: str) -> str:
    """The one text after a revocation (47 CFR 64.1200(a)(12)): no marketing, no link."""
    return f"{agency_name}: you will get no more texts from us. Reply START to resume."


def confirm_revocation(session: Session, client: Client, *, to: str, now: datetime) -> str:
    """The confirmation text, recorded as a message to the client (kind
    ``opt_out_confirm``) that went out as the webhook's answer."""
    text = confirmation_text(load_settings(session).agency.name)
    delivery_messages.record_answer(
        session, client_id=client.id, kind="opt_out_confirm", to=to, body=text, now=now
    )
    return text


def revoke(
    session: Session,
    client: Client,
    *,
    said: str,
    arrived_on: str,
    sender: str,
    now: datetime,
) -> frozenset[str]:
    """Opt out of every channel the client's words cover (``revoked_channels``); on the
    channel they wrote from, every client record with that number or address stops.
    Returns the channels newly revoked (empty when they had opted out already)."""
    repository.lock_client(session, client_id=client.id)
    revoked = set()
    for channel in sorted(revoked_channels(said, arrived_on=arrived_on)):
        targets = [client]
        if channel == arrived_on:
            targets += [
                c
                for c in repository.clients_at(session, channel=channel, address=sender)
                if c.id != client.id
            ]
        for target in targets:
            if opt_out(
                session,
                target,
                channel=channel,
                method=ConsentMethod.reply,
                said=said[:2000],
                now=now,
                reason=_revocation_reason(said, channel=channel, arrived_on=arrived_on),
            ):
                revoked.add(channel)
    return frozenset(revoked)


def _revocation_reason(said: str, *, channel: str, arrived_on: str) -> str:
    label = "SMS" if channel == "sms" else "email"
    how = "a text" if arrived_on == "sms" else "an email"
    if keyword(said) == "opt_out":
        return f"{label}: the client replied {said.strip().upper()}"
    words = " ".join(said.split())
    words = words if len(words) <= 80 else words[:79] + "…"
    return f"{label}: the client asked to stop in {how}: “{words}”"


def opt_out(
    session: Session,
    client: Client,
    *,
    channel: str,
    method: ConsentMethod,
    said: str | None,
    now: datetime,
    staff_name: str | None = None,
    recorded_by_id: int | None = None,
    reason: str | None = None,
    source: str | None = None,
) -> bool:
    """A revocation, by any reasonable means: the client is opted out of ``channel`` at
    once (every number and address of the agency), the revocation is recorded with the
    client's own words, and their open asks on that channel stop. False when they were
    opted out already (nothing new is recorded)."""
    if consent.state_of(client, channel) == ConsentStatus.revoked:
        return False
    consent.record(
        session,
        client=client,
        statement=ConsentStatement(
            purpose=ConsentPurpose(channel),
            status=ConsentStatus.revoked,
            method=method,
            given_at=now,
            wording=said,
            staff_name=staff_name,
            source=source,
        ),
        recorded_by_id=recorded_by_id,
        now=now,
    )
    label = "SMS" if channel == "sms" else "email"
    why = reason or f"{label}: the client opted out ({method.replace('_', ' ')})"
    _stop_open_asks(session, client, channel=channel, reason=why, now=now)
    return True


def opt_out_email(
    session: Session,
    client: Client,
    *,
    now: datetime,
    said: str | None = None,
    method: ConsentMethod = ConsentMethod.reply,
) -> bool:
    """Unsubscribe: no more email to this client, starting now."""
    return opt_out(
        session,
        client,
        channel="email",
        method=method,
        said=said,
        now=now,
        reason="email: the client unsubscribed",
    )


def _stop_open_asks(
    session: Session, client: Client, *, channel: str, reason: str, now: datetime
) -> None:
    for ask in asks.open_asks(session, client_id=client.id):
        if ask.channel == channel:
            asks.set_status(
                session,
                ask,
                status=AskStatus.suppressed,
                reason=Reason("opted_out", reason),
                now=now,
            )


def opt_in(session: Session, client: Client, *, said: str, now: datetime) -> bool:
    """START, UNSTOP or YES: texts resume only where consent to them was recorded before;
    the word alone is not consent to a program the client never joined. False when it was
    not (nothing changes)."""
    history = consent.history(session, client_id=client.id)
    if not any(
        r.purpose == ConsentPurpose.sms and r.status == ConsentStatus.granted for r in history
    ):
        return False
    consent.record(
        session,
        client=client,
        statement=ConsentStatement(
            purpose=ConsentPurpose.sms,
            status=ConsentStatus.granted,
            method=ConsentMethod.reply,
            given_at=now,
            wording=said,
        ),
        now=now,
    )
    return True


def carrier_opt_out(session: Session, *, number: str, now: datetime) -> bool:
    """Twilio's error 21610: the number sent STOP to the carrier, so texts to it cannot go.
    Every client at that number is opted out of texts, with the report as the record, and
    their open text asks stop, and a person of the agency at that number gets no more
    notification texts. False when all the clients were opted out already."""
    revoked = False
    for client in repository.clients_at(session, channel="sms", address=number):
        revoked |= opt_out(
            session,
            client,
            channel="sms",
            method=ConsentMethod.carrier,
            said=None,
            now=now,
            source="Twilio error 21610 (the number opted out with the carrier)",
            reason="SMS: the carrier reports the number opted out (Twilio error 21610)",
        )
    notifications.stop_texts(session, number=number)
    return revoked
