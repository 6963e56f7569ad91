"""The review queue in a real browser: a producer edits and approves, defers, declines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from referral_engine import clock
from tests.agency import Agency, bind
from tests.conftest import at
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

REVIEWED = "2026-11-27T15:00:00Z"


@pytest.fixture
def pending(agency: Agency) -> Iterator[dict[str, Any]]:
    agency.feed(bind(client__sensitive=True), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    clock.pin(at(REVIEWED))
    yield agency.only_ask()
    clock.pin(None)


def test_producer_edits_the_draft_and_approves(live_server, page, agency, pending) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.click("nav >> text=Review queue")
    page.wait_for_url("**/review")
    card = page.locator(f"#ask-{pending['id']}")
    assert "sensitive" in card.inner_text()
    card.locator("textarea[name=body]").fill("Dana, thanks for trusting us with your car!")
    card.locator("button:has-text('Approve')").click()
    assert page.locator("[role=status]").inner_text() == f"Ask {pending['id']} approved."
    ask = agency.ask(pending["id"])
    assert ask["status"] == "scheduled"
    assert ask["draft"]["body"].startswith("Dana, thanks for trusting us with your car!")
    assert ask["draft"]["edited"] is True


def test_producer_defers_to_a_chosen_time(live_server, page, agency, pending) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/review")
    card = page.locator(f"#ask-{pending['id']}")
    card.locator("input[name=until]").fill("2026-12-08T14:30")  # Chicago wall clock
    card.locator("button:has-text('Defer')").click()
    assert "deferred" in page.locator("[role=status]").inner_text()
    ask = agency.ask(pending["id"])
    assert ask["scheduled_for"].startswith("2026-12-08T20:30:00")


def test_producer_declines_with_a_reason_and_sees_it_on_the_timeline(  # type: ignore[no-untyped-def]
    live_server, page, agency, pending
) -> None:
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/review")
    card = page.locator(f"#ask-{pending['id']}")
    card.locator("input[name=reason]").fill("Claim dispute with the carrier")
    card.locator("button:has-text('Decline')").click()
    page.locator("text=Nothing waits for review.").wait_for()
    page.goto(live_server.url + f"/asks/{pending['id']}")
    timeline = page.locator(".timeline").inner_text()
    assert "declined: Claim dispute with the carrier" in timeline
    assert "needs_review" in timeline


def test_a_refused_action_says_why(live_server, page, agency, pending) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/review")
    card = page.locator(f"#ask-{pending['id']}")
    card.locator("textarea[name=body]").fill("word " * 80)
    card.locator("button:has-text('Approve')").click()
    assert "segments" in page.locator("[role=alert]").inner_text()
    assert agency.ask(pending["id"])["status"] == "pending_review"


def test_the_contact_timeline_shows_the_ask(live_server, page, agency, pending) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/contacts?q=reyes")
    page.click("text=Dana Reyes")
    timeline = page.locator(".timeline").inner_text()
    assert "Referral-ready moment" in timeline
    assert "pending review" in timeline


def test_asks_page_filters_by_status(live_server, page, agency, pending) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.click("nav >> text=Asks")
    page.wait_for_url("**/asks")
    page.click("text=pending review (1)")
    rows = page.locator("tbody tr")
    page.wait_for_url("**/asks?status=pending_review")
    assert "Dana Reyes" in rows.first.inner_text() and rows.count() == 1
