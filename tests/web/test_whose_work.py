"""What each role sees: a producer's own book by default, "All" one click for a principal,
no review buttons for a CSR; the server refuses what a page does not offer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from referral_engine import clock
from referral_engine.users.models import Role
from tests.agency import Agency
from tests.conftest import at
from tests.team_members import PASSWORD, member
from tests.team_members import two_books as books
from tests.web.test_pages import sign_in

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

REVIEWED = "2026-11-27T15:00:00Z"


@pytest.fixture
def two_books(agency: Agency) -> Iterator[dict[str, Any]]:
    """Two asks waiting for review: Sam's client Dana, and Lee's client Noor."""
    asks = books(agency)
    tokens = {
        "sam": member(agency.url, email="sam@agency.example", role=Role.producer),
        "lee": member(agency.url, email="lee@agency.example", role=Role.producer),
        "csr": member(agency.url, email="desk@agency.example", role=Role.csr, name="Desk Csr"),
    }
    clock.pin(at(REVIEWED))
    yield {"sam": asks["Dana Reyes"], "lee": asks["Noor Haddad"], "tokens": tokens}
    clock.pin(None)


def sign_in_as(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")


def test_a_producer_approving_another_producers_ask_is_refused(
    agency: Agency, two_books: dict[str, Any]
) -> None:
    lees = two_books["lee"]
    answer = agency.post(
        f"/api/v1/asks/{lees['id']}/approve", None, now=REVIEWED, token=two_books["tokens"]["sam"]
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert agency.ask(lees["id"])["status"] == "pending_review"
    own = agency.post(
        f"/api/v1/asks/{two_books['sam']['id']}/approve",
        None,
        now=REVIEWED,
        token=two_books["tokens"]["sam"],
    )
    assert own.status_code == 200 and own.json()["status"] == "scheduled"


@pytest.mark.browser
def test_a_producer_sees_only_their_own_queue_and_a_principal_switches_to_all(  # type: ignore[no-untyped-def]
    live_server, page, agency, two_books
) -> None:
    sams, lees = two_books["sam"], two_books["lee"]
    sign_in_as(page, live_server.url, "sam@agency.example")
    page.click("nav >> text=Review queue")
    page.wait_for_url("**/review")
    assert page.locator(f"#ask-{sams['id']}").count() == 1
    assert page.locator(f"#ask-{lees['id']}").count() == 0
    assert page.locator(".whose a").count() == 0, "no All toggle for a producer"
    page.goto(live_server.url + "/review?who=all")
    assert page.locator(f"#ask-{lees['id']}").count() == 0, "a producer's book only"
    page.goto(live_server.url + f"/asks/{lees['id']}")
    assert page.locator("button:has-text('Approve')").count() == 0
    forced = page.request.post(live_server.url + f"/asks/{lees['id']}/approve")
    assert "may not review" in forced.text()
    assert agency.ask(lees["id"])["status"] == "pending_review"
    page.goto(live_server.url + "/contacts")
    assert "Dana Reyes" in page.content() and "Noor Haddad" not in page.content()
    page.goto(live_server.url + "/asks")
    assert "pending review (1)" in page.locator("main").inner_text(), "counts of Sam's book"
    page.click("button:has-text('Sign out')")

    sign_in(page, live_server.url)  # the admin, acting as a principal
    page.goto(live_server.url + "/review?who=mine")
    assert page.locator(f"#ask-{lees['id']}").count() == 0
    page.click(".whose >> text=All")
    page.wait_for_url("**/review?who=all")
    assert page.locator(f"#ask-{sams['id']}").count() == 1
    assert page.locator(f"#ask-{lees['id']}").count() == 1


@pytest.mark.browser
def test_a_csr_sees_the_queue_without_review_buttons(live_server, page, agency, two_books) -> None:  # type: ignore[no-untyped-def]
    sign_in_as(page, live_server.url, "desk@agency.example")
    page.click("nav >> text=Review queue")
    page.wait_for_url("**/review")
    card = page.locator(f"#ask-{two_books['sam']['id']}")
    assert card.count() == 1
    assert card.locator("button").count() == 0
    assert page.locator("button:has-text('Approve')").count() == 0
    page.goto(live_server.url + f"/asks/{two_books['sam']['id']}")
    assert page.locator("button:has-text('Approve')").count() == 0
