"""A bind converts the open referral whose prospect it is (convert_on_bind, called as the
decision step will call it, inside one unit of work)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.referrals.service import convert_on_bind
from tests.conftest import at
from tests.factories import event
from tests.referrals.support import (
    draft,
    new_client_event,
    patch,
    refer,
    referral_body,
    run_hook,
    tasks_of,
)

BOUND = "2026-11-30T16:00:00Z"


def ingest(api: TestClient, document: dict[str, Any]) -> str:
    response = api.post("/api/v1/events", json=document)
    assert response.status_code == 202, response.text
    return str(document["id"])


def read(api: TestClient, referral_id: int) -> dict[str, Any]:
    return dict(api.get(f"/api/v1/referrals/{referral_id}").json())


@pytest.fixture
def lee(api: TestClient, dana: dict[str, Any]) -> dict[str, Any]:
    return refer(api, referral_body())


def test_a_bind_by_the_prospects_email_converts_the_referral(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    event_id = ingest(api, new_client_event("lee-bind", mobile=None))
    assert run_hook(ready_db, event_id, convert_on_bind, now=BOUND) == lee["id"]
    referral = read(api, lee["id"])
    assert referral["status"] == "converted"
    assert referral["converted_at"].startswith("2026-11-30T16:00:00")
    assert referral["converted_policy_number"] == "HO-5521"
    assert (referral["converted_premium"], referral["converted_commission"]) == (1400.0, 168.0)
    assert referral["prospect"]["client_id"] is not None
    assert "Referral – Converted" in referral["tags"]


def test_the_conversion_is_on_the_timeline_and_credits_the_referrer(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    run_hook(ready_db, ingest(api, new_client_event("lee-bind")), convert_on_bind, now=BOUND)
    last = read(api, lee["id"])["timeline"][-1]
    assert (last["kind"], last["status"]) == ("converted", "converted")
    assert "bound HO-5521 (HOME)" in last["detail"]
    assert "credited to Dana Reyes (client)" in last["detail"]


def test_a_bind_by_the_prospects_mobile_converts_the_referral(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    document = new_client_event("lee-bind", email="lee@work.example", first_name="Leonard")
    assert run_hook(ready_db, ingest(api, document), convert_on_bind, now=BOUND) == lee["id"]


def test_a_bind_by_name_in_the_same_postal_code_converts_the_referral(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    document = new_client_event(
        "lee-bind", email="lee@work.example", mobile="+13125550999", postal_code="60614-2201"
    )
    assert run_hook(ready_db, ingest(api, document), convert_on_bind, now=BOUND) == lee["id"]


def test_the_same_name_in_another_postal_code_is_another_person(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    document = new_client_event(
        "lee-bind", email="lee@work.example", mobile="+13125550999", postal_code="73301"
    )
    assert run_hook(ready_db, ingest(api, document), convert_on_bind, now=BOUND) is None
    assert read(api, lee["id"])["status"] == "new"


def test_a_renewal_converts_nothing(api: TestClient, ready_db: str, lee: dict[str, Any]) -> None:
    document = new_client_event("lee-renewal", event_type="policy.renewed")
    document["policy"]["transaction"] = "renewal"
    assert run_hook(ready_db, ingest(api, document), convert_on_bind, now=BOUND) is None
    assert read(api, lee["id"])["status"] == "new"


def test_a_rewrite_converts(api: TestClient, ready_db: str, lee: dict[str, Any]) -> None:
    document = new_client_event("lee-rewrite")
    document["policy"]["transaction"] = "REW"
    assert run_hook(ready_db, ingest(api, document), convert_on_bind, now=BOUND) == lee["id"]


def test_a_quoting_referral_converts(api: TestClient, ready_db: str, lee: dict[str, Any]) -> None:
    patch(api, lee["id"], {"status": "quoting"})
    run_hook(ready_db, ingest(api, new_client_event("lee-bind")), convert_on_bind, now=BOUND)
    assert read(api, lee["id"])["status"] == "converted"


def test_a_lost_referral_is_not_converted_by_a_later_bind(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    patch(api, lee["id"], {"status": "not_converted", "reason": "price"})
    assert (
        run_hook(ready_db, ingest(api, new_client_event("lee-bind")), convert_on_bind, now=BOUND)
        is None
    )
    assert read(api, lee["id"])["status"] == "not_converted"


def test_a_disputed_referral_converts_and_stays_disputed(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    patch(api, lee["id"], {"disputed": True})
    run_hook(ready_db, ingest(api, new_client_event("lee-bind")), convert_on_bind, now=BOUND)
    referral = read(api, lee["id"])
    assert (referral["status"], referral["disputed"]) == ("converted", True)
    assert "the attribution is disputed" in referral["timeline"][-1]["detail"]


def test_conversion_is_idempotent_per_event(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    event_id = ingest(api, new_client_event("lee-bind"))
    first = run_hook(ready_db, event_id, convert_on_bind, now=BOUND)
    again = run_hook(ready_db, event_id, convert_on_bind, now="2026-12-01T16:00:00Z")
    assert first == again == lee["id"]
    referral = read(api, lee["id"])
    assert referral["converted_at"].startswith("2026-11-30T16:00:00")
    assert [e["kind"] for e in referral["timeline"]].count("converted") == 1


def test_the_oldest_open_referral_of_the_same_person_gets_the_credit(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    second = refer(api, referral_body(referred_by={"kind": "external", "name": "Website"}))
    run_hook(ready_db, ingest(api, new_client_event("lee-bind")), convert_on_bind, now=BOUND)
    assert read(api, lee["id"])["status"] == "converted"
    assert read(api, second["id"])["status"] == "new"


def test_conversion_closes_the_open_contact_task(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    run_hook(ready_db, ingest(api, new_client_event("lee-bind")), convert_on_bind, now=BOUND)
    task = tasks_of(api, lee["id"])["priority_contact"]
    assert task["status"] == "done"


def test_a_client_is_never_their_own_referral(api: TestClient, ready_db: str) -> None:
    clock.pin(at("2026-11-24T15:00:00Z"))
    ingest(api, event())
    refer(api, referral_body(prospect={"first_name": "Dana", "email": "dana@example.com"}))
    document = event(id="dana-second-bind", policy__number="HO-1")
    assert run_hook(ready_db, ingest(api, document), convert_on_bind, now=BOUND) is None


def test_a_bind_confirms_a_referral_still_drafted_from_a_reply(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    """Maria, drafted from Dana's reply and never confirmed, binds: the bind is proof
    enough, so she counts as received then, without the draft tag."""
    referral_id = draft(ready_db)
    maria = new_client_event(
        "maria-bind",
        external_id="C-3003",
        first_name="Maria",
        last_name="Lopez",
        email="maria@example.com",
        mobile="+13125550142",
    )
    assert run_hook(ready_db, ingest(api, maria), convert_on_bind, now=BOUND) == referral_id
    referral = read(api, referral_id)
    assert referral["status"] == "converted" and referral["needs_confirmation"] is False
    assert referral["received_at"].startswith("2026-11-30T16:00:00")
    assert "Referral – Draft" not in referral["tags"]
    assert "the bind confirms the referral drafted" in referral["timeline"][-1]["detail"]
