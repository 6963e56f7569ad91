"""Every query the replies area makes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask, AskStatus
from referral_engine.contacts.models import Client
from referral_engine.replies.models import Reply

REACHED = (AskStatus.sent, AskStatus.delivery_unknown, AskStatus.sending, AskStatus.outbox)


def client_by_mobile(session: Session, *, mobile: str) -> Client | None:
    return session.scalars(
        select(Client).where(Client.mobile == mobile).order_by(Client.id)
    ).first()


def clients_at(session: Session, *, channel: str, address: str) -> list[Client]:
    """Every client record reached at a mobile number (``sms``) or email address."""
    if channel == "sms":
        query = select(Client).where(Client.mobile == address)
    else:
        query = select(Client).where(func.lower(Client.email) == address.lower())
    return list(session.scalars(query.order_by(Client.id))) if address else []


def lock_client(session: Session, *, client_id: int) -> None:
    """Hold the client's row until the transaction ends (PostgreSQL; SQLite's write
    transaction already serializes): two revocations arriving together take turns, so
    only the first finds the client still opted in."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Client.id).where(Client.id == client_id).with_for_update())
        client = session.get(Client, client_id)
        if client is not None:
            session.refresh(client)


def client_by_email(session: Session, *, email: str) -> Client | None:
    query = select(Client).where(func.lower(Client.email) == email.lower()).order_by(Client.id)
    return session.scalars(query).first() if email else None


def reply_by_provider_id(session: Session, *, channel: str, provider_id: str) -> Reply | None:
    query = select(Reply).where(Reply.channel == channel, Reply.provider_id == provider_id[:300])
    return session.scalars(query).first()


def latest_ask_to(session: Session, *, client_id: int, channel: str | None = None) -> Ask | None:
    """The client's most recent ask that went out (a reply answers the latest one)."""
    query = select(Ask).where(Ask.client_id == client_id, Ask.status.in_(REACHED))
    if channel:
        query = query.where(Ask.channel == channel)
    query = query.order_by(func.coalesce(Ask.sent_at, Ask.updated_at).desc(), Ask.id.desc())
    found = session.scalars(query.limit(1)).first()
    if found is None and channel:
        return latest_ask_to(session, client_id=client_id)
    return found


def ask_by_token(session: Session, *, token: str) -> Ask | None:
    return session.scalars(select(Ask).where(Ask.token == token)).first()


def replies(
    session: Session, *, kind: str | None = None, limit: int = 100, offset: int = 0
) -> list[Reply]:
    query = select(Reply)
    if kind:
        query = query.where(Reply.kind == kind)
    return list(session.scalars(query.order_by(Reply.id.desc()).limit(limit).offset(offset)))
