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
    card = page.locator(f"#referral-{referral_id}")
    assert "Source – Realtor" in card.inner_text()
    card.locator("button:has-text('Mark contacted')").click()
    assert "contacted" in page.locator("[role=status]").inner_text()
    card = page.locator(f"#referral-{referral_id}")
    card.locator("input[name=policy_number]").fill("HO-5150")
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
    text = page.locator("table").inner_text()
    assert "Binds detected" in text and "Referrals converted" in text
