"""Report periods: a span of whole days in the agency's zone, as UTC instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class BadPeriod(ValueError):
    """A period that cannot be used: a date that is not ``YYYY-MM-DD``, or from after to."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Period:
    """``first`` to ``last``, both included, in the agency's zone; ``start``/``end`` are
    the UTC instants of ``first`` 00:00 and the day after ``last`` 00:00 there."""

    first: date
    last: date
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def period_of(first: date, last: date, zone: ZoneInfo) -> Period:
    if first > last:
        raise BadPeriod("from", f"{first.isoformat()} is after to {last.isoformat()}")
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return Period(first, last, start, end)


def quarter_of(day: date) -> tuple[date, date]:
    """The first and last day of the calendar quarter ``day`` falls in."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    after = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def parse_date(field: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise BadPeriod(field, f"not a date like 2026-10-01: {text!r}") from exc


def parse_period(
    from_text: str | None, to_text: str | None, *, zone: ZoneInfo, now: datetime
) -> Period:
    """The period ``from``..``to`` (dates, both included); a missing end defaults to the
    current quarter's, in the agency's zone."""
    quarter_first, quarter_last = quarter_of(now.astimezone(zone).date())
    first = parse_date("from", from_text) if from_text else quarter_first
    last = parse_date("to", to_text) if to_text else quarter_last
    return period_of(first, last, zone)


def week_period(week_start: datetime, zone: ZoneInfo) -> Period:
    """The Monday-to-Sunday period of a week starting at ``week_start`` (a UTC instant)."""
    monday = week_start.astimezone(zone).date()
    return period_of(monday, monday + timedelta(days=6), zone)
