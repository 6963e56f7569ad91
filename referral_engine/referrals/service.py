"""Referral use cases: capture (API, page, reply, event), work it, convert it on a bind.

Capture follows the agency workflow: the referral is saved first and tagged after
("Referral – New" and its source: "Referred by Client", "Source – Realtor", …,
"Source – External", then the caller's tags); a referral captured through the API or
an event is received at once (one drafted from a reply once a person confirms it: see
:mod:`referral_engine.referrals.confirmation`): it gets priority service (see
:mod:`referral_engine.referrals.priority`) and its referrer is thanked — a message or a
task, by source kind (see :mod:`referral_engine.referrals.messages`) — and every
capture schedules the quarter's recognition (see
:mod:`referral_engine.referrals.recognition`); a referral from a client gets the reward
program's reward, checked and sent to review (see :mod:`referral_engine.referrals.rewards`).
Every step is on the referral's timeline. Services only flush; the request or the worker
commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.db import memo, recall
from referral_engine.events.models import Event
from referral_engine.events.schemas import ProspectIn, ReferralIn, ReferredBy
from referral_engine.referrals import (
    confirmation,
    conversion,
    messages,
    partners,
    priority,
    recognition,
    repository,
    rewards,
    rules,
)
from referral_engine.referrals.confirmation import confirm
from referral_engine.referrals.models import Partner, Referral, ReferralStatus
from referral_engine.referrals.rules import OPEN, ReferralNotFound
from referral_engine.referrals.timeline import record
from referral_engine.referrals.updates import add_note, contact_task_done, update
from referral_engine.referrals.views import read, read_all
from referral_engine.users.actor import SYSTEM, Actor
from referral_engine.webhooks import changes as webhooks

__all__ = [
    "ProspectFacts",
    "add_note",
    "ReferralNotFound",
    "capture",
    "capture_from_client",
    "capture_from_event",
    "confirm",
    "contact_task_done",
    "convert_on_bind",
    "read",
    "read_all",
    "update",
]


@dataclass(frozen=True)
class ProspectFacts:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    company: str | None = None
    line_of_business: str | None = None
    postal_code: str | None = None

    @property
    def named(self) -> bool:
        return bool(self.first_name or self.last_name or self.company or self.email or self.mobile)

    @property
    def display(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        contact = ", ".join(p for p in (self.mobile, self.email) if p)
        who = name or self.company or "someone"
        return f"{who} ({contact})" if contact else who

    @classmethod
    def of(cls, prospect: ProspectIn) -> ProspectFacts:
        return cls(
            first_name=prospect.first_name,
            last_name=prospect.last_name,
            email=prospect.email,
            mobile=prospect.mobile,
            company=prospect.company,
            line_of_business=prospect.line_of_business,
            postal_code=prospect.postal_code,
        )


@dataclass(frozen=True)
class Source:
    """Who referred the prospect, resolved to a client or partner where possible."""

    kind: str
    external_id: str | None
    name: str | None
    client: Client | None = None
    partner: Partner | None = None


def _new_referral(
    prospect: ProspectFacts, source: Source, *, captured_via: str, now: datetime
) -> Referral:
    return Referral(
        status=ReferralStatus.new,
        captured_via=captured_via,
        needs_confirmation=False,
        first_name=prospect.first_name,
        last_name=prospect.last_name,
        email=prospect.email,
        mobile=prospect.mobile,
        company=prospect.company,
        line_of_business=prospect.line_of_business,
        postal_code=prospect.postal_code,
        referred_by_kind=source.kind,
        referred_by_client_id=source.client.id if source.client else None,
        referred_by_partner_id=source.partner.id if source.partner else None,
        referred_by_external_id=source.external_id,
        referred_by_name=source.name,
        tags=[],
        notes="",
        disputed=False,
        received_at=now,
        created_at=now,
        updated_at=now,
    )


def _save_then_tag(
    session: Session, referral: Referral, source: Source, *, tags: list[str], actor: Actor
) -> None:
    """Saved first (flushed, so it has its id), tagged after: the AMS workflow's order."""
    session.add(referral)
    session.flush()
    now = referral.created_at
    kind = source.kind + (f", {source.partner.kind}" if source.partner else "")
    record(
        session,
        referral,
        kind="captured",
        status=ReferralStatus.new,
        detail=f"captured ({referral.captured_via}): {priority.prospect_name(referral)}, "
        f"referred by {priority.referrer_name(referral)} ({kind})",
        now=now,
        actor=actor,
    )
    partner_kind = source.partner.kind if source.partner else None
    referral.tags = rules.merged(
        [rules.NEW, rules.source_tag(source.kind, partner_kind)], referral.tags, tags
    )
    record(session, referral, kind="tagged", detail=", ".join(referral.tags), now=now, actor=actor)
    webhooks.referral_created(session, referral, now=now)
    recognition.schedule(session, now=now)


def _source(
    session: Session,
    referred_by: ReferredBy,
    *,
    ask: Ask | None,
    referrer: Client | None,
    now: datetime,
    strict: bool,
) -> Source:
    """Resolve ``referred_by``; not ``strict`` (an event, which must not fail here), a
    client or partner source named by neither id nor name is kept unnamed."""
    external_id, name = referred_by.external_id, referred_by.name
    unnamed = not (external_id or name)
    if referred_by.kind == "partner" and unnamed and not strict:
        return Source("partner", None, None)
    if referred_by.kind == "partner":
        partner = partners.resolve(session, referred_by=referred_by, now=now)
        return Source("partner", partner.external_id or external_id, partner.name, partner=partner)
    if referred_by.kind == "external":
        return Source("external", external_id, name)
    client = referrer
    if client is None and external_id:
        client = repository.client_by_external_id(session, external_id=external_id)
    if client is None and unnamed and ask is not None:
        client = session.get(Client, ask.client_id)  # the client the ask went to
    if client is None and unnamed and strict:
        raise rules.InvalidReferral(
            "referred_by", "a client referral needs the client's external_id or name"
        )
    if client is None:
        return Source("client", external_id, name)  # kept by name, not resolved
    return Source("client", client.external_id or external_id, client.display_name, client=client)


def _ask(session: Session, ask_id: int | None, *, strict: bool) -> Ask | None:
    if ask_id is None:
        return None
    try:
        return asks.get(session, ask_id=ask_id)
    except asks.AskNotFound as exc:
        if strict:
            raise rules.InvalidReferral("ask_id", f"no ask {ask_id}") from exc
        return None


def capture(
    session: Session,
    *,
    referral_in: ReferralIn,
    actor: Actor,
    now: datetime,
    captured_via: str = "api",
    referrer: Client | None = None,
    prospect_client: Client | None = None,
    source_event_id: int | None = None,
    strict: bool = True,
    priority_service: bool = True,
) -> Referral:
    """Record a referral with its source and tags, then give it priority service and
    thank the referrer (:func:`messages.thank`).

    ``referrer`` is the referring client when the caller already knows them;
    ``prospect_client`` the client record of the prospect, whose stored details win over
    the ones given. ``strict`` (the API) raises :class:`rules.InvalidReferral` for an
    unknown ``ask_id`` and for a client or partner source with neither external_id nor
    name; not strict (an event) drops the unknown ask and keeps the source unnamed.
    """
    ask = _ask(session, referral_in.ask_id, strict=strict)
    source = _source(
        session, referral_in.referred_by, ask=ask, referrer=referrer, now=now, strict=strict
    )
    facts = ProspectFacts.of(referral_in.prospect)
    if prospect_client is not None:
        facts = _client_facts(prospect_client, fallback=facts)
    referral = _new_referral(facts, source, captured_via=captured_via, now=now)
    referral.line_of_business = confirmation.line_code(session, facts.line_of_business)
    referral.ask_id = ask.id if ask else None
    referral.notes = referral_in.notes
    referral.source_event_id = source_event_id
    referral.prospect_client_id = prospect_client.id if prospect_client else None
    _save_then_tag(session, referral, source, tags=referral_in.tags, actor=actor)
    if priority_service:
        confirmation.receive(session, referral, referrer=source.client, now=now, actor=actor)
    else:
        owner = priority.contact_owner(session, source.client)
        referral.owner_id = owner.id if owner else None
        messages.thank(
            session, referral, referrer=source.client, fallback=owner, now=now, actor=actor
        )
        rewards.on_received(session, referral, now=now, actor=actor)
    session.flush()
    return referral


def _client_facts(client: Client, *, fallback: ProspectFacts) -> ProspectFacts:
    return ProspectFacts(
        first_name=client.first_name or fallback.first_name,
        last_name=client.last_name or fallback.last_name,
        email=client.email or fallback.email,
        mobile=client.mobile or fallback.mobile,
        company=client.company or fallback.company,
        line_of_business=fallback.line_of_business,
        postal_code=client.postal_code or fallback.postal_code,
    )


def capture_from_client(
    session: Session,
    *,
    prospect: ProspectFacts,
    client: Client,
    ask: Ask | None,
    captured_via: str,
    now: datetime,
    notes: str = "",
    reply_id: int | None = None,
    needs_confirmation: bool = False,
) -> Referral:
    """A referral a client made (through the hosted page or a reply to an ask).

    Saved and tagged like any other. One the client confirmed (the hosted page) is
    received at once (:func:`confirmation.receive`: the 24-hour contact task for the
    client's producer, the referrer's thank-you); a draft read from a reply gets its
    owner (the same person) and waits for a person to confirm it
    (:func:`confirmation.confirm`), whose hot-reply task is already routed.
    """
    source = Source("client", client.external_id, client.display_name, client=client)
    referral = _new_referral(prospect, source, captured_via=captured_via, now=now)
    referral.needs_confirmation = needs_confirmation
    referral.received_at = None if needs_confirmation else now
    referral.ask_id = ask.id if ask else None
    referral.reply_id = reply_id
    referral.notes = notes
    draft = [rules.DRAFT] if needs_confirmation else []
    _save_then_tag(session, referral, source, tags=draft, actor=SYSTEM)
    if needs_confirmation:
        owner = priority.contact_owner(session, client)
        referral.owner_id = owner.id if owner else None
    else:
        confirmation.receive(session, referral, referrer=client, now=now, actor=SYSTEM)
    session.flush()
    return referral


def _names_client(referred_by: ReferredBy, client: Client) -> bool:
    """Does ``referred_by`` name the event's own client?"""
    if referred_by.kind != "client":
        return False
    if referred_by.external_id:
        return referred_by.external_id == client.external_id
    if referred_by.name:
        return " ".join(referred_by.name.split()).casefold() == client.display_name.casefold()
    return False


def capture_from_event(
    session: Session, *, event: Event, client: Client, now: datetime
) -> Referral | None:
    """The referral an event's ``referral`` field records; None when it has none.

    How the event is read:

    - ``referral.referred_by`` names the event's own client (kind ``client`` with the
      client's external_id, or with exactly the client's name): the client is the
      referrer and ``referral.prospect`` is the person they introduced — a new referral
      with priority service and a thank-you task.
    - Otherwise the event's client is the prospect: the AMS recorded who referred
      *them* (its "Referral Source" field). The client's stored details win over
      ``referral.prospect``, which may complete them (e.g. the line of business). When
      an open referral already matches this client (the conversion matching rules), it
      is linked to the event instead of capturing the same person twice; its original
      attribution is kept. When the event is itself a bind (``policy.bound`` new or
      rewrite), the referral is converted at once and gets no contact task.

    A ``"disputed": true`` in the field marks the attribution disputed. Idempotent per
    event: a second call returns the referral the first one made or linked.
    """
    data = event.payload.get("referral")
    if not data:
        return None
    existing = repository.by_source_event(session, event_id=event.id)
    if existing is not None:
        return existing
    referral_in = ReferralIn.model_validate(data)
    actor = Actor(name=f"{SYSTEM.name} (event {event.external_id} from {event.source})")
    if _names_client(referral_in.referred_by, client):
        referral = capture(
            session,
            referral_in=referral_in,
            actor=actor,
            now=now,
            captured_via="event",
            referrer=client,
            source_event_id=event.id,
            strict=False,
        )
    else:
        bind = conversion.is_bind(event)
        linked = _link_event(session, event=event, client=client, now=now, actor=actor)
        referral = linked or capture(
            session,
            referral_in=referral_in,
            actor=actor,
            now=now,
            captured_via="event",
            prospect_client=client,
            source_event_id=event.id,
            strict=False,
            priority_service=not bind,
        )
        if referral.line_of_business is None:
            referral.line_of_business = event.line_of_business
        if bind and referral.status in rules.OPEN:
            conversion.convert(session, referral, event=event, client=client, now=now)
    if data.get("disputed") is True and not referral.disputed:
        referral.disputed, referral.disputed_at, referral.disputed_by = True, now, event.source
        detail = f"attribution disputed by {event.source}"
        record(session, referral, kind="disputed", detail=detail, now=now, actor=actor)
    session.flush()
    return referral


def _link_event(
    session: Session, *, event: Event, client: Client, now: datetime, actor: Actor
) -> Referral | None:
    found = conversion.open_match(session, client=client)
    if found is None or found.source_event_id is not None:
        return None
    found.source_event_id = event.id
    found.prospect_client_id = client.id
    found.updated_at = now
    record(
        session,
        found,
        kind="event",
        detail=f"{event.source} recorded {client.display_name} as a referral"
        f" (event {event.external_id}); the attribution captured here is kept",
        now=now,
        actor=actor,
    )
    return found


KNOWN_REFERRALS = "referrals.known"


@dataclass
class KnownReferrals:
    """What :func:`prepare_conversions` read for a chunk of events: the referrals those
    events converted already (a chunk run again) and the open referrals their clients
    could match. Statuses are read from the rows in hand, so a referral one event of the
    chunk converts is not open for the next."""

    event_ids: set[int]
    converted_by: dict[int, Referral]
    open: list[Referral]


def prepare_conversions(
    session: Session, *, events: Sequence[Event], clients: Sequence[Client]
) -> list[Referral]:
    """Read for a chunk's binds, in two queries, what :func:`convert_on_bind` would read
    for each; returns the rows read (the caller keeps them for the transaction).

    Nothing is prepared when an event of the chunk records a referral: a referral it
    creates could match a later bind of the chunk, and only a fresh read sees it.
    """
    binds = [e for e in events if conversion.is_bind(e)]
    if not binds or any(e.payload.get("referral") for e in events):
        return []
    event_ids = {e.id for e in binds}
    converted = list(
        session.scalars(select(Referral).where(Referral.converted_event_id.in_(event_ids)))
    )
    conditions = [Referral.prospect_client_id.in_([c.id for c in clients])]
    for column, values in (
        (Referral.email, {c.email for c in clients if c.email}),
        (Referral.mobile, {c.mobile for c in clients if c.mobile}),
        (
            func.lower(Referral.last_name),
            {c.last_name.strip().lower() for c in clients if c.last_name},
        ),
    ):
        if values:
            conditions.append(column.in_(values))
    open_now = list(
        session.scalars(select(Referral).where(Referral.status.in_(OPEN), or_(*conditions)))
    )
    by_event: dict[int, Referral] = {}
    for referral in sorted(converted, key=lambda r: r.id):  # the first, as the query reads it
        if referral.converted_event_id is not None:
            by_event.setdefault(referral.converted_event_id, referral)
    memo(
        session,
        KNOWN_REFERRALS,
        lambda: KnownReferrals(event_ids=event_ids, converted_by=by_event, open=open_now),
    )
    return [*converted, *open_now]


def convert_on_bind(
    session: Session, *, event: Event, client: Client, now: datetime
) -> Referral | None:
    """A bind (``policy.bound``, new or rewrite) whose client matches an open referral
    converts it: status converted, converted_at, the policy number, premium and
    commission, the tag "Referral – Converted" and a timeline entry crediting the
    referrer. Matching: linked client, email, mobile, then first+last name in the same
    postal code (see :mod:`referral_engine.referrals.conversion`). Returns the converted
    referral, or None. Idempotent per event: called again it returns the same referral.
    """
    if not conversion.is_bind(event):
        return None
    known: KnownReferrals | None = recall(session, KNOWN_REFERRALS)
    if known is not None and event.id in known.event_ids:
        done, among = known.converted_by.get(event.id), known.open
    else:
        done, among = repository.by_converted_event(session, event_id=event.id), None
    if done is not None:
        return done
    referral = conversion.open_match(session, client=client, among=among)
    if referral is None:
        return None
    conversion.convert(session, referral, event=event, client=client, now=now)
    session.flush()
    return referral
