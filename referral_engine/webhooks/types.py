"""The event types sent to subscribers, which subscriber wants which, and the retry
schedule: plain rules, no database, clock or network.

What a caller may rely on:

- :data:`EVENT_TYPES` is every type :func:`referral_engine.webhooks.service.emit` sends;
  docs/webhooks.md documents each one.
- A subscriber's ``events`` entry is ``"*"`` (everything), an exact type
  (``"ask.sent"``) or an area's prefix (``"ask.*"``); :func:`wants` answers whether a
  subscriber's list takes a type.
- :func:`next_attempt` spaces retries 30 s, 2 min, 10 min, 1 h, 4 h, then every 8 h,
  and never past the give-up instant, three days after the first try: one last attempt
  happens then, and a delivery still refused after it has failed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

EVENT_TYPES: tuple[str, ...] = (
    "ask.decided",
    "ask.sent",
    "ask.outbox",
    "reply.received",
    "task.created",
    "task.done",
    "referral.created",
    "referral.confirmed",
    "referral.status_changed",
)
AREAS = tuple(sorted({t.split(".", 1)[0] for t in EVENT_TYPES}))

# Retries after the first failure, then RETRY_CAP between attempts until GIVE_UP.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=4),
)
RETRY_CAP = timedelta(hours=8)
GIVE_UP = timedelta(days=3)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$")


def wants(patterns: Iterable[str], event_type: str) -> bool:
    """Does a subscriber with ``patterns`` (its ``events`` list) take ``event_type``?"""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def pattern_refusal(pattern: str) -> str | None:
    """Why ``pattern`` cannot be an ``events`` entry (a typo would silently match nothing),
    or None."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return None
    if pattern.endswith(".*") and pattern[:-2] in AREAS:
        return None
    known = ", ".join([*(f"{a}.*" for a in AREAS), *EVENT_TYPES])
    return f'unknown event type {pattern!r}: use "*" or one of {known}'


def secret_refusal(secret: str) -> str | None:
    """Why ``secret`` is no Standard Webhooks secret (``whsec_`` and base64 of at least
    24 bytes), or None."""
    if not secret.startswith("whsec_"):
        return "secret must start with 'whsec_'"
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return "secret must be 'whsec_' followed by base64"
    if len(key) < 24:
        return "secret is too short: use 24 to 64 random bytes, base64-encoded after 'whsec_'"
    return None


def name_refusal(name: str) -> str | None:
    """Why ``name`` cannot name a subscriber (it appears in URLs and filters), or None."""
    if _NAME.match(name):
        return None
    return f"webhook name {name!r}: use letters, digits, '-' and '_' (up to 60)"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1 = the first)."""
    if attempts <= len(RETRY_DELAYS):
        return RETRY_DELAYS[max(attempts, 1) - 1]
    return RETRY_CAP


def next_attempt(*, attempts: int, failed_at: datetime, give_up_at: datetime) -> datetime | None:
    """When to try again after the ``attempts``-th failure at ``failed_at``; None when
    the give-up instant has been reached (the delivery has failed)."""
    if failed_at >= give_up_at:
        return None
    return min(failed_at + retry_delay(attempts), give_up_at)


def is_success(status_code: int) -> bool:
    """A 2xx answer delivers; anything else (and no answer) is retried."""
    return 200 <= status_code < 300
