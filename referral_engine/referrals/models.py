"""Referrals: a prospect someone introduced, who introduced them, and what came of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class ReferralStatus(StrEnum):
    new = "new"
    contacted = "contacted"
    quoting = "quoting"
    converted = "converted"
    not_converted = "not_converted"


class NotConvertedReason(StrEnum):
    price = "price"
    timing = "timing"
    coverage = "coverage"
    unreachable = "unreachable"
    other = "other"


class RewardStatus(StrEnum):
    proposed = "proposed"  # allowed by the rules; waits for a person's review
    blocked = "blocked"  # a rule forbids it (shown to the reviewer); never given as is
    approved = "approved"  # a person approved it: give it
    declined = "declined"  # a person declined it (or it was replaced)


class PartnerKind(StrEnum):
    realtor = "realtor"
    mortgage_broker = "mortgage_broker"
    auto_dealer = "auto_dealer"
    cpa = "cpa"
    attorney = "attorney"
    builder = "builder"
    other = "other"


class Partner(Base):
    """A business that sends the agency referrals: a realtor, an auto dealer, a CPA."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The partner's id in the agency's own system (AMS, CRM), when it has one.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[PartnerKind] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    company: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[ReferralStatus] = mapped_column(String(20), index=True)
    # Why a referral ended not converted (NotConvertedReason); None otherwise.
    reason: Mapped[str | None] = mapped_column(String(20))
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
    postal_code: Mapped[str | None] = mapped_column(String(20))
    # The prospect as a client record, once one is known (an AMS event, or the bind).
    prospect_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    referred_by_kind: Mapped[str] = mapped_column(String(20))  # client, partner, external
    referred_by_client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    referred_by_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    referred_by_external_id: Mapped[str | None] = mapped_column(String(200))
    referred_by_name: Mapped[str | None] = mapped_column(String(200))
    ask_id: Mapped[int | None] = mapped_column(ForeignKey("asks.id", ondelete="SET NULL"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="SET NULL"))
    # Who works this referral (its contact task goes to them); reassignable.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # When a person confirmed a referral drafted from a reply (and who).
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When it counted as received: at capture, or when a person confirmed the draft
    # (None while it waits). The reports count referrals received by this instant.
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    # The event whose `referral` field recorded this referral: one referral per event.
    source_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), unique=True
    )
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    disputed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # last change of the flag
    disputed_by: Mapped[str | None] = mapped_column(String(200))
    # Priority service: contact by this instant (24 clock hours after capture); the task
    # that tracks it. No foreign key to tasks: tasks already point here.
    contact_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contact_task_id: Mapped[int | None] = mapped_column()
    contacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    quoted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # converted or not
    converted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    converted_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    converted_policy_number: Mapped[str | None] = mapped_column(String(100))
    converted_line_of_business: Mapped[str | None] = mapped_column(String(40))
    converted_premium: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    converted_commission: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReferralEntry(Base):
    """One line of a referral's timeline: captured, tagged, a task, a status change."""

    __tablename__ = "referral_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # captured, tagged, task, status, converted, disputed, tags, notes, event
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(200))  # a name kept even if the user goes


class Reward(Base):
    """A reward for the referrer of one referral: proposed when its trigger happens (never
    a purchase), checked against the referrer's state, decided by a person.

    ``rule`` is the rule that allowed or blocked it, in words with its citation, as the
    reviewer saw it; it is rewritten when the reward is checked again at approval.
    """

    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<trigger>:<referral id>" for a program's reward: one per referral and trigger.
    key: Mapped[str | None] = mapped_column(String(100), unique=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str | None] = mapped_column(String(2))  # the referrer's, when proposed
    kind: Mapped[str] = mapped_column(String(20))  # gift_card, donation, merchandise, cash
    value: Mapped[float] = mapped_column(Numeric(12, 2, asdecimal=False))
    trigger: Mapped[str] = mapped_column(String(40))  # referral_received, by_hand
    status: Mapped[RewardStatus] = mapped_column(String(20), index=True)
    rule: Mapped[str] = mapped_column(Text)
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    proposed_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)  # a decline's reason
    # The review task (no foreign key: tasks already point at referrals).
    task_id: Mapped[int | None] = mapped_column()


class ReferralStatusChange(Base):
    """A status change a person may still take back (see
    :mod:`referral_engine.referrals.undo`): the referral as it was before, and what the
    change set going (the referrer's messages, rewards proposed, tasks it closed)."""

    __tablename__ = "referral_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    before: Mapped[str] = mapped_column(String(20))
    after: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(200))
    snapshot: Mapped[dict[str, object]] = mapped_column(JsonDoc)  # the referral's columns
    message_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)
    reward_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)
    task_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)  # closed by it
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
