"""The 24-hour message cap: how many referral messages one person may get in a day.

What a caller may rely on:

* Pure: the instants earlier messages went out and ``at`` in, a decision out; no database,
  clock or network.
* A message counts from the instant it left (or began to leave) until 24 hours later.
  At most ``limit`` messages may fall in any rolling 24 hours: a message is allowed at ``at``
  when fewer than ``limit`` counted messages lie in ``(at - 24 h, at]`` (later ones, should a
  clock have been set back, count too). The cap never drops a message: :func:`cap_until`
  gives the instant enough of them have aged out, and the caller moves the message there
  (and then to the next instant its send window allows).
* Research R11 and the state caps (FL, OK, MD: 3 per 24 hours on one subject): every
  message the product sends a client about referrals counts, on every channel.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from referral_engine.decisions.rules import Reason

DAY = timedelta(hours=24)


def cap_until(sent: Iterable[datetime], *, limit: int, at: datetime) -> datetime | None:
    """None when a message may go at ``at``; else the first instant it may, as far as the
    cap is concerned: when the oldest message that keeps the count at ``limit`` turns 24
    hours old. ``ValueError`` for a limit below 1."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    counted = sorted(t for t in sent if t > at - DAY)
    if len(counted) < limit:
        return None
    return counted[len(counted) - limit] + DAY


def cap_reason(
    *, counted: int, limit: int, at: datetime, moved_to: datetime, zone: ZoneInfo
) -> Reason:
    """The ``frequency_cap`` reason for a message moved by the 24-hour cap."""
    local_at, local_to = at.astimezone(zone), moved_to.astimezone(zone)
    messages = "message" if counted == 1 else "messages"
    return Reason(
        "frequency_cap",
        f"{counted} referral {messages} went to this client in the 24 hours before "
        f"{local_at:%a %b} {local_at.day} {local_at:%H:%M}; at most {limit} in any 24 hours "
        f"([timing] max_messages_per_day) — moved to {local_to:%a %b} {local_to.day} "
        f"{local_to:%H:%M} {zone.key}",
    )
