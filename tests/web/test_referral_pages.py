"""Referrals and reports in a real browser: the buttons say what they do."""

from __future__ import annotations

import pytest

from referral_engine import clock
from tests.conftest import at
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

REFERRAL = {
    "prospect": {"first_name": "Lee", "last_name": "Park", "mobile": "+13125550188"},
    "referred_by": {"kind": "partner", "name": "Harbor Realty", "partner_type": "realtor"},
}


def test_a_csr_marks_a_referral_contacted_then_converted(live_server, page, api) -> None:  # type: ignore[no-untyped-def]
    clock.pin(at("2026-12-01T15:00:00Z"))
    created = api.post("/api/v1/referrals", json=REFERRAL)
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    sign_in(page, live_server.url)
    page.click("nav >> text=Referrals")
    page.wait_for_url("**/referrals")
    card = page.locator(f"#referral-{referral_id}")
    assert "Source – Realtor" in card.inner_text()
    card.locator("button:has-text('Mark contacted')").click()
    assert "contacted" in page.locator("[role=status]").inner_text()
    card = page.locator(f"#referral-{referral_id}")
    card.locator("input[name=policy_number]").fill("HO-5150")
    card.locator("input[name=premium]").fill("1820")
    card.locator("button:has-text('Mark converted')").click()
    read = api.get(f"/api/v1/referrals/{referral_id}").json()
    assert read["status"] == "converted" and read["converted_policy_number"] == "HO-5150"
    assert read["sla_met"] is True
    clock.pin(None)


def test_not_converted_needs_a_reason(live_server, page, api) -> None:  # type: ignore[no-untyped-def]
    referral_id = api.post("/api/v1/referrals", json=REFERRAL).json()["id"]
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/referrals")
    card = page.locator(f"#referral-{referral_id}")
    card.locator("select[name=reason]").select_option("price")
    card.locator("button:has-text('Mark not converted')").click()
    assert api.get(f"/api/v1/referrals/{referral_id}").json()["reason"] == "price"


def test_the_reports_page_shows_the_weekly_numbers(live_server, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.click("nav >> text=Reports")
    page.wait_for_url("**/reports")
    text = page.locator("table").inner_text()
    assert "Binds detected" in text and "Referrals converted" in text


def test_a_csr_captures_a_referral_in_the_app_and_sees_it_in_the_priority_view(  # type: ignore[no-untyped-def]
    live_server, page, api
) -> None:
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/referrals")
    form = page.locator("form.capture")
    form.locator("input[name=first_name]").fill("Nora")
    form.locator("input[name=last_name]").fill("Quinn")
    form.locator("input[name=mobile]").fill("(312) 555-0166")
    form.locator("select[name=referred_by_kind]").select_option("partner")
    form.locator("input[name=referred_by_name]").fill("Harbor Realty")
    form.locator("input[name=partner_type]").fill("realtor")
    form.locator("button:has-text('Save referral')").click()
    assert "contact task is due within 24 hours" in page.locator("[role=status]").inner_text()
    page.click("text=Priority – Referral")
    assert "Nora Quinn" in page.locator(".referral").first.inner_text()
    [saved] = api.get("/api/v1/referrals").json()
    assert saved["prospect"]["mobile"] == "+13125550166"
    assert "Source – Realtor" in saved["tags"]


def test_a_bad_capture_says_why_and_stores_nothing(live_server, page, api) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/referrals")
    form = page.locator("form.capture")
    form.locator("input[name=first_name]").fill("Nora")
    form.locator("input[name=mobile]").fill("12")
    form.locator("button:has-text('Save referral')").click()
    assert "Not saved" in page.locator("[role=alert]").inner_text()
    form = page.locator("form.capture")
    mobile = form.locator("input[name=mobile]")
    assert mobile.input_value() == "12", "what was typed is kept"
    assert form.locator("input[name=first_name]").input_value() == "Nora"
    assert mobile.get_attribute("aria-invalid") == "true"
    assert page.locator("#capture-mobile-error").inner_text() == (
        "Enter a mobile number like (312) 555-0100."
    )
    assert api.get("/api/v1/referrals").json() == []
