"""The Team page (a manager invites and manages people) and the Account page (each
person's details, password and tokens), through a browser and through the pages' forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.messages import send_queued
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.smtp_server import SmtpServer

NOW = "2026-12-01T15:00:00Z"
GOOD = "plum kettle harbor sky"


def sign_in_client(client: TestClient, email: str, password: str) -> None:
    client.headers.pop("Authorization", None)
    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def colleague(url: str, email: str, role: Role = Role.producer) -> int:
    with unit_of_work(url) as session:
        return users.create_user(
            session, email=email, name="Sam Ortiz", role=role, password=GOOD
        ).id


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_manager_invites_a_producer_who_sets_a_password_from_the_email(  # type: ignore[no-untyped-def]
    live_server, page, ready_db: str, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> None:
    clock.pin(at(NOW))
    monkeypatch.setenv("REFERRAL_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("REFERRAL_MAIL_FROM", "Lakeside Insurance <asks@agency.example>")
    monkeypatch.setenv("REFERRAL_PUBLIC_URL", live_server.url)
    base = live_server.url
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")
    page.click("nav a:has-text('Team')")
    page.fill("form[aria-label='Invite someone'] input[name=email]", "sam@agency.example")
    page.fill("form[aria-label='Invite someone'] input[name=name]", "Sam Ortiz")
    page.select_option("form[aria-label='Invite someone'] select[name=role]", "producer")
    page.click("button:has-text('Send invitation')")
    assert "Invited Sam Ortiz" in page.locator("[role=status]").inner_text()
    assert "also emailed" in page.locator("#fresh-link").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    send_queued(ready_db, now=at(NOW))
    [email] = [m for m in smtp_server.messages if m["To"] == "sam@agency.example"]
    link = re.search(r"https?://\S+/invite/\S+", email.get_content())
    assert link is not None
    page.context.clear_cookies()
    page.goto(link.group(0))
    page.fill("input[name=password]", "qwerty123456")
    page.fill("input[name=confirm]", "qwerty123456")
    page.click("button:has-text('Set password')")
    assert "most common passwords" in page.locator("[role=alert]").inner_text()
    page.fill("input[name=password]", GOOD)
    page.fill("input[name=confirm]", GOOD)
    page.click("button:has-text('Set password')")
    page.wait_for_url(base + "/")
    assert "Team" not in [a.strip() for a in page.locator("nav a").all_inner_texts()]
    page.click("nav a:has-text('Account')")
    assert page.locator("input[name=name]").input_value() == "Sam Ortiz"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_without_an_email_provider_the_team_page_shows_the_link_once(api: TestClient) -> None:
    clock.pin(at(NOW))
    sign_in_client(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    answer = api.post(
        "/team/invite", data={"email": "sam@agency.example", "name": "Sam", "role": "csr"}
    )
    assert answer.status_code == 200
    assert "give them this link yourself" in answer.text
    assert "/invite/" in answer.text
    assert "/invite/" not in api.get("/team").text


def test_a_producer_does_not_reach_the_team_page(api: TestClient) -> None:
    colleague(api.app.state.db_url, "sam@agency.example")  # type: ignore[attr-defined]
    sign_in_client(api, "sam@agency.example", GOOD)
    assert api.get("/team").status_code == 403
    assert (
        api.post("/team/invite", data={"email": "x@agency.example", "role": "admin"}).status_code
        == 403
    )


def test_deactivating_on_the_team_page_ends_their_session(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    sam = colleague(url, "sam@agency.example")
    from referral_engine.web.app import create_app

    with TestClient(create_app(url)) as theirs:
        sign_in_client(theirs, "sam@agency.example", GOOD)
        assert theirs.get("/account").status_code == 200
        sign_in_client(api, ADMIN_EMAIL, ADMIN_PASSWORD)
        answer = api.post(f"/team/{sam}", data={"action": "deactivate"})
        assert "is deactivated" in answer.text
        gone = theirs.get("/account", follow_redirects=False)
        assert gone.status_code == 303 and gone.headers["location"] == "/login"


def test_texts_need_a_mobile_and_a_refusal_changes_nothing(api: TestClient) -> None:
    colleague(api.app.state.db_url, "sam@agency.example")  # type: ignore[attr-defined]
    sign_in_client(api, "sam@agency.example", GOOD)
    refused = api.post("/account/details", data={"name": "Samuel", "mobile": "", "notify_sms": "1"})
    assert refused.status_code == 422 and "texts need a mobile number" in refused.text
    assert 'value="Sam Ortiz"' in api.get("/account").text
    saved = api.post(
        "/account/details",
        data={
            "name": "Sam Ortiz",
            "mobile": "(312) 555-0142",
            "notify_sms": "1",
            "quiet_nights": "1",
        },
    )
    assert saved.status_code == 200 and "+13125550142" in saved.text


def test_a_password_change_keeps_this_session_and_ends_the_others(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    colleague(url, "sam@agency.example")
    from referral_engine.web.app import create_app

    with TestClient(create_app(url)) as other:
        sign_in_client(other, "sam@agency.example", GOOD)
        sign_in_client(api, "sam@agency.example", GOOD)
        weak = api.post("/account/password", data={"current": GOOD, "new": "short"})
        assert weak.status_code == 422 and "at least 12 characters" in weak.text
        wrong = api.post("/account/password", data={"current": "nope", "new": GOOD + " two"})
        assert "current password is not right" in wrong.text
        done = api.post("/account/password", data={"current": GOOD, "new": GOOD + " two"})
        assert "Password changed" in done.text
        assert api.get("/account").status_code == 200
        assert other.get("/account", follow_redirects=False).status_code == 303


def test_a_token_made_on_the_account_page_is_shown_once_and_revoked_there(api: TestClient) -> None:
    sign_in_client(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    made = api.post("/account/tokens", data={"name": "spreadsheet"})
    token = re.search(r"<pre>(\S+)</pre>", made.text)
    assert token is not None
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert api.get("/api/v1/users", headers=bearer).status_code == 200
    listing = api.get("/account").text
    assert token.group(1) not in listing and token.group(1)[:8] in listing
    token_id = re.findall(r"/account/tokens/(\d+)/revoke", listing)[0]
    api.post(f"/account/tokens/{token_id}/revoke")
    assert api.get("/api/v1/users", headers=bearer).status_code == 401
