"""A referral's own page in a real browser: a draft read from a reply is confirmed with a
corrected field, gets its 24-hour contact task, and its referrer's thank-you leaves by
email when the sender runs; notes and reassignment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.messages import send_queued
from referral_engine.delivery.models import Message
from referral_engine.users.models import Role
from tests.agency import bind, wire_providers
from tests.conftest import at
from tests.referrals.support import draft, person
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

DRAFTED = "2026-12-01T15:00:00Z"  # Tuesday 9:00 in Chicago: Dana's reply names Maria
CONFIRMED = "2026-12-01T16:00:00Z"
SENT = "2026-12-01T16:05:00Z"


@pytest.fixture
def drafted(agency, monkeypatch, smtp_server, twilio_double) -> int:  # type: ignore[no-untyped-def]
    """Dana Reyes (email preferred) replied naming Maria: a draft referral."""
    wire_providers(monkeypatch, smtp_server, twilio_double, public_url=None)
    agency.configure('[agency]\npostal_address = "200 W Lake St, Chicago, IL 60606"\n')
    agency.feed(bind(client__preferred_channel="email"), now="2026-11-25T22:00:00Z")
    clock.pin(at(DRAFTED))
    return draft(agency.url)


def test_a_reply_drafted_referral_confirmed_on_its_page_gets_its_task_and_thanks(  # type: ignore[no-untyped-def]
    live_server, page, agency, smtp_server, drafted
) -> None:
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/referrals")
    page.click(f"#referral-{drafted} >> text=draft — confirm")
    page.wait_for_url(f"{live_server.url}/referrals/{drafted}")
    form = page.locator("form.confirm")
    assert form.locator("input[name=first_name]").input_value() == "Maria"
    form.locator("input[name=last_name]").fill("Lopez")
    clock.pin(at(CONFIRMED))
    form.locator("button:has-text('Confirm referral')").click()
    assert "contact task is due within 24 hours" in page.locator("[role=status]").inner_text()
    assert page.locator("form.confirm").count() == 0

    read = agency.api.get(f"/api/v1/referrals/{drafted}").json()
    assert read["needs_confirmation"] is False and read["prospect"]["last_name"] == "Lopez"
    [task] = [t for t in agency.api.get("/api/v1/tasks").json() if t["kind"] == "priority_contact"]
    assert task["referral_id"] == drafted and task["assignee"] == "sam@agency.example"
    assert at(task["due_at"]) == at(CONFIRMED) + timedelta(hours=24)
    with unit_of_work(agency.url) as session:
        [thanks] = session.scalars(select(Message).where(Message.kind == "thanks")).all()
        assert (thanks.channel, thanks.to, thanks.status) == ("email", "dana@example.com", "queued")

    send_queued(agency.url, now=at(SENT))
    [email] = [m for m in smtp_server.messages if m["To"] == "dana@example.com"]
    assert "Maria" in email.get_body(preferencelist=("plain",)).get_content()
    clock.pin(None)


def test_a_note_and_a_reassignment_show_on_the_page(  # type: ignore[no-untyped-def]
    live_server, page, agency, drafted
) -> None:
    person(agency.url, "casey@agency.example", Role.csr, senior=True)
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/referrals/{drafted}")
    page.locator("form.note textarea[name=note]").fill("Maria prefers a call after 5pm")
    page.locator("form.note button:has-text('Add note')").click()
    assert "Maria prefers a call after 5pm" in page.locator("p.note").first.inner_text()
    page.locator("form.reassign select[name=owner_id]").select_option(label="Casey (csr)")
    page.locator("form.reassign button:has-text('Reassign')").click()
    assert page.locator("#owner").inner_text() == "Casey"
    read = agency.api.get(f"/api/v1/referrals/{drafted}").json()
    assert read["owner"]["email"] == "casey@agency.example"
    assert any(e["kind"] == "note" for e in read["timeline"])
    clock.pin(None)


def test_a_task_links_to_its_referral(live_server, page, agency, drafted) -> None:  # type: ignore[no-untyped-def]
    agency.api.post(f"/api/v1/referrals/{drafted}/confirm")
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/tasks?show=all")
    page.click(f"text=referral {drafted}")
    page.wait_for_url(f"{live_server.url}/referrals/{drafted}")
    clock.pin(None)
