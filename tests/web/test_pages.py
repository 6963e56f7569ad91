"""Pages in a real headless Chromium: sign in, navigate, see what arrived."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from referral_engine import clock
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.factories import event

pytestmark = pytest.mark.browser


def sign_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_principal_signs_in_and_reaches_every_page(live_server, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    links = page.locator("nav a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert {
        "/",
        "/review",
        "/asks",
        "/tasks",
        "/outbox",
        "/contacts",
        "/inputs",
        "/settings",
    } <= set(targets)
    for href in targets:
        response = page.goto(live_server.url + href)
        assert response is not None and response.status == 200, href
        assert page.locator("h1").count() == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_wrong_password_says_so(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", "wrong")
    page.click("button:has-text('Sign in')")
    assert page.locator("[role=alert]").inner_text() == "Wrong email or password."


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_ingested_client_shows_on_contacts_with_its_timeline(
    live_server,
    page,  # type: ignore[no-untyped-def]
    api: TestClient,
) -> None:
    api.post("/api/v1/events", json=event())
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/contacts?q=reyes")
    page.click("text=Dana Reyes")
    assert "Policy bound" in page.locator(".timeline").inner_text()
    assert "PA-778812" in page.content()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_admin_edits_settings_and_a_bad_value_is_refused(live_server, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url)
    page.goto(live_server.url + "/settings")
    page.click("summary:has-text('Advanced')")
    text = page.locator("textarea").input_value()
    page.fill("textarea", text.replace('name = "My Agency"', 'name = "Lakeside"'))
    page.click("button:has-text('Save settings')")
    assert page.locator("[role=status]").inner_text() == "Settings saved."
    page.fill("textarea", text.replace("send_hour = 10", "send_hour = 23"))
    page.click("button:has-text('Save settings')")
    assert "quiet hours" in page.locator("[role=alert]").inner_text()
    page.goto(live_server.url + "/settings")
    assert 'name = "Lakeside"' in page.locator("textarea").input_value()


def test_pages_redirect_to_sign_in_without_a_session(api: TestClient) -> None:
    response = api.get("/contacts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_every_link_on_the_dashboard_resolves(api: TestClient) -> None:
    signed_in = api.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    # The dashboard links the twelve weeks up to now: pinned, so the links do not depend
    # on the day.
    with clock.frozen(at("2026-11-30T15:00:00Z")):
        dashboard = api.get("/", follow_redirects=False)
        assert dashboard.status_code == 200
        links = BeautifulSoup(dashboard.text, "html.parser").select("a[href^='/']")
        hrefs = [link["href"] for link in links]
        assert hrefs == [
            "/",
            "/review",
            "/asks",
            "/tasks",
            "/referrals",
            "/outbox",
            "/contacts",
            "/reports",
            "/inputs",
            "/settings",
            "/team",
            "/webhooks",
            "/account",
            "/?who=mine",
            "/?who=all",
            "/reports/funnel",
            "/reports/sources",
            "/reports/roi",
            *(f"/?week=2026-W{week}" for week in range(49, 37, -1)),
        ]
        # Not following redirects: a page that sends a signed-in admin to /login is broken.
        for href in hrefs:
            assert api.get(href, follow_redirects=False).status_code == 200, href
