"""Consent as the API and the pages take it and show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from referral_engine.contacts.models import (
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
)


class ConsentStatementIn(BaseModel):
    """What someone said about being contacted, as a person records it: the status, how,
    when (``at``, default now), the wording shown, who heard it and where it came from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: ConsentStatus
    method: ConsentMethod
    at: datetime | None = None
    wording: str | None = Field(None, max_length=4000)
    staff_name: str | None = Field(None, max_length=200)
    source: str | None = Field(None, max_length=300)
    note: str | None = Field(None, max_length=4000)

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2026-03-01T10:00:00-06:00")
        return value


class ConsentCreate(ConsentStatementIn):
    """One statement about a client: consent given, refused or taken back, for a purpose.

    ``staff_name`` defaults to the recording person's name for verbal, phone and
    in-person statements; ``number`` (SMS) to the client's mobile.
    """

    purpose: ConsentPurpose
    number: str | None = Field(None, max_length=40)


def consent_read(row: ConsentRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "purpose": row.purpose,
        "status": row.status,
        "method": row.method,
        "at": row.given_at.isoformat(),
        "recorded_at": row.recorded_at.isoformat(),
        "staff_name": row.staff_name,
        "source": row.source,
        "wording": row.wording,
        "number": row.address if row.purpose == ConsentPurpose.sms else None,
        "address": row.address,
        "note": row.note,
    }
