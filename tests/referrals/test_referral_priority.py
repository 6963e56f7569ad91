"""Priority service and thanks: the tasks a new referral gives people at once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.conftest import ADMIN_EMAIL, at
from tests.referrals.support import person, refer, referral_body, tasks_of

EXTERNAL = {"kind": "external", "external_id": None, "name": "Website form"}
PARTNER = {"kind": "partner", "external_id": None, "name": "Oak Street Realty"}


def test_the_contact_task_goes_to_the_referring_clients_producer_due_in_24_hours(
    api: TestClient, dana: dict[str, Any]
) -> None:
    referral = refer(api, referral_body())
    task = tasks_of(api, referral["id"])["priority_contact"]
    assert task["title"] == "Contact Lee Park within 24 hours"
    assert task["assignee"] == "sam@agency.example"
    assert task["due_at"].startswith("2026-11-25T15:00:00")
    assert task["priority"] == "hot"
    assert referral["contact_due_at"] == task["due_at"].replace("+00:00", "Z")
    assert "Priority – Referral" in referral["tags"]


def test_the_24_hours_are_clock_hours_over_a_weekend(api: TestClient, dana: dict[str, Any]) -> None:
    clock.pin(at("2026-11-28T02:00:00Z"))  # Friday night in Chicago
    referral = refer(api, referral_body())
    assert tasks_of(api, referral["id"])["priority_contact"]["due_at"].startswith(
        "2026-11-29T02:00:00"
    )


def test_without_a_producer_the_first_active_senior_csr_gets_the_contact_task(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    person(ready_db, "junior@agency.example", Role.csr)
    person(ready_db, "retired@agency.example", Role.csr, senior=True)
    with unit_of_work(ready_db) as session:
        retired = users.find_by_email(session, email="retired@agency.example")
        assert retired is not None
        retired.active = False
    person(ready_db, "pat@agency.example", Role.csr, senior=True)
    person(ready_db, "quinn@agency.example", Role.csr, senior=True)
    referral = refer(api, referral_body(referred_by=EXTERNAL))
    assert tasks_of(api, referral["id"])["priority_contact"]["assignee"] == "pat@agency.example"


def test_without_a_producer_or_senior_csr_the_principal_gets_the_contact_task(
    api: TestClient, captured_at: str
) -> None:
    referral = refer(api, referral_body(referred_by=PARTNER))
    assert tasks_of(api, referral["id"])["priority_contact"]["assignee"] == ADMIN_EMAIL


def test_the_contact_task_is_on_the_referrals_timeline(
    api: TestClient, dana: dict[str, Any]
) -> None:
    referral = refer(api, referral_body())
    priority = [e for e in referral["timeline"] if "priority service" in e["detail"]]
    assert len(priority) == 1
    assert "Sam Ortiz" in priority[0]["detail"]


def test_a_client_referral_makes_a_thank_task_due_in_one_business_day(
    api: TestClient, unreachable_dana: dict[str, Any]
) -> None:
    referral = refer(api, referral_body())
    task = tasks_of(api, referral["id"])["thank_referrer"]
    assert task["title"] == "Thank Dana Reyes for introducing Lee Park"
    assert task["assignee"] == "sam@agency.example"
    assert task["due_at"].startswith("2026-11-24T23:00:00")  # 17:00 Chicago, 8 business hours
    assert task["client_id"] == referral["referred_by"]["client_id"]


def test_the_referrer_is_tagged_thanked_when_the_thank_task_is_made(
    api: TestClient, unreachable_dana: dict[str, Any]
) -> None:
    referral = refer(api, referral_body())
    assert referral["tags"][-1] == "Referral – Thanked"
    last = referral["timeline"][-1]
    assert last["detail"].startswith("thank-you task for the producer (Sam Ortiz)")


def test_a_thank_task_late_on_friday_is_due_monday(
    api: TestClient, unreachable_dana: dict[str, Any]
) -> None:
    clock.pin(at("2026-12-04T22:00:00Z"))  # Friday 16:00 in Chicago
    referral = refer(api, referral_body())
    due = tasks_of(api, referral["id"])["thank_referrer"]["due_at"]
    assert due.startswith("2026-12-07T22:00:00")  # Monday 16:00


def test_a_partner_is_thanked_by_a_task_and_an_external_source_not_at_all(
    api: TestClient, captured_at: str
) -> None:
    partner = refer(api, referral_body(referred_by=PARTNER))
    assert set(tasks_of(api, partner["id"])) == {"priority_contact", "thank_referrer"}
    assert "Referral – Thanked" in partner["tags"]
    external = refer(api, referral_body(referred_by=EXTERNAL))
    assert set(tasks_of(api, external["id"])) == {"priority_contact"}
    assert "Referral – Thanked" not in external["tags"]


def test_a_client_known_only_by_name_is_still_thanked(api: TestClient, captured_at: str) -> None:
    by_name = {"kind": "client", "external_id": None, "name": "Jo Ames"}
    referral = refer(api, referral_body(referred_by=by_name))
    task = tasks_of(api, referral["id"])["thank_referrer"]
    assert task["title"].startswith("Thank Jo Ames")
    assert task["assignee"] == ADMIN_EMAIL
