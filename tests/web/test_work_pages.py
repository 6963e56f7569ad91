"""Tasks and the outbox in a real browser."""

from __future__ import annotations

import pytest

from referral_engine import clock
from tests.agency import bind
from tests.conftest import at
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_an_outboxed_ask_shows_in_the_outbox(live_server, page, agency) -> None:  # type: ignore[no-untyped-def]
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick("2026-12-01T16:00:00Z")
    sign_in(page, live_server.url)
    page.click("nav >> text=Outbox")
    page.wait_for_url("**/outbox")
    row = page.locator("tbody tr").first
    assert "(312) 555-0123" in row.inner_text() and "Dana" in row.inner_text()
    assert row.locator("a[href='tel:+13125550123']").count() == 1


def test_a_repeat_click_task_is_worked_and_marked_done(live_server, page, agency) -> None:  # type: ignore[no-untyped-def]
    from referral_engine.agency.service import secret_key
    from referral_engine.asks.models import Ask
    from referral_engine.db import unit_of_work
    from referral_engine.delivery import links

    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    with unit_of_work(agency.url) as session:
        token = session.get(Ask, agency.only_ask()["id"]).token  # type: ignore[union-attr]
        value = links.sign(token, purpose=links.TRACK, key=secret_key(session))
    clock.pin(at("2026-12-01T18:00:00Z"))
    agency.api.get(f"/r/{value}", follow_redirects=False)
    agency.api.get(f"/r/{value}", follow_redirects=False)
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/tasks?show=all")
    card = page.locator(".task").first
    assert "opened the introduce link again" in card.inner_text()
    card.locator("button:has-text('Mark done')").click()
    page.locator("text=No open tasks.").wait_for()
    clock.pin(None)


def test_consent_taken_on_the_phone_is_recorded_on_a_phone_and_the_ask_approved(  # type: ignore[no-untyped-def]
    live_server, page, agency
) -> None:
    """Dana's texts consent is not recorded, so her ask waits. A CSR, on a phone-sized
    screen, records the consent she gives on a call; the ask can then be approved."""
    agency.feed(bind(client__consent={"sms": None, "email": False}), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    ask = agency.only_ask()
    clock.pin(at("2026-11-26T15:05:00Z"))
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/contacts")
    page.click("text=Dana Reyes")
    assert "Texts: not recorded" in page.locator("#consent").inner_text()
    form = page.locator("form[action$='/consent']")
    form.locator("select[name=purpose]").select_option("sms")
    form.locator("select[name=how]").select_option("phone")
    form.locator("textarea[name=wording]").fill("Yes, text me about referrals.")
    form.locator("button:has-text('Record consent')").click()
    page.locator("text=Recorded: Dana Reyes agreed to texts about referrals.").wait_for()
    assert "Texts: granted" in page.locator("#consent").inner_text()
    overflow = "document.documentElement.scrollWidth > window.innerWidth"
    assert not page.evaluate(overflow), "the page fits a phone's width"
    page.goto(f"{live_server.url}/asks/{ask['id']}")
    page.click("button:has-text('Approve')")
    page.locator(f"text=Ask {ask['id']} approved.").wait_for()
    approved = agency.ask(ask["id"])
    assert approved["status"] == "scheduled"
    assert approved["draft"]["edited"] is False, "approved as drafted, not an edit"
    clock.pin(None)
