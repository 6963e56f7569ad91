"""The webhook outbox: an event per state change, a delivery per subscriber, and every
attempt to deliver it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from referral_engine.db import Base, UtcDateTime


class DeliveryStatus(StrEnum):
    pending = "pending"  # not tried yet
    sending = "sending"  # claimed by a sender, the POST under way
    retrying = "retrying"  # refused or unreachable; tried again at next_attempt_at
    delivered = "delivered"  # the subscriber answered 2xx
    failed = "failed"  # still refused three days after the first try


# Deliveries still on their way: an earlier one of these holds a client's later events.
OPEN_STATUSES = (DeliveryStatus.pending, DeliveryStatus.sending, DeliveryStatus.retrying)


class WebhookEvent(Base):
    """One state change as subscribers receive it; ``body`` is the exact JSON posted,
    the same bytes on every attempt."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Standard Webhooks message id ("msg_…"): the webhook-id header and the body's id.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[str] = mapped_column(Text)

    deliveries: Mapped[list[WebhookDelivery]] = relationship(back_populates="event")


class WebhookDelivery(Base):
    """One event on its way to one subscriber (``[webhooks.NAME]``)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "subscriber", "client_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    subscriber: Mapped[str] = mapped_column(String(60))
    # The event's client, copied here: deliveries of one client to one subscriber go in
    # id order (no client: no order to keep).
    client_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[DeliveryStatus] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Three days after the first try (or after a resend): then a refusal is final.
    give_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The wall-clock instant a sender took it: one found "sending" long after, that
    # sender stopped mid-POST, and it is tried again (the receiver dedupes on the id).
    sending_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A person asked for it again: it goes at once, out of the client's order.
    resent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resent_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    event: Mapped[WebhookEvent] = relationship(back_populates="deliveries")


class WebhookAttempt(Base):
    """One POST of a delivery: the answer's status code, or why there was none."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
