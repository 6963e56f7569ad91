"""Emit a state change to the subscribers that want it: the durable outbox.

What a caller may rely on: :func:`emit` only adds rows to the caller's session (it never
commits), so the event and its deliveries are stored exactly when the state change they
report is, and vanish with it when the transaction rolls back. An event no subscriber
wants stores nothing. The ``id`` of an event (``msg_…``) is its ``webhook-id`` on every
attempt, and a resend, to every subscriber.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.webhooks import repository
from referral_engine.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from referral_engine.webhooks.types import EVENT_TYPES, wants


def new_message_id() -> str:
    """A fresh, unguessable Standard Webhooks message id."""
    return f"msg_{secrets.token_hex(14)}"


def instant(value: datetime | None) -> str | None:
    """An instant as the payloads write it: ISO 8601 in UTC with a ``Z``."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def wanted(session: Session, type: str) -> bool:
    """Does any subscriber take ``type``? (Cheap: the settings are read once per
    transaction.) Callers skip building a payload nobody wants."""
    from referral_engine.sources import writeback

    settings = load_settings(session)
    if type in writeback.EVENTS and writeback.sources(settings):
        return True
    return any(wants(hook.events, type) for hook in settings.webhooks.values())


def emit(
    session: Session,
    *,
    type: str,
    data: dict[str, Any],
    client_id: int | None,
    now: datetime,
) -> WebhookEvent | None:
    """Store ``type`` with ``data`` for every ``[webhooks.NAME]`` subscriber whose
    ``events`` take it, and every source that writes back about this client, in the
    caller's transaction; None when no subscriber does."""
    from referral_engine.sources import writeback

    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    settings = load_settings(session)
    names = [name for name, hook in settings.webhooks.items() if wants(hook.events, type)]
    names += writeback.takes(settings, session, type, client_id)
    if not names:
        return None
    message_id = new_message_id()
    body = {"type": type, "id": message_id, "occurred_at": instant(now), "data": data}
    event = WebhookEvent(
        message_id=message_id,
        type=type,
        client_id=client_id,
        occurred_at=now,
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=False),
    )
    for name in names:
        event.deliveries.append(
            WebhookDelivery(
                subscriber=name,
                client_id=client_id,
                status=DeliveryStatus.pending,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.add(event)
    return event


class DeliveryNotFound(LookupError):
    """No webhook delivery with that id (HTTP 404)."""


class ResendRefused(ValueError):
    """A delivery that cannot be resent now (HTTP 409): on its way already, or its
    subscriber is gone from the settings."""


def resend(session: Session, *, delivery_id: int, by: str, now: datetime) -> WebhookDelivery:
    """Send a delivery again at once, with the same ``webhook-id`` and body, outside its
    client's order; it has three days from its next attempt, like a new one."""
    delivery = repository.get(session, delivery_id, for_update=True)
    if delivery is None:
        raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
    if delivery.status in (DeliveryStatus.pending, DeliveryStatus.sending):
        raise ResendRefused(f"webhook delivery {delivery_id} is {delivery.status} already")
    from referral_engine.sources import writeback

    settings = load_settings(session)
    if delivery.subscriber not in [*settings.webhooks, *writeback.sources(settings)]:
        raise ResendRefused(
            f"no [webhooks.{delivery.subscriber}] in the settings: add it back to resend"
        )
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = now
    delivery.give_up_at = None
    delivery.resent_at = now
    delivery.resent_by = by
    session.flush()
    return delivery
