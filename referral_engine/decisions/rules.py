"""The rules: whether, when and through which channel to ask, each leaving a reason.

Pure: every function takes plain facts and ``now`` and returns a decision with its
reasons. No database, clock or network here; :mod:`referral_engine.decisions.service`
gathers the facts and stores what is decided.

The order of the rules is the order of the questions a careful producer would ask:
is the moment still warm; has the client complained lately; may we reach them at all;
when would it go out (delay, send hour, quiet hours); did we ask them lately; is
something still open for them; should the owner look first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from referral_engine.compliance.states import ComplianceRules, compliance_rules
from referral_engine.decisions.calendar import BusinessCalendar, QuietHours, SendWindow
from referral_engine.decisions.send_windows import LegalWindows
from referral_engine.decisions.send_windows import window_for as window_for  # re-exported

# Statuses a decision can give (the ask's lifecycle continues in delivery).
SCHEDULED = "scheduled"
HELD = "held"
PENDING_REVIEW = "pending_review"
SUPPRESSED = "suppressed"
EXPIRED = "expired"


@dataclass(frozen=True)
class Reason:
    rule: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "detail": self.detail}


@dataclass(frozen=True)
class OpenIssue:
    issue_id: str
    kind: str
    opened_at: datetime | None


@dataclass(frozen=True)
class ClientFacts:
    """What the rules need to know about the client at decision time."""

    email: str | None = None
    mobile: str | None = None
    consent_email: bool | None = None
    consent_sms: bool | None = None
    email_opted_out: bool = False
    sms_opted_out: bool = False
    preferred_channel: str | None = None
    sensitive: bool = False
    last_complaint_at: datetime | None = None
    open_issues: tuple[OpenIssue, ...] = ()
    # The latest other ask that counts against the frequency cap, and when it went
    # (or is due to go) out.
    last_ask_at: datetime | None = None
    last_ask_id: int | None = None

    @classmethod
    def contact(cls, client: Any) -> ClientFacts:
        """Only how a client may be reached (addresses, consent, opt-outs, preference):
        enough for :func:`channel_refusal` and :func:`choose_channel`."""
        return cls(
            email=client.email,
            mobile=client.mobile,
            consent_email=client.consent_email,
            consent_sms=client.consent_sms,
            email_opted_out=client.email_opted_out,
            sms_opted_out=client.sms_opted_out,
            preferred_channel=client.preferred_channel,
        )


@dataclass(frozen=True)
class MomentFacts:
    trigger: str
    moment_at: datetime
    delay_business_days: int
    segment: str | None = None
    premium: float | None = None
    line_of_business: str | None = None
    attribution_disputed: bool = False


@dataclass(frozen=True)
class Rulebook:
    """The agency's settings as the rules read them."""

    calendar: BusinessCalendar
    send_hour: int
    quiet: QuietHours
    frequency_cap_days: int
    warmth_window_days: int
    recent_complaint_days: int
    premium_threshold: float
    commercial_requires_review: bool
    all_asks: bool = False  # [review] all_asks: the owner approves every ask
    max_messages_per_day: int = 1  # referral messages to one person in any rolling 24 hours
    compliance: ComplianceRules = field(default_factory=compliance_rules, repr=False)

    @classmethod
    def from_settings(cls, settings: Any) -> Rulebook:
        timing, review = settings.timing, settings.review
        return cls(
            calendar=BusinessCalendar.for_agency(
                settings.agency.timezone, settings.agency.holidays
            ),
            send_hour=timing.send_hour,
            quiet=QuietHours(timing.quiet_start_time, timing.quiet_end_time),
            frequency_cap_days=timing.frequency_cap_days,
            warmth_window_days=timing.warmth_window_days,
            recent_complaint_days=timing.recent_complaint_days,
            premium_threshold=review.premium_threshold,
            commercial_requires_review=review.commercial_requires_review,
            all_asks=review.all_asks,
            max_messages_per_day=timing.max_messages_per_day,
        )

    def window(self, recipient: Any, legal: LegalWindows | None = None) -> SendWindow:
        return SendWindow(self.calendar, recipient, self.send_hour, self.quiet, legal)


@dataclass(frozen=True)
class ChannelChoice:
    """The channel to ask by. ``needs_consent``: the only reachable channel has no consent
    recorded, so the ask may go out only after a person records it (never by itself)."""

    channel: str | None
    reasons: tuple[Reason, ...] = ()
    needs_consent: bool = False


@dataclass(frozen=True)
class Decision:
    status: str
    channel: str | None
    scheduled_for: datetime | None
    expires_at: datetime
    reasons: tuple[Reason, ...] = field(default_factory=tuple)


# -- channel and consent ---------------------------------------------------------------


UNRECORDED = {
    "email": "email: consent not recorded",
    "sms": "SMS: consent not recorded",
}


def channel_refusal(client: ClientFacts, channel: str) -> Reason | None:
    """Why ``channel`` cannot carry an ask to this client, or None when it can."""
    if channel == "email":
        if not client.email:
            return Reason("no_consent", "email: no address on file")
        if client.email_opted_out:
            return Reason("opted_out", "email: the client unsubscribed")
        if client.consent_email is False:
            return Reason("no_consent", "email: the client declined email")
        if client.consent_email is None:
            return Reason("no_consent", UNRECORDED["email"])
        return None
    if not client.mobile:
        return Reason("no_consent", "SMS: no mobile number on file")
    if client.sms_opted_out:
        return Reason("opted_out", "SMS: the client opted out (STOP)")
    if client.consent_sms is None:
        return Reason("no_consent", UNRECORDED["sms"])
    if client.consent_sms is False:
        return Reason("no_consent", "SMS: the client declined texts")
    return None


def choose_channel(client: ClientFacts) -> ChannelChoice:
    """The preferred channel if it may be used, else the other one, else none.

    Each channel needs recorded consent and no opt-out; consent unclear (nothing
    recorded) never sends by itself. When no channel may be used but one could once a
    person records the client's consent, that channel comes back with ``needs_consent``
    and the ``no_consent`` reason "consent not recorded".
    """
    preferred = client.preferred_channel if client.preferred_channel in ("email", "sms") else None
    order = [preferred] if preferred else []
    order += [c for c in ("sms", "email") if c not in order] if preferred else ["email", "sms"]
    refusals: list[Reason] = []
    for channel in order:
        refusal = channel_refusal(client, channel)
        if refusal is None:
            if refusals and preferred:
                note = f"{refusals[0].detail}; asking by {_label(channel)} instead"
                return ChannelChoice(channel, (Reason(refusals[0].rule, note),))
            return ChannelChoice(channel)
        refusals.append(refusal)
    for channel, refusal in zip(order, refusals, strict=True):
        if refusal.detail == UNRECORDED[channel]:
            detail = f"{refusal.detail}: a person must record the client's consent before it goes"
            return ChannelChoice(channel, (Reason("no_consent", detail),), needs_consent=True)
    rule = "opted_out" if any(r.rule == "opted_out" for r in refusals) else "no_consent"
    detail = "; ".join(r.detail for r in refusals) + " — no channel may carry an ask"
    return ChannelChoice(None, (Reason(rule, detail),))


def _label(channel: str) -> str:
    return "SMS" if channel == "sms" else "email"


# -- timing ----------------------------------------------------------------------------


def _day(d: date) -> str:
    return f"{d:%a} {d:%b} {d.day}"


def _skipped(calendar: BusinessCalendar, start: date, end: date) -> list[str]:
    """The days between ``start`` and ``end`` (exclusive) that were not business days."""
    names: list[str] = []
    weekend = 0
    day = start + timedelta(days=1)
    while day < end:
        holiday = calendar.holiday_name(day)
        if holiday:
            names.append(f"{_day(day)} {holiday}")
        elif day.weekday() >= 5:
            weekend += 1
        day += timedelta(days=1)
    if weekend:
        names.append(f"{weekend} weekend day{'s' if weekend > 1 else ''}")
    return names


def delay_reason(moment: MomentFacts, calendar: BusinessCalendar) -> Reason:
    start = calendar.local_date(moment.moment_at)
    target = calendar.add_business_days(start, moment.delay_business_days)
    skipped = _skipped(calendar, start, target)
    what = "the bind" if moment.trigger == "policy.bound" else "the moment"
    detail = (
        f"{moment.delay_business_days} business day{'s' if moment.delay_business_days != 1 else ''}"
        f" after {what} on {_day(start)} → {_day(target)}"
    )
    if skipped:
        detail += f" (skipped {', '.join(skipped)})"
    rule = "bind_delay" if moment.trigger == "policy.bound" else "delay"
    return Reason(rule, detail)


def send_hour_reason(window: SendWindow, at: datetime, basis: str) -> Reason:
    local = at.astimezone(window.recipient)
    whose = {
        "client": "the client's own time zone",
        "mobile": "the zone of the client's mobile number",
        "agency": "the agency's zone",
    }.get(basis, basis)
    return Reason(
        "send_hour",
        f"goes out {_day(local.date())} at {local:%H:%M} {window.recipient.key} ({whose})",
    )


def quiet_hours_reason(window: SendWindow, wanted: datetime, moved_to: datetime) -> Reason:
    """Why ``wanted`` moved: quiet hours, not a business day, or the law (the state named)."""
    was, moved = wanted.astimezone(window.recipient), moved_to.astimezone(window.recipient)
    why = window.why_not(wanted) or "is not allowed"
    return Reason(
        "quiet_hours",
        f"{_day(was.date())} {was:%H:%M} {window.recipient.key} {why}; "
        f"moved to {_day(moved.date())} {moved:%H:%M}",
    )


# -- the decision ----------------------------------------------------------------------


def review_reasons(
    moment: MomentFacts, client: ClientFacts, book: Rulebook, *, mentions_reward: bool
) -> list[Reason]:
    """Why the owner should see this ask before it goes out (empty: no review needed)."""
    reasons: list[Reason] = []
    if moment.premium is not None and moment.premium >= book.premium_threshold:
        reasons.append(
            Reason(
                "needs_review",
                f"premium ${moment.premium:,.0f} is at or above the "
                f"${book.premium_threshold:,.0f} review threshold",
            )
        )
    if moment.segment == "commercial" and book.commercial_requires_review:
        reasons.append(Reason("needs_review", "commercial account: the agency reviews these"))
    if client.sensitive:
        reasons.append(Reason("needs_review", "the client is marked sensitive"))
    if mentions_reward:
        reasons.append(
            Reason("needs_review", "the wording mentions a reward or commission (state rules vary)")
        )
    if moment.attribution_disputed:
        reasons.append(Reason("needs_review", "attribution of this relationship is disputed"))
    if book.all_asks:
        reasons.append(Reason("needs_review", "all_asks: the agency reviews every ask"))
    return reasons


def expires_at(moment: MomentFacts, book: Rulebook) -> datetime:
    """The UTC instant the moment's warmth window ends: ``warmth_window_days`` after it."""
    return moment.moment_at.astimezone(UTC) + timedelta(days=book.warmth_window_days)


def warmth_reason(moment: MomentFacts, book: Rulebook, now: datetime, *, why: str) -> Reason:
    end = expires_at(moment, book)
    local = book.calendar.local_date(moment.moment_at)
    return Reason(
        "warmth_expired",
        f"the moment on {_day(local)} {local.year} {why}; its {book.warmth_window_days}-day "
        f"warmth window ended {_day(book.calendar.local_date(end))}",
    )


def complaint_reason(client: ClientFacts, book: Rulebook, now: datetime) -> Reason | None:
    last = client.last_complaint_at
    if last is None or book.recent_complaint_days <= 0:
        return None
    if now - last >= timedelta(days=book.recent_complaint_days):
        return None
    return Reason(
        "recent_complaint",
        f"complaint received {_day(book.calendar.local_date(last))}, within the last "
        f"{book.recent_complaint_days} days",
    )


def cap_reason(client: ClientFacts, book: Rulebook, at: datetime) -> Reason | None:
    last = client.last_ask_at
    if last is None or book.frequency_cap_days <= 0:
        return None
    if abs(at - last) >= timedelta(days=book.frequency_cap_days):
        return None
    which = f"ask #{client.last_ask_id}" if client.last_ask_id else "another ask"
    until = book.calendar.local_date(last + timedelta(days=book.frequency_cap_days))
    return Reason(
        "frequency_cap",
        f"{which} to this client is dated {_day(book.calendar.local_date(last))}; no second ask "
        f"within {book.frequency_cap_days} days (not before {_day(until)} {until.year})",
    )


def issue_reason(issues: tuple[OpenIssue, ...], end: datetime, book: Rulebook) -> Reason:
    named = ", ".join(f"{i.kind} {i.issue_id}" for i in issues)
    return Reason(
        "open_issue",
        f"held while {named} {'is' if len(issues) == 1 else 'are'} open; goes out at the next "
        f"send slot once resolved, expires {_day(book.calendar.local_date(end))} if not",
    )


def decide(
    moment: MomentFacts,
    client: ClientFacts,
    book: Rulebook,
    *,
    channel: ChannelChoice,
    window: SendWindow,
    zone_basis: str,
    mentions_reward: bool,
    now: datetime,
) -> Decision:
    """Decide a new ask for a ready moment: its status, channel, time and reasons."""
    end = expires_at(moment, book)
    if now >= end:
        age = (now - moment.moment_at).days
        why = f"was {age} days old when decided (a backfill): recorded, never asked"
        return Decision(EXPIRED, None, None, end, (warmth_reason(moment, book, now, why=why),))
    complaint = complaint_reason(client, book, now)
    if complaint:
        return Decision(SUPPRESSED, None, None, end, (complaint,))
    if channel.channel is None:
        return Decision(SUPPRESSED, None, None, end, channel.reasons)

    reasons: list[Reason] = [*channel.reasons, delay_reason(moment, book.calendar)]
    slot = window.first_slot_after(moment.moment_at, moment.delay_business_days)
    if slot <= now:
        late = window.next_slot(now)
        reasons.append(Reason("send_hour", "decided after its slot passed; next send slot instead"))
        slot = late
    reasons.append(send_hour_reason(window, slot, zone_basis))
    if (wanted := window.moved_from(slot)) is not None:
        reasons.append(quiet_hours_reason(window, wanted, slot))

    capped = cap_reason(client, book, slot)
    if capped:
        return Decision(SUPPRESSED, channel.channel, None, end, (capped,))
    if slot >= end:
        why = f"could not go out before {_day(book.calendar.local_date(slot))}"
        return Decision(
            EXPIRED,
            channel.channel,
            None,
            end,
            (*reasons, warmth_reason(moment, book, now, why=why)),
        )
    if client.open_issues:
        reasons.append(issue_reason(client.open_issues, end, book))
        return Decision(HELD, channel.channel, slot, end, tuple(reasons))
    review = review_reasons(moment, client, book, mentions_reward=mentions_reward)
    if channel.needs_consent:
        return Decision(PENDING_REVIEW, channel.channel, slot, end, (*reasons, *review))
    if review:
        return Decision(PENDING_REVIEW, channel.channel, slot, end, (*reasons, *review))
    return Decision(SCHEDULED, channel.channel, slot, end, tuple(reasons))
