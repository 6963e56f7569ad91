"""The asks API's shapes: what callers send and what they read."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ReasonRead(BaseModel):
    rule: str
    detail: str


class DraftRead(BaseModel):
    subject: str | None
    body: str
    template: str | None = None
    edited: bool = False


class TimelineEntryRead(BaseModel):
    at: datetime
    kind: str  # signal, rule, decision, review, schedule
    rule: str | None
    status: str | None
    detail: str
    actor: str | None


class AskRead(BaseModel):
    id: int
    # The client's id here (GET /api/v1/contacts/{client_id}, its consent endpoints).
    client_id: int | None = None
    client_external_id: str | None
    client_name: str
    trigger_event_id: str
    trigger_event_source: str
    trigger: str
    moment_at: datetime
    evidence: str
    status: str
    channel: str | None
    scheduled_for: datetime | None
    expires_at: datetime
    sent_at: datetime | None
    producer: str | None
    policy_number: str | None
    line_of_business: str | None
    segment: str | None
    premium: float | None
    reasons: list[ReasonRead]
    draft: DraftRead
    timeline: list[TimelineEntryRead] | None = None


class DraftEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(None, max_length=300)
    body: str = Field(min_length=1, max_length=5000)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    draft: DraftEdit | None = None


class DeferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: datetime


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class MarkSentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    how: str = Field(min_length=1, max_length=500, examples=["sent by hand from my phone"])


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=5000)


class TemplateRead(BaseModel):
    key: str
    channel: str
    source: str
    custom: bool
    updated_by: str | None = None
    updated_at: datetime | None = None
