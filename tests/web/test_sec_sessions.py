"""Server-side web sessions: sign-out, password change and deactivation end them for good
(issue 14, item 5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.clock import wall_clock
from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import Role, WebSession
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at

NOW = "2026-12-01T15:00:00Z"
GOOD = "plum kettle harbor sky"
SAM = "sam.ortiz@lakeside.example"


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    clock.pin(at(NOW))
    yield
    clock.pin(None)


@pytest.fixture
def browser_of(api: TestClient) -> Iterator[object]:
    """A new browser (its own cookie jar, no API token) for the same app."""
    opened: list[TestClient] = []

    def open_one(agent: str = "testclient") -> TestClient:
        client = TestClient(api.app, headers={"User-Agent": agent})
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.close()


def sign_in(client: TestClient, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    answer = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def signed_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def rows(url: str) -> int:
    with unit_of_work(url) as session:
        return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)


def test_a_cookie_replayed_after_sign_out_gets_the_sign_in_page(browser_of, ready_db) -> None:  # type: ignore[no-untyped-def]
    browser = browser_of()
    sign_in(browser)
    captured = browser.cookies.get("referral_session")
    assert captured and signed_in(browser)
    browser.post("/logout", follow_redirects=False)
    attacker = browser_of()
    attacker.cookies.set("referral_session", captured)
    answer = attacker.get("/account", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_cookie_carries_only_a_random_token_stored_hashed(browser_of, ready_db) -> None:  # type: ignore[no-untyped-def]
    browser = browser_of()
    sign_in(browser)
    with unit_of_work(ready_db) as session:
        stored = session.scalars(select(WebSession)).one()
        assert stored.expires_at == at("2026-12-15T15:00:00Z"), "14 days from sign-in"
        assert stored.token_hash not in browser.cookies["referral_session"]


def test_a_session_ends_fourteen_days_after_sign_in(browser_of) -> None:  # type: ignore[no-untyped-def]
    browser = browser_of()
    sign_in(browser)
    clock.pin(at("2026-12-15T14:59:00Z"))
    assert signed_in(browser)
    clock.pin(at("2026-12-15T15:00:00Z"))
    assert not signed_in(browser)


def test_a_password_change_keeps_this_browser_and_ends_every_other(browser_of) -> None:  # type: ignore[no-untyped-def]
    here, there = browser_of("laptop"), browser_of("phone")
    sign_in(here)
    sign_in(there)
    answer = here.post(
        "/account/password",
        data={"current": ADMIN_PASSWORD, "password": GOOD, "confirm": GOOD},
    )
    assert answer.status_code == 200 and "Your password is changed." in answer.text
    assert signed_in(here)
    assert not signed_in(there)


def test_deactivation_ends_every_session_of_the_person(api, browser_of, ready_db) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(ready_db) as session:
        sam = users.create_user(
            session, email=SAM, name="Sam Ortiz", role=Role.producer, password=GOOD
        )
        sam_id = sam.id
    first, second = browser_of(), browser_of()
    sign_in(first, SAM, GOOD)
    sign_in(second, SAM, GOOD)
    assert signed_in(first) and signed_in(second)
    assert api.patch(f"/api/v1/users/{sam_id}", json={"active": False}).status_code == 200
    assert not signed_in(first) and not signed_in(second)


def test_the_account_page_lists_sessions_and_signs_out_the_others(browser_of) -> None:  # type: ignore[no-untyped-def]
    laptop, phone, tablet = (
        browser_of("Laptop Firefox"),
        browser_of("Phone Safari"),
        browser_of("Tablet"),
    )
    for browser in (laptop, phone, tablet):
        sign_in(browser)
    listed = BeautifulSoup(laptop.get("/account").text, "html.parser").select("#sessions tbody tr")
    texts = [row.get_text(" ", strip=True) for row in listed]
    assert len(texts) == 3
    assert any("Laptop Firefox (this browser)" in text for text in texts)
    assert any("Phone Safari" in text and "this browser" not in text for text in texts)
    with unit_of_work(str(laptop.app.state.db_url)) as session:  # type: ignore[attr-defined]
        zone = load_settings(session).agency.timezone
    signed = wall_clock(at(NOW), zone)
    assert all(signed in text for text in texts), "on the agency's clock, its zone named"
    answer = laptop.post("/account/sessions/end-others")
    assert "Every other session is signed out." in answer.text
    assert signed_in(laptop) and not signed_in(phone) and not signed_in(tablet)
    left = BeautifulSoup(laptop.get("/account").text, "html.parser").select("#sessions tbody tr")
    assert len(left) == 1
    assert "Sign out other sessions" not in laptop.get("/account").text


def test_sessions_long_over_are_pruned_at_the_next_sign_in(browser_of, ready_db) -> None:  # type: ignore[no-untyped-def]
    old = browser_of()
    sign_in(old)
    old.post("/logout")
    sign_in(browser_of())  # within a day: the ended row is kept
    assert rows(ready_db) == 2
    clock.pin(at("2026-12-03T15:00:00Z"))
    sign_in(browser_of())
    assert rows(ready_db) == 2, "the one signed out two days ago is gone, the live two stay"
    clock.pin(at("2026-12-16T16:00:00Z"))
    sign_in(browser_of())
    assert rows(ready_db) == 2, "expired more than a day ago: gone"
