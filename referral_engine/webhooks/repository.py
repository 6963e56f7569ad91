"""Every query of the webhook outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from referral_engine.contacts.models import Client
from referral_engine.search import Search, matching, page_of
from referral_engine.webhooks.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)


def due(
    session: Session, *, now: datetime, limit: int, skip: set[str] | None = None
) -> Sequence[WebhookDelivery]:
    """Deliveries due at ``now`` that their client's order lets go: none earlier for the
    same subscriber and client still on its way (a resent one neither waits nor holds);
    none to the subscribers in ``skip``.

    On PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``: two senders never take
    the same delivery; on SQLite the write transaction serializes senders.
    """
    earlier = aliased(WebhookDelivery)
    waits = (
        select(earlier.id)
        .where(
            earlier.subscriber == WebhookDelivery.subscriber,
            earlier.client_id == WebhookDelivery.client_id,
            earlier.id < WebhookDelivery.id,
            earlier.status.in_(OPEN_STATUSES),
            earlier.resent_at.is_(None),
        )
        .exists()
    )
    query = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status.in_((DeliveryStatus.pending, DeliveryStatus.retrying)),
            WebhookDelivery.next_attempt_at <= now,
            or_(
                WebhookDelivery.client_id.is_(None),
                WebhookDelivery.resent_at.is_not(None),
                ~waits,
            ),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if skip:
        query = query.where(WebhookDelivery.subscriber.not_in(sorted(skip)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    return session.scalars(query).all()


def stale_sending(session: Session, *, before: datetime) -> Sequence[WebhookDelivery]:
    """Deliveries a sender took before ``before`` (wall clock) and never finished."""
    query = select(WebhookDelivery).where(
        WebhookDelivery.status == DeliveryStatus.sending,
        WebhookDelivery.sending_started_at < before,
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def event_of(session: Session, delivery: WebhookDelivery) -> WebhookEvent:
    event = session.get(WebhookEvent, delivery.event_id)
    assert event is not None
    return event


def get(session: Session, delivery_id: int, *, for_update: bool = False) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).first()


def deliveries(
    session: Session,
    *,
    status: str | None = None,
    subscriber: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[WebhookDelivery]:
    """Deliveries newest first, with their events loaded."""
    query = select(WebhookDelivery).options(selectinload(WebhookDelivery.event))
    if status:
        query = query.where(WebhookDelivery.status == status)
    if subscriber:
        query = query.where(WebhookDelivery.subscriber == subscriber)
    query = query.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)
    return session.scalars(query).all()


def attempts(session: Session, *, delivery_id: int) -> Sequence[WebhookAttempt]:
    return session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)
    ).all()


def external_ids(session: Session, client_ids: set[int]) -> dict[int, str | None]:
    """The clients' external ids, by client id, in one query."""
    if not client_ids:
        return {}
    rows = session.execute(select(Client.id, Client.external_id).where(Client.id.in_(client_ids)))
    return {row.id: row.external_id for row in rows}


def delivery_page(
    session: Session,
    *,
    search: Search,
    status: str | None = None,
    subscriber: str | None = None,
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[WebhookDelivery], int]:
    """One page of deliveries, newest first by default, with their events loaded, and
    how many match. Search: the event type, the webhook id, the subscriber, the last
    error, the client's name or id."""
    query = (
        select(WebhookDelivery)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .outerjoin(Client, Client.id == WebhookDelivery.client_id)
        .options(selectinload(WebhookDelivery.event))
    )
    query = query.where(
        matching(
            search,
            text=[
                WebhookEvent.type,
                WebhookEvent.message_id,
                WebhookDelivery.subscriber,
                WebhookDelivery.last_error,
                Client.first_name,
                Client.last_name,
                Client.external_id,
            ],
        )
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    if subscriber:
        query = query.where(WebhookDelivery.subscriber == subscriber)
    query = query.order_by(WebhookDelivery.id.desc() if descending else WebhookDelivery.id)
    found, total = page_of(session, query, key=WebhookDelivery.id, limit=limit, offset=offset)
    return [delivery for (delivery,) in found], total
