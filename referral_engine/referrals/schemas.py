"""The referrals API's shapes: what callers send and what they read.

A new referral is the canonical ``ReferralIn`` of the events area (the same object an
AMS may put in an event's ``referral`` field), so a prospect's email and mobile are
normalized exactly as an event's are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from referral_engine.contacts.schemas import ConsentStatementIn
from referral_engine.events.schemas import ClientIn, ProspectIn, ReferralIn
from referral_engine.referrals.models import NotConvertedReason, PartnerKind, ReferralStatus


class ReferralCreate(ReferralIn):
    """``POST /api/v1/referrals``: a prospect, who referred them, tags and notes."""


class ReferralUpdate(BaseModel):
    """``PATCH /api/v1/referrals/{id}``: only the fields sent change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: ReferralStatus | None = None
    reason: NotConvertedReason | None = None
    tags: list[str] | None = None
    notes: str | None = Field(None, max_length=10000)
    disputed: bool | None = None
    # With status converted, set by hand ("Mark converted"): the policy that was bound.
    policy_number: str | None = Field(None, max_length=100)
    premium: float | None = Field(None, ge=0)
    commission: float | None = Field(None, ge=0)
    # A reward for the referrer, by hand: checked against the referrer's state and sent
    # to review like the program's (null withdraws one still waiting).
    reward_amount: float | None = Field(None, gt=0)
    # Reassign: the user who works the referral from now on (its open contact task too).
    owner_id: int | None = None


class PartnerCreate(BaseModel):
    """``POST /api/v1/partners``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    kind: PartnerKind = PartnerKind.other
    external_id: str | None = Field(None, max_length=200)
    email: str | None = None
    phone: str | None = None
    company: str | None = Field(None, max_length=200)
    notes: str = Field("", max_length=10000)

    @field_validator("external_id", "company", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        return ClientIn._email(value)  # type: ignore[operator]

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any, info: ValidationInfo) -> str | None:
        return ClientIn._mobile(value, info)  # type: ignore[operator]


class PartnerRead(BaseModel):
    id: int
    external_id: str | None
    name: str
    kind: str
    email: str | None
    phone: str | None
    company: str | None
    notes: str
    created_at: datetime


class ProspectRead(BaseModel):
    first_name: str | None
    last_name: str | None
    email: str | None
    mobile: str | None
    company: str | None
    line_of_business: str | None
    postal_code: str | None
    client_id: int | None


class ReferredByRead(BaseModel):
    kind: str
    external_id: str | None
    name: str | None
    client_id: int | None
    partner_id: int | None
    partner_kind: str | None = None


class RewardRead(BaseModel):
    """A reward for a referrer, with the rule that allowed or blocked it."""

    id: int
    referral_id: int
    client_id: int | None
    referrer: str
    state: str | None
    kind: str
    value: float
    trigger: str
    status: str  # proposed, blocked, approved, declined
    rule: str
    proposed_at: datetime
    proposed_by: str
    decided_at: datetime | None
    decided_by: str | None
    note: str | None
    task_id: int | None


class RewardDecline(BaseModel):
    """``POST /api/v1/rewards/{id}/decline``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(None, max_length=2000)


class OutcomeConsentCreate(ConsentStatementIn):
    """``POST /api/v1/referrals/{id}/consent``: the referred person's own word on whether
    their referrer may hear how it went (quoted, became a client, declined)."""


class TimelineEntryRead(BaseModel):
    at: datetime
    # captured, tagged, task, status, converted, disputed, tags, notes, event, message,
    # update (status: reached_out, contacted, quoting, converted), recognized, reward
    kind: str
    status: str | None
    detail: str
    actor: str | None


class ReferralNoteCreate(BaseModel):
    """``POST /api/v1/referrals/{id}/notes``: a dated note for the referral's timeline."""

    model_config = ConfigDict(extra="forbid")

    note: str


class ReferralConfirm(BaseModel):
    """``POST /api/v1/referrals/{id}/confirm``: the prospect's fields to correct, if any
    (the fields sent replace the drafted ones; a null clears one)."""

    model_config = ConfigDict(extra="forbid")

    prospect: ProspectIn | None = None


class OwnerRead(BaseModel):
    id: int
    name: str
    email: str


class ReferralRead(BaseModel):
    id: int
    status: str
    reason: str | None
    prospect: ProspectRead
    referred_by: ReferredByRead
    ask_id: int | None
    tags: list[str]
    notes: str
    disputed: bool
    disputed_at: datetime | None
    disputed_by: str | None
    needs_confirmation: bool
    # When a person confirmed a referral drafted from a reply; None otherwise.
    confirmed_at: datetime | None = None
    # When it counted as received (the reports' week): at capture, or at confirmation.
    received_at: datetime | None = None
    # Who works it (its contact task is theirs); None until someone is assigned.
    owner: OwnerRead | None = None
    captured_via: str
    created_at: datetime
    updated_at: datetime
    contact_due_at: datetime | None
    contacted_at: datetime | None
    # True when first contact came by the 24-hour SLA, False when after, None when the
    # referral has no SLA or was not contacted yet.
    sla_met: bool | None
    quoted_at: datetime | None
    closed_at: datetime | None
    converted_at: datetime | None
    converted_policy_number: str | None
    converted_line_of_business: str | None
    converted_premium: float | None
    converted_commission: float | None
    # The newest reward not declined (its value), and every reward of the referral.
    reward_amount: float | None = None
    rewards: list[RewardRead] = []
    timeline: list[TimelineEntryRead] | None = None


class StandingRead(BaseModel):
    rank: int
    kind: str  # client or partner
    client_id: int | None
    partner_id: int | None
    name: str
    converted: int
    received: int
    recognized: bool
    # Whether the client may be named in public (their newest publicity statement grants
    # it); None for a partner, for whom no permission can be recorded.
    publicity: bool | None = None
    task_id: int | None
    check_in_task_id: int | None


class RecognitionRead(BaseModel):
    """``POST /api/v1/recognition/run``: the quarter's referrers, best first."""

    quarter: str
    starts_at: datetime
    ends_at: datetime
    top: int
    standings: list[StandingRead]
