"""Messages that left (or wait in the outbox) and the clicks on their links."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, UtcDateTime


class MessageStatus(StrEnum):
    outbox = "outbox"  # no provider for the channel: shown, never sent
    queued = "queued"  # a message other than an ask, waiting for the sender
    sending = "sending"
    sent = "sent"  # the provider accepted it
    delivered = "delivered"
    undelivered = "undelivered"
    failed = "failed"
    delivery_unknown = "delivery_unknown"
    cancelled = "cancelled"  # taken back before it was sent (a referral status change undone)


class Message(Base):
    """One outbound message: an ask, or an answer the service gives (HELP)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int | None] = mapped_column(
        ForeignKey("asks.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="ask")
    # A message to a staff member (a notification): who it is for.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # One message per cause ("notice:task:12:user:3"): a second attempt to queue the same
    # notification finds this one instead of sending it twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(String(20), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(200), index=True)
    error_code: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Queued messages: not before this instant (quiet hours, backoff after a failure).
    send_after: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Set (and committed) just before the provider is called, as for asks.
    sending_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Click(Base):
    """A click on an ask's tracked link: the first, and every repeat."""

    __tablename__ = "clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    first: Mapped[bool] = mapped_column(default=False)


class ReferSubmission(Base):
    """A referral a client sent through an ask's introduce-someone page: counted per link
    and per client address (:mod:`referral_engine.delivery.refer_limits`); rows older
    than a day are removed."""

    __tablename__ = "refer_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
