"""Whether a due referral message may leave now: the send window and the 24-hour cap,
re-checked by both senders just before they mark a message ``sending``.

What a caller may rely on:

* :func:`hold` answers None (it may go now) or a :class:`Hold`: the instant it may go and
  the reason — ``frequency_cap`` when the client already had ``[timing]
  max_messages_per_day`` referral messages in the last 24 hours (moved to when the oldest of
  those turns 24 hours old, then to the first instant the window allows), else
  ``quiet_hours`` when ``now`` is outside the client's send window (quiet hours, business
  days, the law's hours for their state and area code; moved to the next send slot).
* Every kind in :data:`REFERRAL_KINDS` counts against the cap, on every channel, whichever
  sender sent it; the message being sent does not count against itself.
* On PostgreSQL the client's row stays locked until the caller's transaction ends, so two
  workers never both take the last place under the cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask
from referral_engine.decisions.message_cap import DAY, cap_reason, cap_until
from referral_engine.decisions.rules import Reason, Rulebook, quiet_hours_reason
from referral_engine.decisions.send_windows import client_window
from referral_engine.delivery import repository

REFERRAL_KINDS = frozenset({"ask", "thanks", "referral_update"})
"""``Message.kind`` of every message to a client about referrals: an ask, a referrer's
thank-you, a referrer's progress update (the 24-hour cap counts these)."""


@dataclass(frozen=True)
class Hold:
    """A message that must wait: until when, and why."""

    until: datetime
    reason: Reason


def hold(
    session: Session,
    *,
    client: Any,
    book: Rulebook,
    now: datetime,
    ask_id: int | None = None,
    message_id: int | None = None,
) -> Hold | None:
    """Why a referral message to ``client`` (an ask's, or a queued message's) may not leave
    at ``now``, and until when; None when it may."""
    window, _ = client_window(book, client)
    repository.lock_client(session, client_id=client.id)
    sent = repository.send_instants(
        session,
        client_id=client.id,
        kinds=REFERRAL_KINDS,
        since=now - DAY,
        other_than_ask=ask_id,
        other_than_message=message_id,
    )
    capped = cap_until(sent, limit=book.max_messages_per_day, at=now)
    if capped is not None:
        until = window.earliest_allowed(capped)
        reason = cap_reason(
            counted=len(sent),
            limit=book.max_messages_per_day,
            at=now,
            moved_to=until,
            zone=window.recipient,
        )
        return Hold(until, reason)
    if not window.is_allowed(now):
        until = window.next_slot(now)
        return Hold(until, quiet_hours_reason(window, now, until))
    return None


def postpone(session: Session, ask: Ask, waiting: Hold, *, now: datetime) -> None:
    """A due ask kept back: scheduled for ``waiting.until``, the reason on its timeline and
    among its reasons."""
    reason = waiting.reason
    asks.record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
    ask.reasons = [*ask.reasons, reason.as_dict()]
    ask.scheduled_for = waiting.until
    ask.updated_at = now
