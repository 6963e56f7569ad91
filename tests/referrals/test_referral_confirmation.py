"""A referral drafted from a reply counts only once a person confirms it; referrals can be
reassigned; finishing the contact task marks the referral contacted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message
from referral_engine.users.models import Role, User
from tests.conftest import at
from tests.referrals.support import draft, person, tasks_of

CONFIRMED = "2026-11-24T17:00:00Z"  # Tuesday 11:00 in Chicago, two hours after the reply


def confirm(api: TestClient, referral_id: int, body: Any = None, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    with clock.frozen(at(CONFIRMED)):
        return api.post(f"/api/v1/referrals/{referral_id}/confirm", json=body, headers=headers)


def user_id(url: str, email: str) -> int:
    with unit_of_work(url) as session:
        return session.scalars(select(User.id).where(User.email == email)).one()


def thanks(url: str) -> list[Message]:
    with unit_of_work(url) as session:
        return list(session.scalars(select(Message).where(Message.kind == "thanks")))


def received_in_quarter(api: TestClient) -> int:
    response = api.post("/api/v1/recognition/run", params={"quarter": "2026-Q4"})
    assert response.status_code == 200, response.text
    return sum(s["received"] for s in response.json()["standings"])


def test_a_draft_waits_with_its_owner_and_no_contact_task(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    read = api.get(f"/api/v1/referrals/{referral_id}").json()
    assert read["needs_confirmation"] is True and read["confirmed_at"] is None
    assert read["received_at"] is None
    assert read["owner"]["email"] == "sam@agency.example"
    assert "Referral – Draft" in read["tags"]
    assert "priority_contact" not in tasks_of(api, referral_id)
    assert thanks(ready_db) == []


def test_confirming_starts_the_24_hour_task_queues_the_thanks_and_counts_it(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    assert received_in_quarter(api) == 0, "a draft does not count for recognition"
    response = confirm(api, referral_id)
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["needs_confirmation"] is False
    assert read["confirmed_at"].startswith("2026-11-24T17:00:00")
    assert read["received_at"] == read["confirmed_at"]
    assert "Referral – Draft" not in read["tags"] and "Referral – Thanked" in read["tags"]
    task = tasks_of(api, referral_id)["priority_contact"]
    assert task["assignee"] == "sam@agency.example"
    assert at(task["due_at"]) == at(CONFIRMED) + timedelta(hours=24)
    [message] = thanks(ready_db)
    assert message.to == dana["mobile"] and "Maria" in message.body
    assert [e["kind"] for e in read["timeline"]].count("confirmed") == 1
    assert received_in_quarter(api) == 1


def test_confirming_with_a_corrected_prospect_keeps_the_correction(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    body = {"prospect": {"last_name": "López", "email": "Maria@Example.com"}}
    read = confirm(api, referral_id, body).json()
    assert read["prospect"]["first_name"] == "Maria"
    assert read["prospect"]["last_name"] == "López"
    assert read["prospect"]["email"] == "maria@example.com"
    [entry] = [e for e in read["timeline"] if e["kind"] == "confirmed"]
    assert "corrected last_name, email" in entry["detail"]


def test_confirming_twice_is_a_conflict(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    assert confirm(api, referral_id).status_code == 200
    again = confirm(api, referral_id)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert len(thanks(ready_db)) == 1


def test_a_referral_captured_directly_needs_no_confirmation(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    body = {
        "prospect": {"first_name": "Lee", "mobile": "+13125550188"},
        "referred_by": {"kind": "client", "external_id": "C-1001"},
    }
    referral_id = api.post("/api/v1/referrals", json=body).json()["id"]
    assert confirm(api, referral_id).status_code == 409


def test_an_invalid_prospect_is_refused_and_changes_nothing(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    response = confirm(api, referral_id, {"prospect": {"email": "not an address"}})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    read = api.get(f"/api/v1/referrals/{referral_id}").json()
    assert read["needs_confirmation"] is True and read["prospect"]["email"] is None
    assert "priority_contact" not in tasks_of(api, referral_id)


def test_an_unknown_referral_is_not_found(api: TestClient, dana: dict[str, Any]) -> None:
    assert confirm(api, 999).status_code == 404


def test_another_producer_may_not_confirm_but_a_csr_may(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    other = person(ready_db, "ana@agency.example", Role.producer)
    refused = confirm(api, referral_id, token=other)
    assert refused.status_code == 403
    assert api.get(f"/api/v1/referrals/{referral_id}").json()["needs_confirmation"] is True
    csr = person(ready_db, "casey@agency.example", Role.csr)
    assert confirm(api, referral_id, token=csr).status_code == 200


def test_a_confirmed_referral_goes_to_the_owner_it_was_reassigned_to(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    person(ready_db, "casey@agency.example", Role.csr, senior=True)
    casey = {"id": user_id(ready_db, "casey@agency.example")}
    assert api.patch(f"/api/v1/referrals/{referral_id}", json={"owner_id": casey["id"]}).is_success
    confirm(api, referral_id)
    assert tasks_of(api, referral_id)["priority_contact"]["assignee"] == "casey@agency.example"


def test_reassigning_moves_the_open_contact_task(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    confirm(api, referral_id)
    person(ready_db, "casey@agency.example", Role.csr)
    casey = {"id": user_id(ready_db, "casey@agency.example")}
    response = api.patch(f"/api/v1/referrals/{referral_id}", json={"owner_id": casey["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["owner"]["email"] == "casey@agency.example"
    assert tasks_of(api, referral_id)["priority_contact"]["assignee"] == "casey@agency.example"
    assert any("reassigned to" in e["detail"] for e in response.json()["timeline"])


def test_reassigning_to_nobody_known_is_refused(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    response = api.patch(f"/api/v1/referrals/{referral_id}", json={"owner_id": 999})
    assert response.status_code == 422
    assert api.get(f"/api/v1/referrals/{referral_id}").json()["owner"]["email"] == (
        "sam@agency.example"
    )


def test_finishing_the_contact_task_marks_the_referral_contacted(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    confirm(api, referral_id)
    task = tasks_of(api, referral_id)["priority_contact"]
    with clock.frozen(at("2026-11-24T20:00:00Z")):
        assert api.post(f"/api/v1/tasks/{task['id']}/done").status_code == 200
    read = api.get(f"/api/v1/referrals/{referral_id}").json()
    assert read["status"] == "contacted" and read["sla_met"] is True


def test_finishing_another_task_of_the_referral_changes_nothing(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    body = {
        "prospect": {"first_name": "Lee", "mobile": "+13125550188"},
        "referred_by": {"kind": "partner", "name": "Harbor Realty", "partner_type": "realtor"},
    }
    referral_id = api.post("/api/v1/referrals", json=body).json()["id"]
    thank = tasks_of(api, referral_id)["thank_referrer"]
    assert api.post(f"/api/v1/tasks/{thank['id']}/done").status_code == 200
    assert api.get(f"/api/v1/referrals/{referral_id}").json()["status"] == "new"


def test_a_draft_counts_as_received_in_the_week_it_is_confirmed(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    """Drafted on Tuesday of 2026-W48, confirmed on Tuesday of W49: the weekly numbers,
    the funnel and the sources report count it received in W49, and not before."""

    def received(week: str) -> tuple[int, int, int]:
        weekly = api.get("/api/v1/reports/weekly", params={"week": week}).json()
        span = {"2026-W48": ("2026-11-23", "2026-11-29"), "2026-W49": ("2026-11-30", "2026-12-06")}
        first, last = span[week]
        funnel = api.get("/api/v1/reports/funnel", params={"from": first, "to": last}).json()
        steps = {s["step"]: s["count"] for s in funnel["steps"]}
        sources = api.get("/api/v1/reports/sources", params={"from": first, "to": last}).json()
        by_referrer = sum(r["received"] for r in sources["rows"])
        return weekly["referrals_received"], steps["referrals_received"], by_referrer

    referral_id = draft(ready_db)
    assert received("2026-W48") == (0, 0, 0), "a draft is not received yet"
    clock.pin(at("2026-12-01T16:00:00Z"))
    assert api.post(f"/api/v1/referrals/{referral_id}/confirm").status_code == 200
    assert received("2026-W48") == (0, 0, 0)
    assert received("2026-W49") == (1, 1, 1)


def test_a_dated_note_goes_on_the_timeline_and_a_blank_one_is_refused(
    api: TestClient, ready_db: str, dana: dict[str, Any]
) -> None:
    referral_id = draft(ready_db)
    with clock.frozen(at(CONFIRMED)):
        added = api.post(
            f"/api/v1/referrals/{referral_id}/notes",
            json={"note": "Left a voicemail; calling back Thursday"},
        )
        blank = api.post(f"/api/v1/referrals/{referral_id}/notes", json={"note": "   "})
        missing = api.post("/api/v1/referrals/999999/notes", json={"note": "hello"})
    assert added.status_code == 201, added.text
    [note] = [e for e in added.json()["timeline"] if e["kind"] == "note"]
    assert note["detail"] == "Left a voicemail; calling back Thursday"
    assert note["at"].startswith("2026-11-24T17:00:00")
    assert blank.status_code == 422
    assert blank.headers["content-type"].startswith("application/problem+json")
    assert missing.status_code == 404
    timeline = api.get(f"/api/v1/referrals/{referral_id}").json()["timeline"]
    assert [e["kind"] for e in timeline].count("note") == 1
