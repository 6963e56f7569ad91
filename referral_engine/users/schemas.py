"""The users API's shapes: adding a person, changing one, tokens; what is read back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from referral_engine.events.schemas import normalized_email
from referral_engine.users.models import ApiToken, Role, User


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(_Model):
    email: str = Field(max_length=320)
    name: str = Field("", max_length=200)
    role: Role
    senior: bool = False
    password: str | None = Field(None, max_length=500)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("an email address is required")
        return normalized_email(value.strip())

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return value.strip()


class UserUpdate(_Model):
    name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    active: bool | None = None
    senior: bool | None = None
    mobile: str | None = Field(None, max_length=40, description='"" removes the number')
    notify_email: bool | None = None
    notify_sms: bool | None = None
    quiet_nights: bool | None = None


class TokenCreate(_Model):
    name: str = Field("personal", min_length=1, max_length=100)
    # The sources this token may post events for; None: any source without a webhook secret.
    sources: list[str] | None = Field(None, max_length=50)

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip() for name in value]
        if any(not name or len(name) > 100 for name in names):
            raise ValueError("a source name is 1 to 100 characters")
        return names


def user_read(user: User, *, full: bool) -> dict[str, Any]:
    """A person as the API shows them: colleagues see who is who; a manager (or the
    person themselves) also sees the account's state and contact settings."""
    shown: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "senior": user.senior,
        "active": user.active,
    }
    if full:
        shown |= {
            "has_password": user.password_hash is not None,
            "invited": user.invited_at is not None and user.password_hash is None,
            "invited_at": _iso(user.invited_at),
            "last_sign_in_at": _iso(user.last_sign_in_at),
            "mobile": user.mobile,
            "notify_email": user.notify_email,
            "notify_sms": user.notify_sms,
            "quiet_nights": user.quiet_nights,
            "created_at": _iso(user.created_at),
        }
    return shown


def token_read(token: ApiToken) -> dict[str, Any]:
    """A token as listed: never the token itself, only its first characters."""
    return {
        "id": token.id,
        "name": token.name,
        "hint": token.hint,
        "created_at": _iso(token.created_at),
        "last_used_at": _iso(token.last_used_at),
        "revoked_at": _iso(token.revoked_at),
        "sources": token.sources,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
