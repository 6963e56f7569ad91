"""Use cases of the decision area: what happens when an event arrives.

A warm moment becomes an ask (or a recorded reason not to ask); an issue, a complaint
or a consent change acts on the client's open asks; due work expires asks whose warmth
window has passed. Every path writes its reasons on the ask's timeline.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.asks import repository as asks_repository
from referral_engine.asks import service as asks
from referral_engine.asks.compose import draft_for
from referral_engine.asks.drafts import mentions_reward
from referral_engine.asks.models import COUNTED_STATUSES, OPEN_STATUSES, Ask, AskStatus
from referral_engine.contacts import service as contacts
from referral_engine.contacts.models import Client, ClientIssue
from referral_engine.db import memo, recall
from referral_engine.decisions import rules
from referral_engine.decisions.rules import ClientFacts, MomentFacts, Reason, Rulebook
from referral_engine.decisions.send_windows import client_window
from referral_engine.decisions.signals import Signal, moment_key, signal_for
from referral_engine.events.models import Event
from referral_engine.jobs import service as jobs
from referral_engine.referrals import service as referrals
from referral_engine.settings import AgencySettings
from referral_engine.users.models import User

EXPIRE_ASK = "asks.expire_ask"

DELAY_SETTING = {
    "policy.bound": "bind_delay_business_days",
    "policy.renewed": "renewal_delay_business_days",
    "feedback.received": "feedback_delay_business_days",
    "project.completed": "project_delay_business_days",
    "support.resolved": "support_delay_business_days",
    "account.upgraded": "upgrade_delay_business_days",
}


def on_event(session: Session, *, event_id: int, now: datetime) -> str | None:
    """React to a stored event; returns a short outcome name for the tick report."""
    event = session.get(Event, event_id)
    if event is None or event.client_id is None:
        return None
    client = session.get(Client, event.client_id)
    if client is None:
        return None
    referrals.capture_from_event(session, event=event, client=client, now=now)
    referrals.convert_on_bind(session, event=event, client=client, now=now)
    settings = load_settings(session)
    book = rulebook(session, settings)
    if event.type in ("issue.opened", "issue.resolved", "complaint.received", "policy.cancelled"):
        _known_for(session, client.id)  # these read afresh; a later event must too
    if event.type == "issue.opened":
        return _issue_opened(session, event, client, book, now)
    if event.type == "issue.resolved":
        return _issue_resolved(session, event, client, book, now)
    if event.type == "complaint.received":
        return _complaint(session, event, client, book, now)
    if event.type == "policy.cancelled":
        return _cancelled(session, event, client, now)
    # Any event may carry the client's consent (every event has a `client`): open asks
    # follow a change whichever event brought it.
    known = _known_for(session, client.id)
    rechecked = _recheck_consent(session, client, settings, book, now, known=known)
    if event.type == "client.updated":
        return rechecked
    signal = signal_for(event.type, event.payload)
    if signal is None:
        return f"event:{event.type}"
    if not signal.ready:
        return "signal:not_ready"
    return _new_ask(session, event, client, signal, settings, book, now, known=known)


def rulebook(session: Session, settings: AgencySettings) -> Rulebook:
    """The rules' view of ``settings`` (built once per transaction, like the settings)."""
    return memo(session, RULEBOOK, lambda: Rulebook.from_settings(settings))


RULEBOOK = "decisions.rulebook"
PREPARED = "decisions.prepared"
KNOWN = "decisions.known"


@dataclass
class KnownFacts:
    """What :func:`prepare_events` read of one client for a chunk of events: their
    issues and the asks that count against the frequency cap (open ones among them).

    Good for the client's first event of the chunk only (:func:`_known_for` hands it
    out once): an event changes what it was read from, and a later event of the same
    client reads afresh.
    """

    issues: list[ClientIssue] = field(default_factory=list)
    counted: list[Ask] = field(default_factory=list)
    by_moment: dict[str, Ask] = field(default_factory=dict)

    def open_asks(self) -> list[Ask]:
        return sorted((a for a in self.counted if a.status in OPEN_STATUSES), key=lambda a: a.id)

    def last_counted(self) -> Ask | None:
        counted = [a for a in self.counted if a.status in COUNTED_STATUSES]
        return max(counted, key=_asked_when, default=None)


def _asked_when(ask: Ask) -> tuple[datetime, int]:
    return (ask.sent_at or ask.scheduled_for or ask.created_at, ask.id)


def prepare_events(session: Session, *, event_ids: list[int]) -> None:
    """Read a chunk's events, their clients, producers, issues and asks (counted ones,
    and any for the same moments) in a few set-based queries, so that deciding each
    event finds them in the session instead of asking the database one at a time."""
    events = session.scalars(select(Event).where(Event.id.in_(event_ids))).all()
    client_ids = {e.client_id for e in events if e.client_id is not None}
    clients = session.scalars(select(Client).where(Client.id.in_(client_ids))).all()
    producer_ids = {c.producer_id for c in clients if c.producer_id is not None}
    producers = session.scalars(select(User).where(User.id.in_(producer_ids))).all()
    known: dict[int, KnownFacts] = {client_id: KnownFacts() for client_id in client_ids}
    issues = session.scalars(
        select(ClientIssue).where(ClientIssue.client_id.in_(client_ids)).order_by(ClientIssue.id)
    ).all()
    for issue in issues:
        known[issue.client_id].issues.append(issue)
    counted = session.scalars(
        select(Ask).where(Ask.client_id.in_(client_ids), Ask.status.in_(COUNTED_STATUSES))
    ).all()
    for ask in counted:
        known[ask.client_id].counted.append(ask)
    keys = [_moment_of(e) for e in events if e.client_id is not None]
    same_moment = session.scalars(select(Ask).where(Ask.moment_key.in_(keys))).all()
    for ask in same_moment:
        known[ask.client_id].by_moment[ask.moment_key] = ask
    facts: dict[int, KnownFacts] = memo(session, KNOWN, dict)
    facts.update(known)
    prepared = referrals.prepare_conversions(session, events=events, clients=clients)
    # The identity map holds rows weakly: keep them until the transaction ends.
    kept: list[object] = memo(session, PREPARED, list)
    kept.extend([*events, *clients, *producers, *issues, *counted, *same_moment, *prepared])


def _moment_of(event: Event) -> str:
    """The moment ``event`` (of a known client) reports: one ask per moment."""
    return moment_key(
        client_id=event.client_id or 0,
        event_type=event.type,
        payload=event.payload,
        source=event.source,
        external_id=event.external_id,
    )


def _known_for(session: Session, client_id: int) -> KnownFacts | None:
    """The client's prepared facts, once; None when not prepared or already used."""
    known: dict[int, KnownFacts] = recall(session, KNOWN) or {}
    return known.pop(client_id, None)


# -- a warm moment ---------------------------------------------------------------------


def client_facts(
    session: Session,
    client: Client,
    *,
    now: datetime,
    other_than: int | None = None,
    known: KnownFacts | None = None,
) -> ClientFacts:
    if known is not None and other_than is None:
        last = known.last_counted()
        issues = [i for i in known.issues if i.open_at(now)]
    else:
        session.flush()  # the queries below see this transaction's changes
        last = asks_repository.last_counted(session, client_id=client.id, other_than=other_than)
        issues = contacts.open_issues(session, client_id=client.id, at=now)
    return replace(
        ClientFacts.contact(client),
        sensitive=client.sensitive,
        last_complaint_at=client.last_complaint_at,
        open_issues=tuple(rules.OpenIssue(i.issue_id, i.kind, i.opened_at) for i in issues),
        last_ask_at=(last.sent_at or last.scheduled_for or last.created_at) if last else None,
        last_ask_id=last.id if last else None,
    )


def _new_ask(
    session: Session,
    event: Event,
    client: Client,
    signal: Signal,
    settings: AgencySettings,
    book: Rulebook,
    now: datetime,
    *,
    known: KnownFacts | None = None,
) -> str:
    key = _moment_of(event)
    if known is not None:
        existing = known.by_moment.get(key)
    else:
        existing = asks_repository.by_moment(session, moment_key=key)
    if existing is not None:
        asks.record(
            session,
            existing,
            kind="signal",
            detail=f"the same moment reported again by {event.source} ({event.external_id})",
            now=now,
        )
        return "ask:same_moment"
    policy = event.payload.get("policy") or {}
    referral = event.payload.get("referral") or {}
    moment = MomentFacts(
        trigger=event.type,
        moment_at=event.occurred_at,
        delay_business_days=getattr(settings.timing, DELAY_SETTING[event.type]),
        segment=event.segment,
        premium=policy.get("premium"),
        line_of_business=event.line_of_business,
        attribution_disputed=bool(referral.get("disputed")),
    )
    facts = client_facts(session, client, now=now, known=known)
    channel = rules.choose_channel(facts)
    window, basis = client_window(book, client)
    producer = session.get(User, client.producer_id) if client.producer_id else None
    draft = None
    if channel.channel:
        draft = draft_for(
            session,
            client=client,
            trigger=event.type,
            channel=channel.channel,
            segment=event.segment,
            line_of_business=event.line_of_business,
            producer=producer,
            producer_name=(event.payload.get("producer") or {}).get("name"),
            settings=settings,
            on=book.calendar.local_date(event.occurred_at),
        )
    decision = rules.decide(
        moment,
        facts,
        book,
        channel=channel,
        window=window,
        zone_basis=basis,
        mentions_reward=bool(draft and mentions_reward(f"{draft.subject or ''} {draft.body}")),
        now=now,
    )
    ask = Ask(
        client_id=client.id,
        trigger_event_id=event.id,
        moment_key=key,
        token=secrets.token_urlsafe(16),
        trigger=event.type,
        moment_at=event.occurred_at,
        evidence=signal.evidence,
        status=AskStatus(decision.status),
        channel=decision.channel,
        expires_at=decision.expires_at,
        producer_id=client.producer_id,
        policy_number=event.policy_number,
        line_of_business=event.line_of_business,
        segment=event.segment,
        premium=policy.get("premium"),
        draft_subject=draft.subject if draft else None,
        draft_body=draft.body if draft else "",
        draft_template=draft.template if draft else None,
        draft_edited=False,
        reasons=[],
        created_at=now,
        updated_at=now,
    )
    asks.take_decision(ask, decision, now=now)
    session.add(ask)
    session.flush()
    asks.record(
        session,
        ask,
        kind="signal",
        detail=f"{signal.evidence} (event {event.external_id} from {event.source})",
        now=now,
    )
    asks.apply_decision(session, ask, decision, now=now, cause="decided")
    _expire_later(session, ask)
    return f"ask:{decision.status}"


def _expire_later(session: Session, ask: Ask) -> None:
    if ask.status in (AskStatus.held, AskStatus.pending_review):
        jobs.enqueue(
            session,
            kind=EXPIRE_ASK,
            key=f"ask-expire:{ask.id}:{ask.expires_at.isoformat()}",
            run_at=ask.expires_at,
            payload={"ask_id": ask.id},
        )


def expire_ask(session: Session, *, ask_id: int, now: datetime) -> str | None:
    """Due at the end of an ask's warmth window: a held or unreviewed ask expires."""
    ask = asks_repository.get(session, ask_id, for_update=True)
    if ask is None or ask.status not in (AskStatus.held, AskStatus.pending_review):
        return None
    if now < ask.expires_at:
        return None
    waited = "held for an open issue" if ask.status == AskStatus.held else "never reviewed"
    reason = Reason(
        "warmth_expired",
        f"{waited} until the warmth window ended {ask.expires_at:%Y-%m-%d %H:%M} UTC",
    )
    asks.set_status(session, ask, status=AskStatus.expired, reason=reason, now=now)
    return "ask:expired"


# -- facts that act on open asks -------------------------------------------------------


def _issue_of(event: Event) -> tuple[str, str]:
    issue = event.payload.get("issue") or {}
    return str(issue.get("id") or event.external_id), str(issue.get("kind") or "service")


def _issue_opened(
    session: Session, event: Event, client: Client, book: Rulebook, now: datetime
) -> str:
    issue_id, kind = _issue_of(event)
    contacts.issue_opened(
        session, client_id=client.id, issue_id=issue_id, kind=kind, at=event.occurred_at
    )
    open_now = contacts.open_issues(session, client_id=client.id, at=now)
    if not open_now:
        return "issue:recorded"
    issues = tuple(rules.OpenIssue(i.issue_id, i.kind, i.opened_at) for i in open_now)
    held = 0
    for ask in asks.open_asks(session, client_id=client.id):
        if ask.status == AskStatus.held:
            continue
        if now >= ask.expires_at:
            # Past its warmth window already: it can only expire, not wait.
            late = Reason(
                "warmth_expired",
                f"an issue opened after the warmth window ended "
                f"{ask.expires_at:%Y-%m-%d %H:%M} UTC",
            )
            asks.set_status(session, ask, status=AskStatus.expired, reason=late, now=now)
            continue
        reason = rules.issue_reason(issues, ask.expires_at, book)
        asks.set_status(session, ask, status=AskStatus.held, reason=reason, now=now)
        _expire_later(session, ask)
        held += 1
    return f"issue:held_{held}" if held else "issue:recorded"


def _issue_resolved(
    session: Session, event: Event, client: Client, book: Rulebook, now: datetime
) -> str:
    issue_id, kind = _issue_of(event)
    contacts.issue_resolved(
        session, client_id=client.id, issue_id=issue_id, kind=kind, at=event.occurred_at
    )
    if contacts.open_issues(session, client_id=client.id, at=now):
        return "issue:still_open"
    released = 0
    for ask in asks.open_asks(session, client_id=client.id):
        if ask.status == AskStatus.held:
            _release(session, ask, client, book, now, issue_id=issue_id, kind=kind)
            released += 1
    return f"issue:released_{released}" if released else "issue:resolved"


def _release(
    session: Session,
    ask: Ask,
    client: Client,
    book: Rulebook,
    now: datetime,
    *,
    issue_id: str,
    kind: str,
) -> None:
    """An ask held for an issue goes out at the next valid send time, or expires."""
    window, basis = client_window(book, client)
    wanted = max(now, ask.scheduled_for) if ask.scheduled_for else now
    slot = window.next_slot(wanted)
    released = Reason("open_issue", f"{kind} {issue_id} resolved; released from hold")
    if slot >= ask.expires_at:
        asks.record(session, ask, kind="rule", rule="open_issue", detail=released.detail, now=now)
        end = Reason(
            "warmth_expired",
            f"released too late: the next send slot is after the warmth window ended "
            f"{ask.expires_at:%Y-%m-%d %H:%M} UTC",
        )
        asks.set_status(session, ask, status=AskStatus.expired, reason=end, now=now)
        return
    kept = [Reason(**r) for r in ask.reasons if r["rule"] not in ("open_issue", "send_hour")]
    reasons = [*kept, released, rules.send_hour_reason(window, slot, basis)]
    facts = client_facts(session, client, now=now, other_than=ask.id)
    trigger_event = session.get(Event, ask.trigger_event_id)
    referral = (trigger_event.payload.get("referral") or {}) if trigger_event else {}
    moment = MomentFacts(
        trigger=ask.trigger,
        moment_at=ask.moment_at,
        delay_business_days=0,
        segment=ask.segment,
        premium=ask.premium,
        line_of_business=ask.line_of_business,
        attribution_disputed=bool(referral.get("disputed")),
    )
    review = rules.review_reasons(
        moment,
        facts,
        book,
        mentions_reward=mentions_reward(f"{ask.draft_subject or ''} {ask.draft_body}"),
    )
    status = rules.PENDING_REVIEW if review else rules.SCHEDULED
    decision = rules.Decision(status, ask.channel, slot, ask.expires_at, (*reasons, *review))
    asks.apply_decision(session, ask, decision, now=now, cause="released")
    _expire_later(session, ask)


def _complaint(
    session: Session, event: Event, client: Client, book: Rulebook, now: datetime
) -> str:
    contacts.complaint_received(client, at=event.occurred_at)
    facts = client_facts(session, client, now=now)
    reason = rules.complaint_reason(facts, book, now)
    if reason is None:
        return "complaint:recorded"
    stopped = 0
    for ask in asks.open_asks(session, client_id=client.id):
        asks.set_status(session, ask, status=AskStatus.suppressed, reason=reason, now=now)
        stopped += 1
    return f"complaint:suppressed_{stopped}" if stopped else "complaint:recorded"


def _cancelled(session: Session, event: Event, client: Client, now: datetime) -> str:
    number = event.policy_number
    stopped = 0
    for ask in asks.open_asks(session, client_id=client.id):
        if number and ask.policy_number == number:
            reason = Reason("policy_cancelled", f"policy {number} was cancelled")
            asks.set_status(session, ask, status=AskStatus.suppressed, reason=reason, now=now)
            stopped += 1
    return f"cancelled:suppressed_{stopped}" if stopped else "event:policy.cancelled"


def _recheck_consent(
    session: Session,
    client: Client,
    settings: AgencySettings,
    book: Rulebook,
    now: datetime,
    *,
    known: KnownFacts | None = None,
) -> str:
    """A consent change: an open ask whose channel may no longer be used moves to the
    other usable channel (with a new draft), or is suppressed. Run for every event, so it
    reads only the client's row and their open asks: how a client may be reached is all
    the channel choice needs."""
    facts = rules.ClientFacts.contact(client)
    changed = 0
    open_now = known.open_asks() if known else asks.open_asks(session, client_id=client.id)
    for ask in open_now:
        if ask.channel and rules.channel_refusal(facts, ask.channel) is None:
            continue
        choice = rules.choose_channel(facts)
        changed += 1
        if choice.channel is None:
            reason = choice.reasons[0]
            asks.set_status(session, ask, status=AskStatus.suppressed, reason=reason, now=now)
            continue
        producer = session.get(User, ask.producer_id) if ask.producer_id else None
        draft = draft_for(
            session,
            client=client,
            trigger=ask.trigger,
            channel=choice.channel,
            segment=ask.segment,
            line_of_business=ask.line_of_business,
            producer=producer,
            producer_name=None,
            settings=settings,
            on=book.calendar.local_date(ask.moment_at),
        )
        asks.switch_channel(session, ask, channel=choice.channel, draft=draft, now=now)
        if choice.needs_consent and ask.status != AskStatus.pending_review:
            asks.set_status(
                session, ask, status=AskStatus.pending_review, reason=choice.reasons[0], now=now
            )
    return f"consent:changed_{changed}" if changed else "event:client.updated"


def recheck_consent(session: Session, *, client: Client, now: datetime) -> str:
    """Act on the client's open asks after their consent changed (a person recorded it)."""
    settings = load_settings(session)
    return _recheck_consent(session, client, settings, rulebook(session, settings), now)
