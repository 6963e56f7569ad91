"""Every raw input as it arrived, and the canonical events made from it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class Outcome(StrEnum):
    accepted = "accepted"
    duplicate = "duplicate"
    rejected = "rejected"
    # Read but not trusted (a confirmation email no rule read unambiguously): kept for a
    # person, who has a task; `events --reprocess` leaves it alone.
    quarantined = "quarantined"


class RawInput(Base):
    """One input exactly as received, kept whatever became of it."""

    __tablename__ = "raw_inputs"
    __table_args__ = (
        Index("ix_raw_inputs_outcome_received_at", "outcome", "received_at"),
        # Source health counts each source's inputs by outcome.
        Index("ix_raw_inputs_source_outcome_received_at", "source", "outcome", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(20))  # api, webhook, import, email, poll
    source: Mapped[str] = mapped_column(String(100), index=True)
    body: Mapped[str] = mapped_column(Text)
    # For CSV rows: the profile that read it, so a fixed profile can read it again.
    mapping: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(500))
    line_no: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[Outcome] = mapped_column(String(20), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc)
    event_key: Mapped[str | None] = mapped_column(String(200))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    reprocessed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The source whose signature (or whose own poll) this input arrived under; None for
    # the bearer API and files. Re-processing keeps it, so a signed source's rule holds.
    authenticated_as: Mapped[str | None] = mapped_column(String(100))


class Event(Base):
    """A canonical event: the contract every later step reads from."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        # The weekly numbers count a week's binds and complaints from this alone.
        Index("ix_events_type_occurred_at", "type", "occurred_at", "transaction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    policy_number: Mapped[str | None] = mapped_column(String(100), index=True)
    transaction: Mapped[str | None] = mapped_column(String(20))
    line_of_business: Mapped[str | None] = mapped_column(String(40))
    segment: Mapped[str | None] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class WebhookMessage(Base):
    """A Standard Webhooks message id already taken from a source: a replay is a duplicate."""

    __tablename__ = "webhook_messages"
    __table_args__ = (UniqueConstraint("source", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
