"""Working a referral through PATCH: status moves, the lost reason, disputes, tags, notes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.users.models import Role
from tests.conftest import at
from tests.referrals.support import patch, person, refer, referral_body, tasks_of


@pytest.fixture
def lee(api: TestClient, dana: dict[str, Any]) -> dict[str, Any]:
    """Lee Park, referred by Dana Reyes this morning."""
    return refer(api, referral_body())


def test_contact_within_24_hours_meets_the_sla_and_closes_the_contact_task(
    api: TestClient, lee: dict[str, Any]
) -> None:
    clock.pin(at("2026-11-24T20:00:00Z"))
    response = patch(api, lee["id"], {"status": "contacted"})
    assert response.status_code == 200, response.text
    referral = response.json()
    assert referral["contacted_at"].startswith("2026-11-24T20:00:00")
    assert referral["sla_met"] is True
    assert tasks_of(api, lee["id"])["priority_contact"]["status"] == "done"
    assert "within the 24-hour SLA" in referral["timeline"][-1]["detail"]


def test_contact_after_24_hours_misses_the_sla(api: TestClient, lee: dict[str, Any]) -> None:
    clock.pin(at("2026-11-25T18:00:00Z"))
    referral = patch(api, lee["id"], {"status": "contacted"}).json()
    assert referral["sla_met"] is False
    assert "3.0 hours after the 24-hour SLA" in referral["timeline"][-1]["detail"]


def test_quoting_stamps_first_contact_and_the_quote(api: TestClient, lee: dict[str, Any]) -> None:
    referral = patch(api, lee["id"], {"status": "quoting"}).json()
    assert referral["status"] == "quoting"
    assert referral["contacted_at"] == referral["quoted_at"] is not None


def test_a_later_move_keeps_the_first_contact_time(api: TestClient, lee: dict[str, Any]) -> None:
    patch(api, lee["id"], {"status": "contacted"})
    first = api.get(f"/api/v1/referrals/{lee['id']}").json()["contacted_at"]
    clock.pin(at("2026-11-26T15:00:00Z"))
    referral = patch(api, lee["id"], {"status": "quoting"}).json()
    assert referral["contacted_at"] == first


def test_not_converted_needs_a_reason(api: TestClient, lee: dict[str, Any]) -> None:
    response = patch(api, lee["id"], {"status": "not_converted"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "reason"
    assert api.get(f"/api/v1/referrals/{lee['id']}").json()["status"] == "new"


def test_not_converted_refuses_an_unknown_reason(api: TestClient, lee: dict[str, Any]) -> None:
    response = patch(api, lee["id"], {"status": "not_converted", "reason": "mood"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


def test_a_reason_with_another_status_is_refused(api: TestClient, lee: dict[str, Any]) -> None:
    response = patch(api, lee["id"], {"status": "contacted", "reason": "price"})
    assert response.status_code == 422
    assert api.get(f"/api/v1/referrals/{lee['id']}").json()["contacted_at"] is None


@pytest.mark.parametrize("reason", ["price", "timing", "coverage", "unreachable", "other"])
def test_not_converted_with_a_reason_closes_and_tags_it(
    api: TestClient, lee: dict[str, Any], reason: str
) -> None:
    referral = patch(api, lee["id"], {"status": "not_converted", "reason": reason}).json()
    assert (referral["status"], referral["reason"]) == ("not_converted", reason)
    assert referral["closed_at"] is not None
    assert "Referral – Not Converted" in referral["tags"]
    assert tasks_of(api, lee["id"])["priority_contact"]["status"] == "done"


def test_marking_converted_by_hand_keeps_the_policy(api: TestClient, lee: dict[str, Any]) -> None:
    body = {"status": "converted", "policy_number": "HO-5521", "premium": 1400}
    referral = patch(api, lee["id"], body).json()
    assert referral["status"] == "converted"
    assert referral["converted_at"] is not None
    assert (referral["converted_policy_number"], referral["converted_premium"]) == (
        "HO-5521",
        1400,
    )
    assert "Referral – Converted" in referral["tags"]


def test_policy_facts_without_status_converted_are_refused(
    api: TestClient, lee: dict[str, Any]
) -> None:
    response = patch(api, lee["id"], {"policy_number": "HO-5521"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "policy_number"


@pytest.mark.parametrize(
    ("final", "then"),
    [
        ({"status": "converted"}, {"status": "contacted"}),
        ({"status": "not_converted", "reason": "price"}, {"status": "quoting"}),
        ({"status": "not_converted", "reason": "price"}, {"status": "converted"}),
        ({"status": "converted"}, {"status": "not_converted", "reason": "timing"}),
        ({"status": "not_converted", "reason": "price"}, {"reason": "timing"}),
    ],
)
def test_a_final_status_is_a_conflict_for_anyone_but_an_admin(
    api: TestClient, ready_db: str, lee: dict[str, Any], final: dict[str, Any], then: dict[str, Any]
) -> None:
    patch(api, lee["id"], final)
    before = api.get(f"/api/v1/referrals/{lee['id']}").json()
    producer = person(ready_db, "sam@agency.example", Role.producer)
    response = patch(api, lee["id"], then, token=producer)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get(f"/api/v1/referrals/{lee['id']}").json() == before


def test_restating_a_final_status_is_not_a_move(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    patch(api, lee["id"], {"status": "not_converted", "reason": "price"})
    csr = person(ready_db, "casey@agency.example", Role.csr)
    body = {"status": "not_converted", "reason": "price", "notes": "Went with a cheaper carrier"}
    response = patch(api, lee["id"], body, token=csr)
    assert response.status_code == 200, response.text
    assert response.json()["notes"] == "Went with a cheaper carrier"


def test_an_admin_may_reopen_a_lost_referral(api: TestClient, lee: dict[str, Any]) -> None:
    patch(api, lee["id"], {"status": "not_converted", "reason": "unreachable"})
    referral = patch(api, lee["id"], {"status": "contacted"}).json()
    assert (referral["status"], referral["reason"], referral["closed_at"]) == (
        "contacted",
        None,
        None,
    )
    assert "Referral – Not Converted" not in referral["tags"]
    assert "an admin changed the final status" in referral["timeline"][-1]["detail"]


def test_status_changes_are_on_the_timeline_with_who_and_when(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    csr = person(ready_db, "casey@agency.example", Role.csr)
    clock.pin(at("2026-11-24T16:30:00Z"))
    patch(api, lee["id"], {"status": "contacted"}, token=csr)
    clock.pin(at("2026-11-25T16:30:00Z"))
    referral = patch(api, lee["id"], {"status": "quoting"}, token=csr).json()
    changes = [e for e in referral["timeline"] if e["kind"] == "status"]
    assert [(e["status"], e["actor"], e["at"][:16]) for e in changes] == [
        ("contacted", "Casey", "2026-11-24T16:30"),
        ("quoting", "Casey", "2026-11-25T16:30"),
    ]
    assert changes[0]["detail"].startswith("new → contacted")


def test_disputing_an_attribution_records_who_and_when(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    producer = person(ready_db, "kim@agency.example", Role.producer)
    clock.pin(at("2026-11-25T16:00:00Z"))
    referral = patch(api, lee["id"], {"disputed": True}, token=producer).json()
    assert referral["disputed"] is True
    assert referral["disputed_by"] == "Kim"
    assert referral["disputed_at"].startswith("2026-11-25T16:00:00")
    last = referral["timeline"][-1]
    assert (last["kind"], last["detail"], last["actor"]) == (
        "disputed",
        "attribution disputed",
        "Kim",
    )


def test_resolving_a_dispute_is_recorded_too(api: TestClient, lee: dict[str, Any]) -> None:
    patch(api, lee["id"], {"disputed": True})
    clock.pin(at("2026-11-26T16:00:00Z"))
    referral = patch(api, lee["id"], {"disputed": False}).json()
    assert referral["disputed"] is False
    assert referral["disputed_at"].startswith("2026-11-26T16:00:00")
    assert referral["timeline"][-1]["detail"] == "dispute resolved"


def test_tags_are_replaced_and_deduplicated(api: TestClient, lee: dict[str, Any]) -> None:
    body = {"tags": ["Referral – New", "Fleet", "fleet", "  Fleet  "]}
    referral = patch(api, lee["id"], body).json()
    assert referral["tags"] == ["Referral – New", "Fleet"]
    assert referral["timeline"][-1]["kind"] == "tags"


def test_notes_are_replaced_and_the_edit_is_on_the_timeline(
    api: TestClient, lee: dict[str, Any]
) -> None:
    referral = patch(api, lee["id"], {"notes": "Spoke with Lee: wants a home quote"}).json()
    assert referral["notes"] == "Spoke with Lee: wants a home quote"
    assert referral["status"] == "new"
    assert referral["timeline"][-1]["detail"] == "notes edited"


def test_an_unknown_field_is_refused(api: TestClient, lee: dict[str, Any]) -> None:
    response = patch(api, lee["id"], {"stage": "won"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage"
