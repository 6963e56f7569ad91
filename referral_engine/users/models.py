"""People who sign in (admin, producer, CSR) and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, JsonDoc, UtcDateTime


class Role(StrEnum):
    principal = "principal"  # runs the agency: sees and decides everything
    producer = "producer"  # sells: reviews their own asks, works their own book
    csr = "csr"  # serves clients: tasks, referrals; a senior CSR gets referral calls
    admin = "admin"  # runs the service: everything a principal may, and settings


# Who may act on anyone's work (approve any ask, see the whole agency, manage the team).
MANAGERS = (Role.principal, Role.admin)


def manages(user: User) -> bool:
    """A principal or an admin: they act on anyone's asks, tasks and referrals."""
    return user.role in MANAGERS


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(String(20))
    # None: a producer known from events who has not been given a password yet.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    senior: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Notifications: a mobile (E.164) and the person's own consent to be texted there;
    # ``quiet_nights``: hold texts and emails from 21:00 to 07:00 (agency time).
    mobile: Mapped[str | None] = mapped_column(String(20))
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_nights: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on a password change or deactivation (a count of them; the sessions those
    # end are rows of web_sessions, ended at the same time).
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token: tokens are long random strings, so a fast hash is enough and
    # lets a lookup be one indexed query; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The first characters of the token, to tell tokens apart in a list (not a secret).
    hint: Mapped[str | None] = mapped_column(String(12))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The sources this token may post events for; None: any source without a webhook secret.
    sources: Mapped[list[str] | None] = mapped_column(JsonDoc)


class Invitation(Base):
    """A set-password link: an invitation or a reset. Only the token's hash is kept; a
    link works once, until ``expires_at``, and a newer link for the same person ends it."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # invite, reset
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))


class SignInAttempt(Base):
    """A failed password sign-in: counted per email and per client address
    (:mod:`referral_engine.users.throttle`); rows older than the window are removed."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lower-cased as typed, known or not: an unknown email is throttled the same way.
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class WebSession(Base):
    """A signed-in browser (:mod:`referral_engine.users.web_sessions`). The cookie carries
    a random token, signed; only the token's SHA-256 is kept, so the table alone signs
    no one in."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Shown on the Account page so a person can tell their browsers apart.
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
