"""Asks: one per referral-ready moment, with the reasons behind every decision on it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class AskStatus(StrEnum):
    pending_review = "pending_review"
    scheduled = "scheduled"
    held = "held"
    sending = "sending"
    sent = "sent"
    suppressed = "suppressed"
    expired = "expired"
    declined = "declined"
    failed = "failed"
    delivery_unknown = "delivery_unknown"
    # No provider is configured for the channel: the message waits in the outbox, visible
    # in the app and the API (a fresh install's safe default), until a principal sends the
    # outbox once a provider is set, or a person sends it by hand and marks it sent.
    outbox = "outbox"


# Statuses in which an ask may still go out: later events (an issue, a complaint) and
# reviews act on these; the others are final or belong to delivery.
OPEN_STATUSES = (AskStatus.pending_review, AskStatus.scheduled, AskStatus.held)
# Asks that count against the frequency cap: the client was (or is about to be) asked.
# An outbox ask counts: it goes out once a provider is set, or a person sends it by hand.
COUNTED_STATUSES = (
    AskStatus.pending_review,
    AskStatus.scheduled,
    AskStatus.held,
    AskStatus.sending,
    AskStatus.sent,
    AskStatus.delivery_unknown,
    AskStatus.outbox,
)


class Ask(Base):
    """A referral ask for one moment: its status, channel, time, draft and reasons."""

    __tablename__ = "asks"
    __table_args__ = (
        Index("ix_asks_status_scheduled", "status", "scheduled_for"),
        # The review queue and the Asks list filtered by status, oldest or newest first.
        Index("ix_asks_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    trigger_event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # One ask per moment: the same bind from two sources (two event ids) has one key.
    moment_key: Mapped[str] = mapped_column(String(300), unique=True)
    trigger: Mapped[str] = mapped_column(String(40))
    moment_at: Mapped[datetime] = mapped_column(UtcDateTime)
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AskStatus] = mapped_column(String(20), index=True)
    channel: Mapped[str | None] = mapped_column(String(10))
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # Unguessable: carried by the Reply-To address, the tracked and unsubscribe links.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    # Set (and committed) just before a provider is called: an ask found "sending" with
    # this set after a crash may or may not have gone out.
    sending_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    send_attempts: Mapped[int] = mapped_column(default=0)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # An ask waiting for review warns its reviewer two business days before it expires.
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    policy_number: Mapped[str | None] = mapped_column(String(100))
    line_of_business: Mapped[str | None] = mapped_column(String(40))
    segment: Mapped[str | None] = mapped_column(String(20))
    premium: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    draft_subject: Mapped[str | None] = mapped_column(Text)
    draft_body: Mapped[str] = mapped_column(Text, default="")
    draft_template: Mapped[str | None] = mapped_column(String(200))
    draft_edited: Mapped[bool] = mapped_column(Boolean, default=False)
    # The rules that shaped the current decision: [{"rule": ..., "detail": ...}].
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AskEntry(Base):
    """One line of an ask's timeline: the signal, a rule that fired, a review, a new time."""

    __tablename__ = "ask_entries"
    # The weekly numbers count a week's reviews, decisions and statuses by status and
    # rule from this alone.
    __table_args__ = (Index("ix_ask_entries_kind_status_at", "kind", "status", "at", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ask_id: Mapped[int] = mapped_column(ForeignKey("asks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(20))  # signal, rule, review, schedule, status
    rule: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(200))  # a name kept even if the user goes


class AskTemplate(Base):
    """An agency's own wording for a template key; overrides the shipped default."""

    __tablename__ = "ask_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
