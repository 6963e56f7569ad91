"""The links in an ask: tracked clicks, the introduce-someone page, unsubscribing."""

from __future__ import annotations

from typing import Any

import pytest

from referral_engine.agency.service import secret_key
from referral_engine.db import unit_of_work
from referral_engine.delivery import links
from tests.agency import Agency, bind

PUBLIC = "https://refer.agency.example"


@pytest.fixture
def ask(agency: Agency) -> dict[str, Any]:
    agency.feed(bind(client__preferred_channel="email"), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    return agency.only_ask()


def link(agency: Agency, ask_id: int, purpose: str) -> str:
    from referral_engine.asks.models import Ask

    with unit_of_work(agency.url) as session:
        found = session.get(Ask, ask_id)
        assert found is not None
        return links.sign(found.token, purpose=purpose, key=secret_key(session))


def tasks(agency: Agency) -> list[dict[str, Any]]:
    return list(agency.api.get("/api/v1/tasks").json())


def test_a_click_is_recorded_and_leads_to_the_introduce_page(
    agency: Agency, ask: dict[str, Any]
) -> None:
    value = link(agency, ask["id"], links.TRACK)
    response = agency.api.get(f"/r/{value}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/refer/")
    page = agency.api.get(response.headers["location"])
    assert "Introduce someone" in page.text
    assert tasks(agency) == [], "a first click is not yet a task"


def test_a_repeat_click_is_a_task_for_the_producer(agency: Agency, ask: dict[str, Any]) -> None:
    value = link(agency, ask["id"], links.TRACK)
    agency.api.get(f"/r/{value}", follow_redirects=False)
    agency.api.get(f"/r/{value}", follow_redirects=False)
    [task] = tasks(agency)
    assert task["kind"] == "repeat_click" and task["assignee"] == "sam@agency.example"


def test_a_forged_or_cross_purpose_link_is_not_found(agency: Agency, ask: dict[str, Any]) -> None:
    value = link(agency, ask["id"], links.UNSUBSCRIBE)
    assert agency.api.get(f"/r/{value}", follow_redirects=False).status_code == 404
    assert agency.api.get("/r/abc.def", follow_redirects=False).status_code == 404
    # A changed signature character that carries only signature bits (base64's last
    # character also holds padding bits, so changing it may decode to the same bytes).
    forged = value[:-5] + ("A" if value[-5] != "A" else "B") + value[-4:]
    assert agency.api.post(f"/u/{forged}").status_code == 404


def test_introducing_someone_makes_a_referral_and_a_hot_task(
    agency: Agency, ask: dict[str, Any]
) -> None:
    value = link(agency, ask["id"], links.REFER)
    form = {"first_name": "Maria", "last_name": "Lopez", "mobile": "(312) 555-0142"}
    response = agency.api.post(f"/refer/{value}", data=form)
    assert response.status_code == 200 and "Thank you" in response.text
    [task] = tasks(agency)
    assert task["kind"] == "priority_contact" and task["priority"] == "hot"
    assert task["referral_id"] and task["ask_id"] == ask["id"]
    assert task["title"] == "Contact Maria Lopez within 24 hours"
    assert task["assignee"] == "sam@agency.example"
    [referral] = agency.api.get("/api/v1/referrals").json()
    assert "Referral – Thanked" in referral["tags"], "Dana is thanked by a message"


def test_the_introduce_page_asks_for_a_way_to_reach_them(
    agency: Agency, ask: dict[str, Any]
) -> None:
    value = link(agency, ask["id"], links.REFER)
    response = agency.api.post(f"/refer/{value}", data={"first_name": "Maria"})
    assert response.status_code == 422
    assert "phone number or an email" in response.text
    assert tasks(agency) == []


def test_one_click_unsubscribe_stops_email_at_once(agency: Agency, ask: dict[str, Any]) -> None:
    value = link(agency, ask["id"], links.UNSUBSCRIBE)
    page = agency.api.get(f"/u/{value}")
    assert "Unsubscribe" in page.text and "d…@example.com" in page.text
    response = agency.api.post(
        f"/u/{value}",
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and "unsubscribed" in response.text
    after = agency.ask(ask["id"])
    assert after["status"] == "suppressed"
    assert after["reasons"][-1]["rule"] == "opted_out"
