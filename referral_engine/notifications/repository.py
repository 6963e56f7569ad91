"""Every query the notifications area makes: the message rows it writes (once per key)
and the set-based reads of a review round (waiting asks, when each entered review, each
reviewer's last digest)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask, AskEntry, AskStatus
from referral_engine.contacts.models import Client
from referral_engine.delivery.models import Message
from referral_engine.users.models import User

DIGEST_KIND = "review_digest"


def insert_once(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert message rows whose ``dedupe_key`` is not taken yet; the others are left as
    they are (a second attempt for the same cause inserts nothing). Returns how many
    were inserted."""
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = 0
    for row in rows:
        statement = (
            insert(Message)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Message.id)
        )
        inserted += session.execute(statement).first() is not None
    return inserted


def users(session: Session, ids: Collection[int]) -> dict[int, User]:
    """The people with these ids, by id (one query)."""
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def waiting_asks(session: Session) -> list[tuple[Ask, Client]]:
    """Every ask waiting for review, with its client, oldest first."""
    query = (
        select(Ask, Client)
        .join(Client, Client.id == Ask.client_id)
        .where(Ask.status == AskStatus.pending_review)
        .order_by(Ask.expires_at, Ask.id)
    )
    return [(ask, client) for ask, client in session.execute(query).all()]


def entered_review(session: Session, ask_ids: Collection[int]) -> dict[int, datetime]:
    """When each ask last went to review (its latest ``pending_review`` decision)."""
    if not ask_ids:
        return {}
    query = (
        select(AskEntry.ask_id, func.max(AskEntry.at))
        .where(
            AskEntry.ask_id.in_(ask_ids),
            AskEntry.kind == "decision",
            AskEntry.status == AskStatus.pending_review,
        )
        .group_by(AskEntry.ask_id)
    )
    return {ask_id: at for ask_id, at in session.execute(query).all()}


def last_digests(session: Session, user_ids: Collection[int]) -> dict[int, datetime]:
    """When each person's latest review digest was written."""
    if not user_ids:
        return {}
    query = (
        select(Message.user_id, func.max(Message.created_at))
        .where(Message.kind == DIGEST_KIND, Message.user_id.in_(user_ids))
        .group_by(Message.user_id)
    )
    return {user_id: at for user_id, at in session.execute(query).all() if user_id is not None}


def unwarned_expiring(
    session: Session, *, now: datetime, before: datetime
) -> list[tuple[Ask, Client]]:
    """Asks waiting for review, not yet warned about, whose warmth window ends after
    ``now`` and no later than ``before``."""
    query = (
        select(Ask, Client)
        .join(Client, Client.id == Ask.client_id)
        .where(
            Ask.status == AskStatus.pending_review,
            Ask.expiry_warned_at.is_(None),
            Ask.expires_at > now,
            Ask.expires_at <= before,
        )
        .order_by(Ask.expires_at, Ask.id)
    )
    return [(ask, client) for ask, client in session.execute(query).all()]
