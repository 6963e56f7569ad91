"""The ask lifecycle: create from a decision, change with later facts, review by a person.

Services only flush; the request or the worker commits. Every change to an ask writes
a timeline entry saying what changed, why, who did it and when.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from referral_engine.asks import checks, repository
from referral_engine.asks.checks import DraftProblem
from referral_engine.asks.drafts import OPT_OUT_LINE, Draft, first_text_footer
from referral_engine.asks.models import OPEN_STATUSES, Ask, AskEntry, AskStatus
from referral_engine.clock import wall_clock
from referral_engine.decisions.rules import Decision, Reason, Rulebook, quiet_hours_reason
from referral_engine.decisions.rules import window_for as _window_for
from referral_engine.users.actor import SYSTEM, Actor
from referral_engine.users.models import Role, User, manages
from referral_engine.webhooks import changes as webhooks


class AskNotFound(LookupError):
    """No ask with that id."""


class ReviewRefused(ValueError):
    """A review action that does not fit the ask's status (HTTP 409, CLI exit 2)."""


class ReviewForbidden(PermissionError):
    """The person may not review this ask (HTTP 403, CLI exit 2)."""


class DraftRefused(ValueError):
    """An edited draft that cannot go out as written (HTTP 422, CLI exit 2). ``problems``
    are (field, plain words) pairs, a field as the API names it (``draft.body``); the
    message is ``FIELD: words; …``."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        field, _, words = message.partition(": ")
        self.problems = problems or [(field, words or message)]

    @classmethod
    def of(cls, problems: list[DraftProblem]) -> DraftRefused:
        pairs = [(f"draft.{p.field}", p.message) for p in problems]
        return cls("; ".join(f"{f}: {m}" for f, m in pairs), pairs)


def record(
    session: Session,
    ask: Ask,
    *,
    kind: str,
    detail: str,
    now: datetime,
    rule: str | None = None,
    status: str | None = None,
    actor: Actor = SYSTEM,
) -> None:
    session.add(
        AskEntry(
            ask_id=ask.id,
            at=now,
            kind=kind,
            rule=rule,
            detail=detail,
            status=status,
            actor_id=actor.user_id,
            actor=actor.name,
        )
    )


def _deciding_rule(status: str, reasons: Iterable[Reason]) -> str | None:
    wanted = {
        AskStatus.held: ("open_issue",),
        AskStatus.pending_review: ("needs_review",),
        AskStatus.expired: ("warmth_expired",),
        AskStatus.suppressed: (
            "recent_complaint",
            "frequency_cap",
            "no_consent",
            "opted_out",
            "policy_cancelled",
        ),
    }.get(AskStatus(status), ())
    for reason in reasons:
        if reason.rule in wanted:
            return reason.rule
    return None


def apply_decision(
    session: Session, ask: Ask, decision: Decision, *, now: datetime, cause: str
) -> None:
    """Set the ask to ``decision`` and write each reason and the outcome on its timeline."""
    take_decision(ask, decision, now=now)
    for reason in decision.reasons:
        record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
    when = f" for {decision.scheduled_for:%Y-%m-%d %H:%M} UTC" if decision.scheduled_for else ""
    record(
        session,
        ask,
        kind="decision",
        status=decision.status,
        rule=_deciding_rule(decision.status, decision.reasons),
        detail=f"{cause}: {decision.status.replace('_', ' ')}{when}",
        now=now,
    )
    webhooks.ask_decided(session, ask, now=now)


def take_decision(ask: Ask, decision: Decision, *, now: datetime) -> None:
    """Set the ask's status, channel, times and reasons to ``decision`` (no timeline)."""
    ask.status = AskStatus(decision.status)
    ask.channel = decision.channel or ask.channel
    ask.scheduled_for = decision.scheduled_for
    ask.expires_at = decision.expires_at
    ask.reasons = [r.as_dict() for r in decision.reasons]
    ask.updated_at = now


def set_status(
    session: Session,
    ask: Ask,
    *,
    status: AskStatus,
    reason: Reason,
    now: datetime,
    scheduled_for: datetime | None = None,
    keep_reasons: bool = True,
) -> None:
    """Move an open ask to ``status`` for one new reason (a later event, a release)."""
    reasons = [Reason(**r) for r in ask.reasons] if keep_reasons else []
    reasons = [r for r in reasons if r.rule != reason.rule] + [reason]
    decision = Decision(
        status=status,
        channel=ask.channel,
        scheduled_for=scheduled_for if scheduled_for is not None else ask.scheduled_for,
        expires_at=ask.expires_at,
        reasons=tuple(reasons),
    )
    ask.reasons = [r.as_dict() for r in decision.reasons]
    ask.status = status
    ask.scheduled_for = decision.scheduled_for
    ask.updated_at = now
    record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
    record(
        session,
        ask,
        kind="decision",
        status=status,
        rule=reason.rule,
        detail=f"{status.replace('_', ' ')}",
        now=now,
    )
    webhooks.ask_decided(session, ask, now=now)


def open_asks(session: Session, *, client_id: int) -> list[Ask]:
    session.flush()  # the query sees this transaction's changes (timeline entries wait)
    return repository.open_for_client(session, client_id=client_id)


def get(session: Session, *, ask_id: int) -> Ask:
    ask = repository.get(session, ask_id, for_update=True)
    if ask is None:
        raise AskNotFound(f"no ask {ask_id}")
    return ask


# -- review ----------------------------------------------------------------------------


def may_review(user: User, ask: Ask) -> bool:
    """Principals and admins review any ask; a producer their own (and unassigned) asks;
    a CSR none."""
    if manages(user):
        return True
    return user.role == Role.producer and ask.producer_id in (None, user.id)


def _may_review(user: User, ask: Ask) -> None:
    if may_review(user, ask):
        return
    raise ReviewForbidden(
        f"{user.email} may not review ask {ask.id}: "
        "it belongs to its producer, a principal or an admin"
    )


def _require(ask: Ask, action: str, allowed: Iterable[AskStatus]) -> None:
    allowed = tuple(allowed)
    if ask.status not in allowed:
        names = " or ".join(s.value for s in allowed)
        raise ReviewRefused(
            f"ask {ask.id} is {AskStatus(ask.status).value}; only {names} asks can be {action}"
        )


def as_sent(
    ask: Ask, *, subject: str | None, body: str, agency_name: str = ""
) -> tuple[str, str | None]:
    """An edited draft (body, subject) as it would go out: line breaks as LF, trimmed; an
    email keeps the stored subject when none is given; a first text keeps its footer."""
    body = body.replace("\r\n", "\n").strip()
    if ask.channel == "email":
        return body, (subject if subject is not None else ask.draft_subject or "").strip()
    # A first text keeps its footer (who is texting, rates, STOP and HELP), however the
    # reviewer edits the rest: written again for the new body, so the agency is named.
    first_text = any(OPT_OUT_LINE in line for line in (ask.draft_body or "").splitlines())
    if body and first_text and OPT_OUT_LINE not in body:
        body = f"{body}\n{first_text_footer(agency_name, body)}"
    return body, None


def edit_draft(
    session: Session,
    ask: Ask,
    *,
    subject: str | None,
    body: str,
    actor: Actor,
    now: datetime,
    agency_name: str = "",
) -> None:
    body, subject = as_sent(ask, subject=subject, body=body, agency_name=agency_name)
    problems = checks.check_draft(channel=ask.channel or "sms", subject=subject, body=body)
    if problems:
        raise DraftRefused.of(problems)
    if body == ask.draft_body and subject == ask.draft_subject:
        return
    ask.draft_subject, ask.draft_body, ask.draft_edited = subject, body, True
    record(session, ask, kind="review", detail="edited the draft", actor=actor, now=now)


def approve(
    session: Session,
    ask: Ask,
    *,
    user: User,
    book: Rulebook,
    timezone: str | None,
    mobile: str | None,
    now: datetime,
    subject: str | None = None,
    body: str | None = None,
    state: str | None = None,
    postal_code: str | None = None,
    agency_name: str = "",
) -> Ask:
    """Approve a pending ask (optionally with an edited draft); it goes out at its slot,
    or at the next valid send slot if that has passed."""
    _may_review(user, ask)
    _require(ask, "approved", (AskStatus.pending_review,))
    actor = Actor.of(user)
    if body is not None:
        edit_draft(
            session,
            ask,
            subject=subject,
            body=body,
            actor=actor,
            now=now,
            agency_name=agency_name,
        )
    window, _ = _window_for(
        book, timezone=timezone, mobile=mobile, state=state, postal_code=postal_code
    )
    slot = ask.scheduled_for
    if slot is None or slot <= now:
        slot = window.next_slot(now)
    record(session, ask, kind="review", status="approved", detail="approved", actor=actor, now=now)
    _schedule(session, ask, slot=slot, now=now, detail="approved")
    webhooks.ask_decided(session, ask, now=now, by=actor.name)
    return ask


def defer(
    session: Session,
    ask: Ask,
    *,
    user: User,
    book: Rulebook,
    timezone: str | None,
    mobile: str | None,
    until: datetime,
    now: datetime,
    state: str | None = None,
    postal_code: str | None = None,
    agency_zone: str | None = None,
) -> Ask:
    """Send later: the ask is scheduled for ``until`` (moved to the first allowed instant
    when ``until`` falls in quiet hours, on a non-business day or outside the law's hours
    for where the client is). The timeline says the instant in UTC and, given
    ``agency_zone``, on the agency's clock too."""
    _may_review(user, ask)
    _require(ask, "deferred", (AskStatus.pending_review, AskStatus.scheduled))
    if until <= now:
        raise DraftRefused("until: a deferral must be in the future")
    window, _ = _window_for(
        book, timezone=timezone, mobile=mobile, state=state, postal_code=postal_code
    )
    slot = window.earliest_allowed(until)
    record(
        session,
        ask,
        kind="review",
        status="deferred",
        detail=_deferred_until(until, agency_zone),
        actor=Actor.of(user),
        now=now,
    )
    if slot != until:
        reason = quiet_hours_reason(window, until, slot)
        record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
        ask.reasons = [*ask.reasons, reason.as_dict()]
    _schedule(session, ask, slot=slot, now=now, detail="deferred")
    webhooks.ask_decided(session, ask, now=now, by=Actor.of(user).name)
    return ask


def _deferred_until(until: datetime, agency_zone: str | None) -> str:
    said = f"deferred until {until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"{said} ({wall_clock(until, agency_zone)})" if agency_zone else said


def decline(session: Session, ask: Ask, *, user: User, reason: str, now: datetime) -> Ask:
    _may_review(user, ask)
    _require(ask, "declined", OPEN_STATUSES)
    reason = reason.strip()
    if not reason:
        raise DraftRefused("reason: say why the ask is declined")
    ask.status = AskStatus.declined
    ask.updated_at = now
    record(
        session,
        ask,
        kind="review",
        status="declined",
        detail=f"declined: {reason}",
        actor=Actor.of(user),
        now=now,
    )
    webhooks.ask_decided(session, ask, now=now, by=Actor.of(user).name)
    return ask


def release_from_outbox(
    session: Session, ask: Ask, *, slot: datetime, reason: Reason, now: datetime
) -> None:
    """An ask kept in the outbox goes back to the sender: ``scheduled`` for ``slot``, with
    ``reason`` (why it may leave now) on its reasons and timeline."""
    _require(ask, "released from the outbox", (AskStatus.outbox,))
    ask.reasons = [*(r for r in ask.reasons if r["rule"] != reason.rule), reason.as_dict()]
    record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
    _schedule(session, ask, slot=slot, now=now, detail="released from the outbox")
    webhooks.ask_decided(session, ask, now=now)


# Asks a person may send by hand and mark sent: waiting in the outbox, or scheduled (sent
# by hand before its slot, so the sender must not send it again).
HAND_SENDABLE = (AskStatus.outbox, AskStatus.scheduled)


def may_mark_sent(user: User, ask: Ask) -> bool:
    """Principals, admins and CSRs (they log outreach), and the ask's own producer."""
    return manages(user) or user.role == Role.csr or ask.producer_id in (None, user.id)


def mark_sent(session: Session, ask: Ask, *, user: User, how: str, now: datetime) -> Ask:
    """A person sent the ask themselves (from their phone or mailbox): it counts as sent,
    ``how`` is kept on its timeline, and the sender never sends it."""
    if not may_mark_sent(user, ask):
        raise ReviewForbidden(
            f"{user.email} may not mark ask {ask.id} sent: it belongs to its producer, "
            "a CSR, a principal or an admin"
        )
    _require(ask, "marked sent", HAND_SENDABLE)
    how = " ".join(how.split())
    if not how:
        raise DraftRefused("how: say how it was sent, e.g. sent by hand from my phone")
    ask.status = AskStatus.sent
    ask.sent_at = now
    ask.updated_at = now
    record(
        session,
        ask,
        kind="status",
        status=AskStatus.sent,
        detail=f"marked sent: {how}",
        actor=Actor.of(user),
        now=now,
    )
    webhooks.ask_sent(session, ask, now=now, by=Actor.of(user).name)
    return ask


def _schedule(session: Session, ask: Ask, *, slot: datetime, now: datetime, detail: str) -> None:
    ask.status = AskStatus.scheduled
    ask.scheduled_for = slot
    ask.updated_at = now
    record(
        session,
        ask,
        kind="schedule",
        status=AskStatus.scheduled,
        detail=f"{detail}: scheduled for {slot:%Y-%m-%d %H:%M} UTC",
        now=now,
    )


def switch_channel(
    session: Session, ask: Ask, *, channel: str, draft: Draft, now: datetime
) -> None:
    """Carry an open ask by another channel (consent changed), with a draft written for it."""
    before = ask.channel
    ask.channel = channel
    ask.draft_subject, ask.draft_body, ask.draft_template = (
        draft.subject,
        draft.body,
        draft.template,
    )
    ask.draft_edited = False
    ask.updated_at = now
    record(
        session,
        ask,
        kind="rule",
        rule="no_consent",
        detail=f"{before or 'no channel'} may no longer be used; asking by {channel} instead",
        now=now,
    )
