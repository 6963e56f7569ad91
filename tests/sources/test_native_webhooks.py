"""POST /hooks/events/{source} with the source's own payload: EZLynx PolicyCreated /
PolicyUpdated and a Momentum event-queue message, read into canonical events."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from referral_engine import clock
from tests.agency import Agency
from tests.conftest import ADMIN_TOKEN, at
from tests.sources.momentum_standin import policy

SECRET = "whsec_" + base64.b64encode(b"the native secret, 32 bytes long").decode()
NOW = "2026-12-01T16:00:00Z"


def ezlynx(kind: str = "PolicyCreated", **policy_fields: Any) -> dict[str, Any]:
    return {
        "EventType": kind,
        "EventId": "evt-1",
        "EventDate": "2026-12-01T15:00:00Z",
        "Applicant": {
            "ApplicantId": "A-77",
            "FirstName": "Dana",
            "LastName": "Reyes",
            "Email": "dana@example.com",
            "CellPhone": "+13125550123",
            "ZipCode": "60601",
        },
        "Policy": {
            "PolicyId": "P-1",
            "PolicyNumber": "EZ-1001",
            "LineOfBusiness": "AUTOP",
            "Carrier": "Progressive",
            "Premium": 1820.0,
            "EffectiveDate": "2026-12-01",
            "TransactionType": "New Business",
            "PolicyStatus": "Active",
            "BindDate": "2026-12-01T09:00:00-06:00",
            **policy_fields,
        },
    }


@pytest.fixture
def hooks(agency: Agency) -> TestClient:
    agency.configure(
        f'[sources.ezlynx]\nwebhook_secret = "{SECRET}"\nprofile = "ezlynx"\n\n'
        f'[sources.momentum-queue]\nwebhook_secret = "{SECRET}"\nprofile = "momentum"\n'
    )
    agency.api.headers.pop("Authorization")
    return agency.api


def deliver(api: TestClient, source: str, message: Any, message_id: str) -> Any:
    body = json.dumps(message)
    stamp = clock.wall()
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id=message_id, timestamp=stamp, data=body),
        "content-type": "application/json",
    }
    with clock.frozen(at(NOW)):
        return api.post(f"/hooks/events/{source}", content=body, headers=headers)


def test_an_ezlynx_policy_created_then_updated_is_one_bind_and_one_ask(
    agency: Agency, hooks: TestClient
) -> None:
    created = deliver(hooks, "ezlynx", ezlynx(), "m1")
    assert created.status_code == 202
    assert created.json() == {"event_id": "policy-P-1-new", "status": "accepted"}
    updated = deliver(hooks, "ezlynx", ezlynx("PolicyUpdated", Premium=1900.0), "m2")
    assert updated.json() == {"event_id": "policy-P-1-new", "status": "duplicate"}

    agency.api.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    agency.tick("2026-12-01T16:05:00Z")
    asks = agency.asks(client_external_id="A-77")
    assert len(asks) == 1 and asks[0]["trigger"] == "policy.bound"
    kept = agency.api.get("/api/v1/events", params={"source": "ezlynx"}).json()
    assert '"EventType": "PolicyCreated"' in kept[-1]["body"]  # the message as sent


@pytest.mark.parametrize(
    "message",
    [
        {"EventType": "ApplicantCreated", "Applicant": {"ApplicantId": "A-1"}},
        ezlynx(PolicyStatus="Quote"),
        ezlynx(TransactionType="Endorsement"),
    ],
    ids=["another-event-type", "a-quote", "an-endorsement"],
)
def test_an_ezlynx_message_that_is_no_moment_is_ignored(
    hooks: TestClient, message: dict[str, Any]
) -> None:
    response = deliver(hooks, "ezlynx", message, "m-ignored")
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"


def test_a_message_not_in_the_sources_format_is_rejected_and_kept(
    agency: Agency, hooks: TestClient
) -> None:
    canonical = {"id": "x-1", "type": "policy.bound", "client": {}}
    response = deliver(hooks, "ezlynx", canonical, "m-wrong")
    assert response.status_code == 422
    assert "EventType" in response.json()["detail"]
    rejected = agency.api.get(
        "/api/v1/events",
        params={"outcome": "rejected"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    ).json()
    assert [(r["source"], r["channel"]) for r in rejected] == [("ezlynx", "webhook")]


def test_a_momentum_queue_message_is_read_by_the_momentum_rules(hooks: TestClient) -> None:
    message = {
        "EventType": "PolicyInserted",
        "MessageId": "q-1",
        "Entity": policy("1001", "2026-12-01T08:00:00"),
    }
    response = deliver(hooks, "momentum-queue", message, "q-1")
    assert response.json() == {"event_id": "policy-1001-new", "status": "accepted"}
    quote = {
        "EventType": "PolicyUpdated",
        "Entity": policy("1002", "2026-12-01T08:00:00", isQuote=True),
    }
    assert deliver(hooks, "momentum-queue", quote, "q-2").json()["status"] == "ignored"


def test_a_native_profile_must_be_one_the_service_reads(agency: Agency) -> None:
    path = agency.tmp / "bad.toml"
    path.write_text(
        f'[sources.ams]\nwebhook_secret = "{SECRET}"\nprofile = "acme-ams"\n', encoding="utf-8"
    )
    out = agency.run("init", "--config", str(path), now=NOW, expect=2)
    assert "ezlynx, momentum" in out
