"""The weekly numbers: what the dashboard, the API and `referral report weekly` show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.events.models import Event, Outcome, RawInput

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


def week_of(instant: datetime) -> str:
    year, week, _ = instant.astimezone(UTC).date().isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str) -> tuple[datetime, datetime]:
    """Monday 00:00 UTC to the next Monday 00:00 UTC."""
    year, number = (int(x) for x in parse_week(week).split("-W"))
    start = datetime.combine(date.fromisocalendar(year, number, 1), datetime.min.time(), UTC)
    return start, start + timedelta(days=7)


HEADLINE = [
    ("binds_detected", "Binds detected"),
    ("events_received", "Events received"),
    ("inputs_rejected", "Inputs rejected"),
]
# Every metric with its label, in the order reports print them.
ALL_LABELS = list(HEADLINE)


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
            **self.values,
            "suppressed_by_reason": dict(self.suppressed_by_reason),
        }


def weekly(session: Session, *, week: str) -> WeeklyNumbers:
    start, end = week_bounds(week)
    numbers = WeeklyNumbers(week=parse_week(week), start=start, end=end)

    def count(query: object) -> int:
        return int(session.scalar(query) or 0)  # type: ignore[call-overload]

    in_week = (Event.occurred_at >= start, Event.occurred_at < end)
    numbers.values["binds_detected"] = count(
        select(func.count())
        .select_from(Event)
        .where(
            *in_week,
            Event.type == "policy.bound",
            func.coalesce(Event.transaction, "new").in_(("new", "rewrite")),
        )
    )
    numbers.values["events_received"] = count(
        select(func.count()).select_from(Event).where(*in_week)
    )
    numbers.values["inputs_rejected"] = count(
        select(func.count())
        .select_from(RawInput)
        .where(
            RawInput.received_at >= start,
            RawInput.received_at < end,
            RawInput.outcome == Outcome.rejected,
        )
    )
    for extend in WEEKLY_EXTENSIONS:
        extend(session, numbers)
    return numbers


def recent_weeks(session: Session, *, until: str, count: int) -> list[WeeklyNumbers]:
    start, _ = week_bounds(until)
    weeks = [week_of(start - timedelta(days=7 * i)) for i in range(count)]
    return [weekly(session, week=w) for w in weeks]


# Other areas add their numbers (asks, replies, referrals) by appending a function here.
WEEKLY_EXTENSIONS: list = []  # type: ignore[type-arg]
