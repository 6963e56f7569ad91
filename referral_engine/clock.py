"""The one source of "now" for the whole program.

Every decision reads the instant from :func:`now`. The CLI's global ``--now`` option
and the ``REFERRAL_NOW`` environment variable pin it; tests pin it with :func:`frozen`.
Nothing else in the package calls ``datetime.now()``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_pinned: datetime | None = None


class BadInstant(ValueError):
    """An instant that cannot be read as ISO 8601 with a zone."""


def parse_instant(text: str) -> datetime:
    """Read an ISO 8601 instant; a naive one is taken as UTC. Returns aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadInstant(f"not an ISO 8601 instant: {text!r}") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def pin(instant: datetime | None) -> None:
    """Pin the clock to ``instant`` (aware), or release it with ``None``."""
    global _pinned
    if instant is not None and instant.tzinfo is None:
        raise BadInstant("a pinned instant must carry a time zone")
    _pinned = instant.astimezone(UTC) if instant is not None else None


def now() -> datetime:
    """The current instant (aware UTC): pinned, else ``REFERRAL_NOW``, else the wall clock."""
    if _pinned is not None:
        return _pinned
    env = os.environ.get("REFERRAL_NOW")
    if env:
        return parse_instant(env)
    return datetime.now(UTC)


def wall() -> datetime:
    """The real wall clock, whatever is pinned: for transport checks only (signature
    freshness, how long a sender has held a message), never for a decision."""
    return datetime.now(UTC)


@contextmanager
def frozen(instant: datetime) -> Iterator[None]:
    """Pin the clock for the duration of a block, then restore what was there."""
    previous = _pinned
    pin(instant)
    try:
        yield
    finally:
        pin(previous)


def as_utc(value: datetime) -> datetime:
    """An aware instant in UTC; naive values (as some databases return them) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def wall_clock(value: datetime, zone: str, style: str = "short") -> str:
    """``value`` on ``zone``'s clock: "Dec 2, 9:30 AM CST"; "long": "Wed Dec 2 2026,
    9:30 AM CST"; "time": "9:30 AM CST"; "date": "Dec 2 2026"."""
    local = value.astimezone(ZoneInfo(zone))
    time = f"{local.hour % 12 or 12}:{local:%M %p} {local.tzname()}"
    if style == "time":
        return time
    if style == "date":
        return f"{local:%b} {local.day} {local.year}"
    if style == "long":
        return f"{local:%a %b} {local.day} {local.year}, {time}"
    return f"{local:%b} {local.day}, {time}"
