"""POST /hooks/events/{source}: Standard Webhooks signatures, freshness, replays."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from referral_engine import clock
from referral_engine.agency.service import update_settings
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event
from tests.factories import event

SECRET = "whsec_" + base64.b64encode(b"a shared secret of 32 bytes long").decode()


@pytest.fixture
def hooks(api: TestClient, ready_db: str) -> TestClient:
    with unit_of_work(ready_db) as session:
        update_settings(session, changes={"sources": {"applied-epic": {"webhook_secret": SECRET}}})
    api.headers.pop("Authorization")
    return api


def signed(
    body: str, *, message_id: str = "msg_1", at: datetime | None = None, secret: str = SECRET
) -> dict[str, str]:
    at = at or clock.wall()
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def events_stored(url: str) -> int:
    with unit_of_work(url) as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def test_a_signed_event_is_accepted(hooks: TestClient) -> None:
    body = json.dumps(event())
    response = hooks.post("/hooks/events/applied-epic", content=body, headers=signed(body))
    assert response.status_code == 202
    assert response.json() == {"event_id": "epic-778812-bind", "status": "accepted"}


def test_the_source_may_be_left_out_of_a_signed_body(hooks: TestClient, ready_db: str) -> None:
    document = event()
    del document["source"]
    body = json.dumps(document)
    assert (
        hooks.post("/hooks/events/applied-epic", content=body, headers=signed(body)).status_code
        == 202
    )
    assert events_stored(ready_db) == 1


def test_a_forged_signature_is_refused(hooks: TestClient, ready_db: str) -> None:
    body = json.dumps(event())
    forged = "whsec_" + base64.b64encode(b"not the secret at all, attacker").decode()
    response = hooks.post(
        "/hooks/events/applied-epic", content=body, headers=signed(body, secret=forged)
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert events_stored(ready_db) == 0


def test_a_body_changed_after_signing_is_refused(hooks: TestClient, ready_db: str) -> None:
    body = json.dumps(event())
    tampered = body.replace("1820.0", "99.0")
    response = hooks.post("/hooks/events/applied-epic", content=tampered, headers=signed(body))
    assert response.status_code == 401
    assert events_stored(ready_db) == 0


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_timestamp_more_than_five_minutes_off_is_refused(
    hooks: TestClient, skew: timedelta
) -> None:
    body = json.dumps(event())
    response = hooks.post(
        "/hooks/events/applied-epic", content=body, headers=signed(body, at=clock.wall() + skew)
    )
    assert response.status_code == 401
    assert "5 minutes" in response.json()["detail"]


def test_a_timestamp_four_minutes_old_is_accepted(hooks: TestClient) -> None:
    body = json.dumps(event())
    response = hooks.post(
        "/hooks/events/applied-epic",
        content=body,
        headers=signed(body, at=clock.wall() - timedelta(minutes=4)),
    )
    assert response.status_code == 202


def test_a_pinned_clock_accepts_a_signature_made_at_the_pinned_time(hooks: TestClient) -> None:
    pinned = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)
    clock.pin(pinned)
    body = json.dumps(event())
    response = hooks.post(
        "/hooks/events/applied-epic", content=body, headers=signed(body, at=pinned)
    )
    assert response.status_code == 202


def test_a_replayed_message_id_is_a_duplicate(hooks: TestClient, ready_db: str) -> None:
    body = json.dumps(event())
    hooks.post("/hooks/events/applied-epic", content=body, headers=signed(body))
    other = json.dumps(event(id="another-event"))
    replay = hooks.post(
        "/hooks/events/applied-epic", content=other, headers=signed(other, message_id="msg_1")
    )
    assert replay.status_code == 202
    assert replay.json()["status"] == "duplicate"
    assert events_stored(ready_db) == 1


def test_missing_signature_headers_are_refused(hooks: TestClient) -> None:
    response = hooks.post("/hooks/events/applied-epic", json=event())
    assert response.status_code == 401
    assert "missing" in response.json()["detail"]


def test_an_unconfigured_source_is_not_found(hooks: TestClient) -> None:
    body = json.dumps(event(source="unknown"))
    response = hooks.post("/hooks/events/unknown", content=body, headers=signed(body))
    assert response.status_code == 404


def test_a_signed_event_claiming_another_source_is_refused(
    hooks: TestClient, ready_db: str
) -> None:
    body = json.dumps(event(source="hawksoft"))
    response = hooks.post("/hooks/events/applied-epic", content=body, headers=signed(body))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "source"
    assert events_stored(ready_db) == 0


def test_a_rejected_message_may_be_retried_under_the_same_id_after_a_fix(
    hooks: TestClient, ready_db: str
) -> None:
    broken = json.dumps(event(client__email="not-an-email"))
    first = hooks.post(
        "/hooks/events/applied-epic", content=broken, headers=signed(broken, message_id="msg_9")
    )
    assert first.status_code == 422
    fixed = json.dumps(event())
    retry = hooks.post(
        "/hooks/events/applied-epic", content=fixed, headers=signed(fixed, message_id="msg_9")
    )
    assert retry.json() == {"event_id": "epic-778812-bind", "status": "accepted"}
    assert events_stored(ready_db) == 1


def test_a_replay_is_kept_as_a_duplicate_input(hooks: TestClient, ready_db: str) -> None:
    from referral_engine.events.models import RawInput

    body = json.dumps(event())
    headers = signed(body, message_id="msg_7")
    hooks.post("/hooks/events/applied-epic", content=body, headers=headers)
    replay = hooks.post("/hooks/events/applied-epic", content=body, headers=headers)
    assert replay.json()["status"] == "duplicate"
    with unit_of_work(ready_db) as session:
        outcomes = sorted(session.scalars(select(RawInput.outcome)).all())
    assert outcomes == ["accepted", "duplicate"]
