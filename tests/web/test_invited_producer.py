"""Issue 12's first promise, end to end in a real browser: a producer known only from
events is invited by the principal, sets a password from the link, signs in, sees only
their own review queue, approves their ask and cannot act on a colleague's."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from referral_engine import clock
from tests.agency import Agency
from tests.conftest import at
from tests.team_members import two_books

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

BOUND = "2026-11-25T22:00:00Z"
INVITED = "2026-11-26T15:00:00Z"
PASSWORD = "copper lantern meadow tide"


def test_an_invited_producer_works_their_own_queue_and_not_a_colleagues(  # type: ignore[no-untyped-def]
    live_server, page, agency: Agency
) -> None:
    asks = two_books(agency, bound=BOUND)
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
        page.wait_for_url("**/review")
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
