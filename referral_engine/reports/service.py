"""The weekly numbers: what the dashboard, the API and `referral report weekly` show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask, AskEntry
from referral_engine.events.models import Event, Outcome, RawInput
from referral_engine.referrals.models import Referral
from referral_engine.replies.models import Reply

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class BadWeek(ValueError):
    """A week that is not ISO 8601 ``YYYY-Www``."""


def parse_week(text: str) -> str:
    match = _WEEK.match(text.strip())
    if not match:
        raise BadWeek(f"not an ISO week like 2026-W48: {text!r}")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise BadWeek(f"{text!r}: year {year} has no week {week}") from exc
    return f"{year}-W{week:02d}"


def week_of(instant: datetime, zone: ZoneInfo | None = None) -> str:
    """The ISO week ``instant`` falls in, in the agency's zone (UTC when not given)."""
    year, week, _ = instant.astimezone(zone or UTC).date().isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the agency's zone, as UTC instants."""
    year, number = (int(x) for x in parse_week(week).split("-W"))
    monday = date.fromisocalendar(year, number, 1)
    start = datetime.combine(monday, time(0), zone or UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone or UTC)
    return start.astimezone(UTC), end.astimezone(UTC)


# The weekly four first (binds, asks sent, replies, referrals that became quotes and
# binds), then how asks were decided, then the health of the inputs.
HEADLINE = [
    ("binds_detected", "Binds detected"),
    ("asks_sent", "Asks sent"),
    ("replies_received", "Replies received"),
    ("referrals_received", "Referrals received"),
    ("referrals_quoted", "Referrals quoted"),
    ("referrals_converted", "Referrals converted"),
]
DETAIL = [
    ("asks_decided", "Asks decided"),
    ("asks_approved", "Asks approved"),
    ("asks_deferred", "Asks deferred"),
    ("asks_declined", "Asks declined"),
    ("asks_held", "Asks held"),
    ("asks_suppressed", "Asks suppressed"),
    ("asks_expired", "Asks expired"),
    ("asks_in_outbox", "Asks in the outbox"),
    ("hot_replies", "Hot replies"),
    ("complaints", "Complaints"),
    ("opt_outs", "Opt-outs"),
    ("events_received", "Events received"),
    ("inputs_rejected", "Inputs rejected"),
]
# Every metric with its label, in the order reports print them.
ALL_LABELS = HEADLINE + DETAIL


@dataclass
class WeeklyNumbers:
    week: str
    start: datetime
    end: datetime
    values: dict[str, int] = field(default_factory=dict)
    suppressed_by_reason: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.values.get(key, 0)

    def headline(self) -> list[tuple[str, str]]:
        return list(HEADLINE)

    def as_dict(self) -> dict[str, object]:
        return {
            "week": self.week,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            **{key: self.values.get(key, 0) for key, _ in ALL_LABELS},
            "suppressed_by_reason": dict(sorted(self.suppressed_by_reason.items())),
        }


def current_week(session: Session, now: datetime) -> str:
    return week_of(now, agency_zone(session))


def agency_zone(session: Session) -> ZoneInfo:
    from referral_engine.agency.service import load_settings

    return ZoneInfo(load_settings(session).agency.timezone)


def weekly(session: Session, *, week: str) -> WeeklyNumbers:
    """The week's numbers, Monday to Monday in the agency's zone."""
    start, end = week_bounds(week, agency_zone(session))
    numbers = WeeklyNumbers(week=parse_week(week), start=start, end=end)
    for measure in MEASURES:
        measure(session, numbers)
    return numbers


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def _events(session: Session, n: WeeklyNumbers) -> None:
    in_week = (Event.occurred_at >= n.start, Event.occurred_at < n.end)
    n.values["binds_detected"] = _count(
        session,
        select(func.count())
        .select_from(Event)
        .where(
            *in_week,
            Event.type == "policy.bound",
            func.coalesce(Event.transaction, "new").in_(("new", "rewrite")),
        ),
    )
    n.values["events_received"] = _count(
        session, select(func.count()).select_from(Event).where(*in_week)
    )
    complaints = _count(
        session,
        select(func.count()).select_from(Event).where(*in_week, Event.type == "complaint.received"),
    )
    n.values["complaints"] = n.values.get("complaints", 0) + complaints
    n.values["inputs_rejected"] = _count(
        session,
        select(func.count())
        .select_from(RawInput)
        .where(
            RawInput.received_at >= n.start,
            RawInput.received_at < n.end,
            RawInput.outcome == Outcome.rejected,
        ),
    )


def _asks(session: Session, n: WeeklyNumbers) -> None:
    n.values["asks_sent"] = _count(
        session,
        select(func.count()).select_from(Ask).where(Ask.sent_at >= n.start, Ask.sent_at < n.end),
    )
    in_week = (AskEntry.at >= n.start, AskEntry.at < n.end)
    reviews = session.execute(
        select(AskEntry.status, func.count())
        .where(*in_week, AskEntry.kind == "review", AskEntry.status.is_not(None))
        .group_by(AskEntry.status)
    ).tuples()
    for status, count in reviews:
        n.values[f"asks_{status}"] = count
    decisions = session.execute(
        select(AskEntry.status, AskEntry.rule, func.count())
        .where(*in_week, AskEntry.kind.in_(("decision", "status")))
        .group_by(AskEntry.status, AskEntry.rule)
    ).tuples()
    for status, rule, count in decisions:
        if status in ("held", "suppressed", "expired"):
            n.values[f"asks_{status}"] = n.values.get(f"asks_{status}", 0) + count
        if status in ("suppressed", "expired") and rule:
            n.suppressed_by_reason[rule] = n.suppressed_by_reason.get(rule, 0) + count
        if status == "outbox":
            n.values["asks_in_outbox"] = n.values.get("asks_in_outbox", 0) + count
        if status == "opted_out":
            n.values["opt_outs"] = n.values.get("opt_outs", 0) + count
    n.values["asks_decided"] = _count(
        session,
        select(func.count())
        .select_from(Ask)
        .where(Ask.created_at >= n.start, Ask.created_at < n.end),
    )


def _replies(session: Session, n: WeeklyNumbers) -> None:
    rows = session.execute(
        select(Reply.kind, func.count())
        .where(Reply.received_at >= n.start, Reply.received_at < n.end)
        .group_by(Reply.kind)
    ).tuples()
    kinds = dict(rows.all())
    n.values["replies_received"] = sum(v for k, v in kinds.items() if k != "auto_reply")
    n.values["hot_replies"] = kinds.get("hot", 0)
    n.values["complaints"] = n.values.get("complaints", 0) + kinds.get("complaint", 0)
    n.values["opt_outs"] = n.values.get("opt_outs", 0) + kinds.get("opt_out", 0)


def _referrals(session: Session, n: WeeklyNumbers) -> None:
    def between(column: Any) -> int:
        return _count(
            session,
            select(func.count()).select_from(Referral).where(column >= n.start, column < n.end),
        )

    n.values["referrals_received"] = between(Referral.created_at)
    n.values["referrals_quoted"] = between(Referral.quoted_at)
    n.values["referrals_converted"] = between(Referral.converted_at)


MEASURES = [_events, _asks, _replies, _referrals]


def recent_weeks(session: Session, *, until: str, count: int) -> list[WeeklyNumbers]:
    zone = agency_zone(session)
    start, _ = week_bounds(until, zone)
    weeks = [week_of(start - timedelta(days=7 * i), zone) for i in range(count)]
    return [weekly(session, week=w) for w in weeks]
