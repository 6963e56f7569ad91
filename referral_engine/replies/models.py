"""Replies that came back: SMS and email, read and classified."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class Reply(Base):
    __tablename__ = "replies"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms, email
    # Twilio MessageSid or the email's Message-ID: a redelivered reply is the same reply.
    provider_id: Mapped[str] = mapped_column(String(300))
    ask_id: Mapped[int | None] = mapped_column(
        ForeignKey("asks.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)  # quoted history stripped
    raw: Mapped[str] = mapped_column(Text)  # as received
    kind: Mapped[str] = mapped_column(String(20), index=True)
    why: Mapped[str] = mapped_column(Text, default="")
    prospects: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
