"""The webhooks API (principals and admins): deliveries, their attempts, a resend."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.users.models import MANAGERS
from referral_engine.web.deps import ApiUser, DbSession, require_role
from referral_engine.web.problems import Problem
from referral_engine.webhooks import repository, service
from referral_engine.webhooks.models import DeliveryStatus, WebhookDelivery
from referral_engine.webhooks.service import instant

router = APIRouter(tags=["webhooks"])


def delivery_read(delivery: WebhookDelivery, external_ids: dict[int, str | None]) -> dict[str, Any]:
    """A delivery as the API and the Webhooks page show it."""
    event = delivery.event
    return {
        "id": delivery.id,
        "webhook_id": event.message_id,
        "type": event.type,
        "subscriber": delivery.subscriber,
        "client_external_id": external_ids.get(delivery.client_id or 0),
        "status": str(delivery.status),
        "attempts": delivery.attempts,
        "next_attempt_at": (
            instant(delivery.next_attempt_at)
            if delivery.status in (DeliveryStatus.pending, DeliveryStatus.retrying)
            else None
        ),
        "give_up_at": instant(delivery.give_up_at),
        "last_attempt_at": instant(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": instant(delivery.delivered_at),
        "resent_at": instant(delivery.resent_at),
        "resent_by": delivery.resent_by,
        "occurred_at": instant(event.occurred_at),
        "created_at": instant(delivery.created_at),
    }


def read_all(session: Session, found: list[WebhookDelivery]) -> list[dict[str, Any]]:
    ids = repository.external_ids(session, {d.client_id for d in found if d.client_id})
    return [delivery_read(d, ids) for d in found]


@router.get("/api/v1/webhooks/deliveries")
def list_deliveries(
    user: ApiUser,
    session: DbSession,
    status: DeliveryStatus | None = Query(None, description="pending, sending, retrying, …"),
    subscriber: str | None = Query(None, description="a [webhooks.NAME] name"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Webhook deliveries, newest first, with their status, attempts and last error."""
    require_role(user, *MANAGERS)
    found = repository.deliveries(
        session, status=status, subscriber=subscriber, limit=limit, offset=offset
    )
    return read_all(session, list(found))


@router.get("/api/v1/webhooks/deliveries/{delivery_id}")
def show_delivery(delivery_id: int, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """One delivery with the body sent and every attempt (status code, error, when)."""
    require_role(user, *MANAGERS)
    delivery = repository.get(session, delivery_id)
    if delivery is None:
        raise Problem(
            404, "No such delivery", f"no webhook delivery {delivery_id}", kind="not-found"
        )
    [read] = read_all(session, [delivery])
    read["body"] = delivery.event.body
    read["attempt_log"] = [
        {
            "at": instant(a.at),
            "status_code": a.status_code,
            "error": a.error,
            "duration_ms": a.duration_ms,
        }
        for a in repository.attempts(session, delivery_id=delivery.id)
    ]
    return read


@router.post("/api/v1/webhooks/deliveries/{delivery_id}/resend")
def resend_delivery(delivery_id: int, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """Send a delivery again at the sender's next pass: same ``webhook-id``, same body."""
    require_role(user, *MANAGERS)
    try:
        delivery = service.resend(
            session, delivery_id=delivery_id, by=user.name or user.email, now=clock.now()
        )
    except service.DeliveryNotFound as exc:
        raise Problem(404, "No such delivery", str(exc), kind="not-found") from exc
    except service.ResendRefused as exc:
        raise Problem(409, "Cannot resend", str(exc), kind="conflict") from exc
    [read] = read_all(session, [delivery])
    return read
