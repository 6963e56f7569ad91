"""The weekly numbers: what the dashboard, the API and `referral report weekly` show."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column, select, union_all
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
# The metrics every week has, 0 or not; the others (how asks were decided) appear in
# ``WeeklyNumbers.values`` only in a week that had some.
ALWAYS = (
    "binds_detected",
    "events_received",
    "complaints",
    "inputs_rejected",
    "asks_sent",
    "asks_decided",
    "replies_received",
    "hot_replies",
    "opt_outs",
    "referrals_received",
    "referrals_quoted",
    "referrals_converted",
)


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
    return weeks_numbers(session, [week])[0]


def weeks_numbers(session: Session, weeks: list[str]) -> list[WeeklyNumbers]:
    """The numbers of each of ``weeks``, in the order given, each the same as
    :func:`weekly` of that week: counted for all the weeks at once, in a fixed number
    of statements whatever the number of weeks."""
    zone = agency_zone(session)
    numbers = [
        WeeklyNumbers(parse_week(w), *week_bounds(w, zone), values=dict.fromkeys(ALWAYS, 0))
        for w in weeks
    ]
    if numbers:
        for measure in MEASURES:
            measure(session, numbers)
    return numbers


_WEEKS_PER_STATEMENT = 100  # SQLite allows 500 terms in a compound SELECT


def _counts(
    session: Session, column: Any, weeks: list[WeeklyNumbers], *where: Any, by: tuple[Any, ...] = ()
) -> Iterator[tuple[Any, ...]]:
    """(week, *by, count) for the rows whose ``column`` falls in each of ``weeks`` (and
    meet ``where``), per distinct ``by``; weeks without such rows may be left out.

    One statement, a UNION ALL of a range count per week: each reads a range of an
    index on ``column`` (or one that starts with ``where``'s equalities), with no
    per-row work to tell the weeks apart.
    """
    for first in range(0, len(weeks), _WEEKS_PER_STATEMENT):
        chunk = weeks[first : first + _WEEKS_PER_STATEMENT]
        branches = []
        for index, n in enumerate(chunk):
            branch = (
                select(literal_column(str(index)), *by, func.count())
                .select_from(column.class_)
                .where(column >= n.start, column < n.end, *where)
            )
            branches.append(branch.group_by(*by) if by else branch)
        query = branches[0] if len(branches) == 1 else union_all(*branches)
        for index, *rest in session.execute(query).tuples():
            yield chunk[int(index)], *rest


def _add(n: WeeklyNumbers, key: str, count: int) -> None:
    n.values[key] = n.values.get(key, 0) + int(count or 0)


def _events(session: Session, weeks: list[WeeklyNumbers]) -> None:
    bind = (
        Event.type == "policy.bound",
        func.coalesce(Event.transaction, "new").in_(("new", "rewrite")),
    )
    for n, count in _counts(session, Event.occurred_at, weeks):
        _add(n, "events_received", count)
    for n, count in _counts(session, Event.occurred_at, weeks, *bind):
        _add(n, "binds_detected", count)
    for n, count in _counts(session, Event.occurred_at, weeks, Event.type == "complaint.received"):
        _add(n, "complaints", count)
    rejected = RawInput.outcome == Outcome.rejected
    for n, count in _counts(session, RawInput.received_at, weeks, rejected):
        _add(n, "inputs_rejected", count)


# The timeline entries the numbers read: reviews by their status (asks_approved, …);
# decisions and statuses as _decided reads them.
_REVIEWED = ("approved", "deferred", "declined")
_DECIDED = ("held", "suppressed", "expired", "outbox", "opted_out")


def _asks(session: Session, weeks: list[WeeklyNumbers]) -> None:
    for n, count in _counts(session, Ask.sent_at, weeks):
        _add(n, "asks_sent", count)
    rows = _counts(
        session,
        AskEntry.at,
        weeks,
        AskEntry.kind.in_(("review", "decision", "status")),
        AskEntry.status.in_(_REVIEWED + _DECIDED),
        by=(AskEntry.kind, AskEntry.status, AskEntry.rule),
    )
    # Reviews, then decisions by status and rule: the order suppressed_by_reason is
    # filled in (the CSV lists it so).
    entries = sorted(rows, key=lambda row: (row[2] or "", row[3] or ""))
    for n, kind, status, _rule, count in entries:
        if kind == "review":
            _add(n, f"asks_{status}", count)
    for n, kind, status, rule, count in entries:
        if kind != "review":
            _decided(n, status, rule, count)
    for n, count in _counts(session, Ask.created_at, weeks):
        _add(n, "asks_decided", count)


def _decided(n: WeeklyNumbers, status: str | None, rule: str | None, count: int) -> None:
    """A decision or status entry: held, suppressed, expired (with the rule), outbox,
    opted out."""
    if status in ("held", "suppressed", "expired"):
        _add(n, f"asks_{status}", count)
    if status in ("suppressed", "expired") and rule:
        n.suppressed_by_reason[rule] = n.suppressed_by_reason.get(rule, 0) + count
    if status == "outbox":
        _add(n, "asks_in_outbox", count)
    if status == "opted_out":
        _add(n, "opt_outs", count)


_REPLY_METRICS = {"hot": "hot_replies", "complaint": "complaints", "opt_out": "opt_outs"}


def _replies(session: Session, weeks: list[WeeklyNumbers]) -> None:
    for n, kind, count in _counts(session, Reply.received_at, weeks, by=(Reply.kind,)):
        if kind != "auto_reply":
            _add(n, "replies_received", count)
        if kind in _REPLY_METRICS:
            _add(n, _REPLY_METRICS[kind], count)


def _referrals(session: Session, weeks: list[WeeklyNumbers]) -> None:
    for key, column in (
        ("referrals_received", Referral.received_at),
        ("referrals_quoted", Referral.quoted_at),
        ("referrals_converted", Referral.converted_at),
    ):
        for n, count in _counts(session, column, weeks):
            _add(n, key, count)


MEASURES = [_events, _asks, _replies, _referrals]


def recent_weeks(session: Session, *, until: str, count: int) -> list[WeeklyNumbers]:
    zone = agency_zone(session)
    start, _ = week_bounds(until, zone)
    weeks = [week_of(start - timedelta(days=7 * i), zone) for i in range(count)]
    return weeks_numbers(session, weeks)
