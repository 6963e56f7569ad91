"""Issue 12's first promise, end to end in a real browser: a producer known only from
events is invited by the principal, sets a password from the link, signs in, sees only
their own review queue, approves their ask and cannot act on a colleague's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from referral_engine import clock
from tests.agency import Agency, bind
from tests.conftest import at

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

BOUND = "2026-11-25T22:00:00Z"
INVITED = "2026-11-26T15:00:00Z"
PASSWORD = "copper lantern meadow tide"


def _two_books(agency: Agency) -> dict[str, dict[str, Any]]:
    """Sam's client Dana and Lee's client Noor, each with an ask waiting for review."""
    agency.feed(bind(client__sensitive=True), now=BOUND)
    agency.feed(
        bind(
            id="epic-noor-bind",
            client__external_id="C-2002",
            client__first_name="Noor",
            client__last_name="Haddad",
            client__email="noor@example.com",
            client__mobile="+13125550199",
            client__sensitive=True,
            policy__number="PA-2002",
            producer={"name": "Lee Park", "email": "lee@agency.example"},
        ),
        now=BOUND,
    )
    agency.tick("2026-11-25T23:00:00Z")
    return {a["client_name"]: a for a in agency.asks(status="pending_review")}


def test_an_invited_producer_works_their_own_queue_and_not_a_colleagues(  # type: ignore[no-untyped-def]
    live_server, page, agency: Agency
) -> None:
    asks = _two_books(agency)
    sams, lees = asks["Dana Reyes"], asks["Noor Haddad"]
    known = {u["email"]: u for u in agency.api.get("/api/v1/users").json()}
    assert "sam@agency.example" in known, "the event's producer exists before any invitation"

    invited = agency.post(
        "/api/v1/users",
        {"email": "Sam@agency.example", "name": "Sam Ortiz", "role": "producer"},
        now=INVITED,
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["id"] == known["sam@agency.example"]["id"], "linked, not duplicated"

    clock.pin(at(INVITED))
    try:
        link = urlsplit(invited.json()["invite_url"]).path  # on whatever base URL is set
        page.goto(live_server.url + link)
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=confirm]", PASSWORD)
        page.click("button:has-text('Set password and sign in')")
        page.wait_for_url(live_server.url + "/")
        assert "Sam Ortiz (producer)" in page.locator("header").inner_text()

        page.click("nav >> text=Review queue")
        assert page.locator(f"#ask-{sams['id']}").count() == 1
        assert page.locator(f"#ask-{lees['id']}").count() == 0, "only Sam's own queue"

        forced = page.request.post(live_server.url + f"/asks/{lees['id']}/approve")
        assert "may not review" in forced.text()
        assert agency.ask(lees["id"])["status"] == "pending_review"

        page.locator(f"#ask-{sams['id']} form.approve button:has-text('Approve')").click()
        page.wait_for_load_state()
    finally:
        clock.pin(None)
    assert agency.ask(sams["id"])["status"] == "scheduled"
    assert agency.ask(lees["id"])["status"] == "pending_review"
