"""An agency with both providers wired (aiosmtpd, the Twilio double), its people and the
notifications they received."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message
from referral_engine.users.models import User

PRODUCER = "sam@agency.example"
PRINCIPAL = "principal@agency.example"
SAM_MOBILE = "+13125550177"


def set_person(url: str, email: str, **fields: Any) -> None:
    """Change a person's notification settings (what the Account page saves)."""
    with unit_of_work(url) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        for name, value in fields.items():
            setattr(user, name, value)


def add_person(url: str, email: str, *, role: str, name: str, now: Any) -> int:
    with unit_of_work(url) as session:
        user = User(email=email, name=name, role=role, created_at=now)
        session.add(user)
        session.flush()
        return user.id


def emails_to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"] == address]


def notices(url: str, **where: Any) -> list[Message]:
    """Notification rows (messages to staff), oldest first."""
    with unit_of_work(url) as session:
        query = select(Message).where(Message.user_id.is_not(None))
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        rows = list(session.scalars(query.order_by(Message.id)))
        session.expunge_all()
        return rows
