"""The outbox is a waiting room, not a dead end: asks kept there because no provider was
configured go out once one is, or a person sends one by hand and marks it sent.

What a caller may rely on:

* :func:`release` acts only on asks in the outbox whose channel now has a provider.
  One whose warmth window has ended, or whose next send slot falls after its end, becomes
  ``expired`` (``warmth_expired``). Every other one goes back to ``scheduled`` for the
  client's next send slot (send hour, quiet hours, business days, the law's hours where
  the client is), and the normal sender sends it then, exactly once, re-checking consent,
  complaints and the 24-hour cap as for any ask. Its outbox copy is removed: the sender
  writes the message it sends. Asks whose channel still has no provider stay in the outbox.
* :func:`mark_sent` records that a person sent an outbox (or scheduled) ask themselves:
  the ask is ``sent`` with how it was sent on its timeline, its message counts as sent
  (reports, the 24-hour cap), and the sender never sends it.
* An ask in the outbox counts against the frequency cap like a scheduled one
  (:data:`referral_engine.asks.models.COUNTED_STATUSES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask, AskStatus
from referral_engine.asks.service import AskNotFound, DraftRefused, ReviewForbidden, ReviewRefused
from referral_engine.decisions.rules import Reason, Rulebook
from referral_engine.decisions.send_windows import client_window
from referral_engine.delivery import repository
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.delivery.providers import Providers
from referral_engine.users.models import User

CHANNELS = ("email", "sms")
MARK_SENT_ERRORS = (AskNotFound, ReviewForbidden, ReviewRefused, DraftRefused)


@dataclass(frozen=True)
class Released:
    """What :func:`release` did: asks scheduled again, and asks too late to send."""

    queued: int
    expired: int


def ready_channels(providers: Providers) -> list[str]:
    """The channels that have a provider now."""
    return [channel for channel in CHANNELS if providers.has(channel)]


def waiting(session: Session, *, providers: Providers, now: datetime) -> int:
    """Asks in the outbox that could go out now: their channel has a provider and their
    warmth window has not ended (what the "N asks wait — send them" banner counts)."""
    channels = ready_channels(providers)
    if not channels:
        return 0
    return repository.count_outbox_asks(session, channels=channels, now=now)


def release(session: Session, *, providers: Providers, now: datetime) -> Released:
    """Send the outbox's asks through the normal sender: see the module docstring."""
    channels = ready_channels(providers)
    if not channels:
        return Released(queued=0, expired=0)
    found = repository.outbox_asks(session, channels=channels)
    if not found:
        return Released(queued=0, expired=0)
    book = Rulebook.from_settings(load_settings(session))
    clients = repository.clients_by_id(session, ids={ask.client_id for ask in found})
    queued = expired = 0
    for ask in found:
        _drop_outbox_copy(session, ask)
        window, _ = client_window(book, clients[ask.client_id])
        slot = window.next_slot(now) if now < ask.expires_at else None
        if slot is None or slot >= ask.expires_at:
            asks.set_status(
                session, ask, status=AskStatus.expired, reason=_too_late(ask, now), now=now
            )
            expired += 1
            continue
        reason = Reason(
            "outbox",
            f"a {ask.channel} provider is configured now: released from the outbox "
            f"to go out at the next send slot",
        )
        asks.release_from_outbox(session, ask, slot=slot, reason=reason, now=now)
        queued += 1
    return Released(queued=queued, expired=expired)


def _too_late(ask: Ask, now: datetime) -> Reason:
    ended = f"{ask.expires_at:%Y-%m-%d %H:%M} UTC"
    if now >= ask.expires_at:
        return Reason(
            "warmth_expired", f"waited in the outbox until its warmth window ended {ended}"
        )
    return Reason(
        "warmth_expired",
        f"released from the outbox too late: the next send slot is after its warmth window "
        f"ends {ended}",
    )


def _drop_outbox_copy(session: Session, ask: Ask) -> None:
    message = repository.message_for_ask(session, ask_id=ask.id)
    if message is not None and message.status == MessageStatus.outbox:
        session.delete(message)


def mark_sent(session: Session, *, ask_id: int, user: User, how: str, now: datetime) -> Ask:
    """A person sent ask ``ask_id`` by hand: see the module docstring. Raises one of
    :data:`MARK_SENT_ERRORS` (no such ask, not theirs, not sendable, no ``how``)."""
    ask = asks.get(session, ask_id=ask_id)
    asks.mark_sent(session, ask, user=user, how=how, now=now)
    message = repository.message_for_ask(session, ask_id=ask.id)
    if message is None:
        client = repository.clients_by_id(session, ids={ask.client_id})[ask.client_id]
        message = Message(
            ask_id=ask.id,
            client_id=ask.client_id,
            kind="ask",
            channel=ask.channel or "email",
            to=(client.email if ask.channel == "email" else client.mobile) or "",
            subject=ask.draft_subject,
            body=ask.draft_body,
            attempts=0,
            created_at=now,
        )
        session.add(message)
    message.status = MessageStatus.sent
    message.sent_at = message.status_at = now
    session.flush()
    return ask
