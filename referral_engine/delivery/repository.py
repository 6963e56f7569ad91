"""Every query the delivery area makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask, AskStatus
from referral_engine.delivery.models import Click, Message, MessageStatus


def due_asks(session: Session, *, now: datetime, limit: int) -> list[Ask]:
    """Scheduled asks whose time has come, locked for this worker.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED``: a second worker skips the rows this one
    holds; on SQLite the write transaction (BEGIN IMMEDIATE) serializes workers.
    """
    query = (
        select(Ask)
        .where(Ask.status == AskStatus.scheduled, Ask.scheduled_for <= now)
        .order_by(Ask.scheduled_for, Ask.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def stale_sending(session: Session, *, before: datetime) -> list[Ask]:
    query = select(Ask).where(Ask.status == AskStatus.sending, Ask.sending_started_at < before)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query.order_by(Ask.id)))


def message_for_ask(session: Session, *, ask_id: int) -> Message | None:
    return session.scalars(
        select(Message).where(Message.ask_id == ask_id, Message.kind == "ask").limit(1)
    ).first()


def message_by_provider_id(session: Session, *, provider_id: str) -> Message | None:
    return session.scalars(select(Message).where(Message.provider_id == provider_id)).first()


def messages(session: Session, *, status: str | None, limit: int, offset: int) -> list[Message]:
    query = select(Message)
    if status:
        query = query.where(Message.status == status)
    return list(session.scalars(query.order_by(Message.id.desc()).limit(limit).offset(offset)))


def outbox(session: Session) -> list[Message]:
    return list(
        session.scalars(
            select(Message).where(Message.status == MessageStatus.outbox).order_by(Message.id)
        )
    )


def clicks(session: Session, *, ask_id: int) -> list[Click]:
    return list(session.scalars(select(Click).where(Click.ask_id == ask_id).order_by(Click.id)))
