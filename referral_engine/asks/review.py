"""Review use cases: a person approves, defers or declines an ask, and reads it whole."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine import search
from referral_engine.agency.service import load_settings
from referral_engine.asks import repository
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask, AskEntry
from referral_engine.asks.schemas import AskRead, DraftRead, ReasonRead, TimelineEntryRead
from referral_engine.contacts.models import Client
from referral_engine.db import load_by_id
from referral_engine.decisions import rules
from referral_engine.decisions.rules import Rulebook
from referral_engine.events.models import Event
from referral_engine.users.models import User


def _context(session: Session, ask: Ask) -> tuple[Rulebook, Client]:
    client = session.get(Client, ask.client_id)
    assert client is not None  # a foreign key with ON DELETE CASCADE
    return Rulebook.from_settings(load_settings(session)), client


def approve_ask(
    session: Session,
    *,
    ask_id: int,
    user: User,
    now: datetime,
    subject: str | None = None,
    body: str | None = None,
) -> Ask:
    ask = asks.get(session, ask_id=ask_id)
    settings = load_settings(session)
    book, client = _context(session, ask)
    refusal = rules.channel_refusal(rules.ClientFacts.contact(client), ask.channel or "")
    if ask.channel and refusal is not None:
        # Approval is a person's decision to ask, not consent: the client's own word is.
        raise asks.ReviewRefused(
            f"{refusal.detail}; record the client's consent (when, how, the wording they "
            "saw) on their contact page, then approve"
            if refusal.detail == rules.UNRECORDED.get(ask.channel)
            else f"{refusal.detail}; this ask cannot be approved"
        )
    return asks.approve(
        session,
        ask,
        user=user,
        book=book,
        timezone=client.timezone,
        mobile=client.mobile,
        state=client.state,
        postal_code=client.postal_code,
        now=now,
        subject=subject,
        body=body,
        agency_name=settings.agency.name,
    )


def defer_ask(session: Session, *, ask_id: int, user: User, until: datetime, now: datetime) -> Ask:
    ask = asks.get(session, ask_id=ask_id)
    book, client = _context(session, ask)
    return asks.defer(
        session,
        ask,
        user=user,
        book=book,
        timezone=client.timezone,
        mobile=client.mobile,
        state=client.state,
        postal_code=client.postal_code,
        until=until,
        now=now,
        agency_zone=load_settings(session).agency.timezone,
    )


def decline_ask(session: Session, *, ask_id: int, user: User, reason: str, now: datetime) -> Ask:
    return asks.decline(
        session, asks.get(session, ask_id=ask_id), user=user, reason=reason, now=now
    )


def read_all(session: Session, rows: list[tuple[Ask, Client]]) -> list[AskRead]:
    """:func:`read` for a list of asks with their clients, in a fixed number of queries
    (the trigger events and producers of all of them at once)."""
    events = load_by_id(session, Event, {ask.trigger_event_id for ask, _ in rows})
    producers = load_by_id(session, User, {ask.producer_id for ask, _ in rows})
    shown = [read(session, ask, client=client) for ask, client in rows]
    del events, producers
    return shown


def read(
    session: Session, ask: Ask, *, client: Client | None = None, timeline: bool = False
) -> AskRead:
    """The ask as the API, the CLI and the pages show it."""
    client = client or session.get(Client, ask.client_id)
    event = session.get(Event, ask.trigger_event_id)
    producer = session.get(User, ask.producer_id) if ask.producer_id else None
    entries = repository.entries(session, ask_id=ask.id) if timeline else None
    return AskRead(
        id=ask.id,
        client_id=client.id if client else None,
        client_external_id=client.external_id if client else None,
        client_name=client.display_name if client else "",
        trigger_event_id=event.external_id if event else "",
        trigger_event_source=event.source if event else "",
        trigger=ask.trigger,
        moment_at=ask.moment_at,
        evidence=ask.evidence,
        status=ask.status,
        channel=ask.channel,
        scheduled_for=ask.scheduled_for,
        expires_at=ask.expires_at,
        sent_at=ask.sent_at,
        producer=producer.name if producer else None,
        policy_number=ask.policy_number,
        line_of_business=ask.line_of_business,
        segment=ask.segment,
        premium=ask.premium,
        reasons=[ReasonRead(**r) for r in ask.reasons],
        draft=DraftRead(
            subject=ask.draft_subject,
            body=ask.draft_body,
            template=ask.draft_template,
            edited=ask.draft_edited,
        ),
        timeline=[_entry(e) for e in entries] if entries is not None else None,
    )


def _entry(entry: AskEntry) -> TimelineEntryRead:
    return TimelineEntryRead(
        at=entry.at,
        kind=entry.kind,
        rule=entry.rule,
        status=entry.status,
        detail=entry.detail,
        actor=entry.actor,
    )


def listing(
    session: Session,
    *,
    status: str | None = None,
    client_external_id: str | None = None,
    producer_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    q: str = "",
) -> list[AskRead]:
    """Asks soonest first; ``q``: the list pages' search (names, emails, phone numbers in
    any format, policy numbers)."""
    found = search.parse(q, load_settings(session).agency.phone_region) if q.strip() else None
    rows = repository.listing(
        session,
        search=found,
        status=status,
        client_external_id=client_external_id,
        producer_id=producer_id,
        limit=limit,
        offset=offset,
    )
    return read_all(session, list(rows))
