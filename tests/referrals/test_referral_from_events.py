"""Referrals an AMS records in an event's ``referral`` field (capture_from_event, called as
the decision step will call it, inside one unit of work)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from referral_engine.referrals.service import capture_from_event, convert_on_bind
from tests.factories import event
from tests.referrals.support import new_client_event, refer, referral_body, run_hook, tasks_of

BY_DANA = {"kind": "client", "external_id": "C-1001", "name": None}
BY_REALTOR = {"kind": "partner", "name": "Oak Street Realty", "partner_type": "Realtor"}


def ingest(api: TestClient, document: dict[str, Any]) -> str:
    response = api.post("/api/v1/events", json=document)
    assert response.status_code == 202, response.text
    return str(document["id"])


def read(api: TestClient, referral_id: int | None) -> dict[str, Any]:
    assert referral_id is not None
    return dict(api.get(f"/api/v1/referrals/{referral_id}").json())


def lee_bound(referred_by: dict[str, Any], event_id: str = "lee-bind") -> dict[str, Any]:
    """Lee Park binds as a new client; the AMS records who referred Lee."""
    document = new_client_event(event_id)
    document["referral"] = {"prospect": {"first_name": "Lee"}, "referred_by": referred_by}
    return document


def test_a_new_client_bound_with_a_referring_client_is_a_converted_referral(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    event_id = ingest(api, lee_bound(BY_DANA))
    referral = read(api, run_hook(ready_db, event_id, capture_from_event))
    assert (referral["status"], referral["captured_via"]) == ("converted", "event")
    assert referral["prospect"]["email"] == "lee.park@example.com"  # from the client record
    assert referral["prospect"]["client_id"] is not None
    assert referral["referred_by"]["name"] == "Dana Reyes"
    assert referral["referred_by"]["client_id"] is not None
    assert referral["converted_policy_number"] == "HO-5521"
    assert referral["tags"][:2] == ["Referral – New", "Referred by Client"]


def test_a_referral_bound_already_is_thanked_but_gets_no_contact_task(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = run_hook(ready_db, ingest(api, lee_bound(BY_DANA)), capture_from_event)
    assert referral_id is not None
    assert set(tasks_of(api, referral_id)) == set(), "Dana is thanked by a message"
    assert "Referral – Thanked" in read(api, referral_id)["tags"]


def test_the_bind_hook_after_capture_returns_the_same_referral(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    event_id = ingest(api, lee_bound(BY_DANA))
    captured = run_hook(ready_db, event_id, capture_from_event)
    assert run_hook(ready_db, event_id, convert_on_bind) == captured


def test_capture_from_an_event_is_idempotent(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    event_id = ingest(api, lee_bound(BY_DANA))
    first = run_hook(ready_db, event_id, capture_from_event)
    again = run_hook(ready_db, event_id, capture_from_event, now="2026-11-25T15:00:00Z")
    assert first == again
    assert len(api.get("/api/v1/referrals").json()) == 1


def test_a_partner_recorded_by_the_ams_is_found_or_made(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    document = new_client_event("lee-update", event_type="client.updated")
    document.update(
        policy=None, referral={"prospect": {"first_name": "Lee"}, "referred_by": BY_REALTOR}
    )
    referral = read(api, run_hook(ready_db, ingest(api, document), capture_from_event))
    assert referral["status"] == "new"
    assert "Source – Realtor" in referral["tags"]
    assert [p["kind"] for p in api.get("/api/v1/partners").json()] == ["realtor"]
    assert set(tasks_of(api, referral["id"])) == {"priority_contact", "thank_referrer"}


def test_a_client_who_names_someone_else_is_the_referrer(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    document = event(
        id="dana-feedback",
        type="feedback.received",
        policy=None,
        feedback={"score": 10, "text": "Loved it; my neighbor Lee needs home insurance"},
        referral={
            "prospect": {"first_name": "Lee", "last_name": "Park", "mobile": "312-555-0188"},
            "referred_by": BY_DANA,
        },
    )
    referral = read(api, run_hook(ready_db, ingest(api, document), capture_from_event))
    assert referral["status"] == "new"
    assert referral["prospect"]["mobile"] == "+13125550188"
    assert referral["prospect"]["client_id"] is None
    assert referral["referred_by"]["name"] == "Dana Reyes"
    assert set(tasks_of(api, referral["id"])) == {"priority_contact"}
    assert "Referral – Thanked" in referral["tags"], "Dana is thanked by a message"


def test_an_open_referral_of_the_same_person_is_linked_not_duplicated(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    captured = refer(api, referral_body())
    event_id = ingest(api, lee_bound(BY_REALTOR))
    assert run_hook(ready_db, event_id, capture_from_event) == captured["id"]
    referral = read(api, captured["id"])
    assert referral["referred_by"]["name"] == "Dana Reyes"  # the attribution made here stays
    assert referral["status"] == "converted"
    assert "event" in [e["kind"] for e in referral["timeline"]]
    assert len(api.get("/api/v1/referrals").json()) == 1
    assert api.get("/api/v1/partners").json() == []


def test_an_event_without_a_referral_captures_nothing(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    assert run_hook(ready_db, "epic-778812-bind", capture_from_event) is None
    assert api.get("/api/v1/referrals").json() == []


def test_an_event_naming_no_referrer_still_captures_the_referral(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    document = new_client_event("lee-update", event_type="client.updated")
    referral_field = {"prospect": {"first_name": "Lee"}, "referred_by": {"kind": "partner"}}
    document.update(policy=None, referral=referral_field)
    referral = read(api, run_hook(ready_db, ingest(api, document), capture_from_event))
    assert referral["referred_by"] == {
        "kind": "partner",
        "external_id": None,
        "name": None,
        "client_id": None,
        "partner_id": None,
        "partner_kind": None,
    }
    assert "Source – Partner" in referral["tags"]
