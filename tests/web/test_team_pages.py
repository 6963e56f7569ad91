"""The Team and Account pages in a real browser: a manager invites a producer, the
emailed link sets a password that the policy accepts, and the producer is signed in."""

from __future__ import annotations

import re

import pytest

from referral_engine import clock
from referral_engine.delivery.messages import send_queued
from tests.smtp_server import SmtpServer
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_an_invited_producer_sets_a_password_from_the_email_and_is_signed_in(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer, ready_db: str, live_server, page
) -> None:
    monkeypatch.setenv("REFERRAL_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("REFERRAL_MAIL_FROM", "Lakeside Insurance <team@agency.example>")
    monkeypatch.setenv("REFERRAL_PUBLIC_URL", live_server.url)
    sign_in(page, live_server.url)
    page.click("nav >> text=Team")
    page.wait_for_url("**/team")
    form = page.locator("form.invite")
    form.locator("input[name=email]").fill("sam@agency.example")
    form.locator("input[name=name]").fill("Sam Ortiz")
    form.locator("select[name=role]").select_option("producer")
    form.locator("button:has-text('Send invitation')").click()
    page.locator("text=A set-password link is on its way to sam@agency.example.").wait_for()

    send_queued(ready_db, now=clock.now())
    [email] = smtp_server.messages
    assert email["To"] == "sam@agency.example"
    link = re.search(r"\S+/invite/\S+", email.get_content())
    assert link is not None

    page.context.clear_cookies()
    page.goto(link.group(0))
    page.fill("input[name=password]", "qwerty123456")
    page.fill("input[name=confirm]", "qwerty123456")
    page.click("button:has-text('Set password and sign in')")
    alert = page.locator("[role=alert]").inner_text()
    assert "one of the 10,000 most common passwords" in alert
    page.fill("input[name=password]", "plum kettle harbor sky")
    page.fill("input[name=confirm]", "plum kettle harbor sky")
    page.click("button:has-text('Set password and sign in')")
    page.wait_for_url(live_server.url + "/")
    assert "Sam Ortiz (producer)" in page.locator("header").inner_text()
    assert page.locator("nav >> text=Team").count() == 0, "Team is for managers"
    page.click("nav >> text=Account")
    page.wait_for_url("**/account")
    page.click("button:has-text('Create token')")
    assert page.locator("#fresh-token").inner_text().startswith("rk_")
