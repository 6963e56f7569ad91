"""Referrals: a prospect someone introduced, and who introduced them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class ReferralStatus(StrEnum):
    new = "new"
    contacted = "contacted"
    quoting = "quoting"
    converted = "converted"
    not_converted = "not_converted"


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ReferralStatus] = mapped_column(String(20), index=True)
    # Where it was captured: api, page (the hosted introduce-someone page), reply, event.
    captured_via: Mapped[str] = mapped_column(String(20))
    # A referral drafted from a hot reply waits for a person to confirm the details.
    needs_confirmation: Mapped[bool] = mapped_column(default=False)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    company: Mapped[str | None] = mapped_column(String(200))
    line_of_business: Mapped[str | None] = mapped_column(String(40))
    referred_by_kind: Mapped[str] = mapped_column(String(20))  # client, partner, external
    referred_by_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    referred_by_external_id: Mapped[str | None] = mapped_column(String(200))
    referred_by_name: Mapped[str | None] = mapped_column(String(200))
    ask_id: Mapped[int | None] = mapped_column(ForeignKey("asks.id", ondelete="SET NULL"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
