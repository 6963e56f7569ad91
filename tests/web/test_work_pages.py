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
    row = page.locator("tbody tr").first
    assert "+13125550123" in row.inner_text() and "Dana" in row.inner_text()


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
