"""A client's timeline shows the referrals they made and the messages sent to them; a
deferral typed on the agency's clock is stored, shown and logged on that clock."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.agency import Agency, bind
from tests.web.test_lists_pages import signed_in

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago
REFERRED = "2026-12-02T15:00:00Z"


def client_id(agency: Agency) -> int:
    found = BeautifulSoup(signed_in(agency).get("/contacts?q=reyes").text, "html.parser")
    link = found.select_one("tbody a[href^='/contacts/']")
    assert link is not None
    return int(str(link["href"]).rsplit("/", 1)[1])


def test_the_timeline_shows_the_email_sent_and_the_referral_made_newest_first(
    wired: Agency,
) -> None:
    wired.feed(bind(client__preferred_channel="email"), now=IMPORTED)
    wired.tick(DECIDED)
    wired.tick(DUE)
    ask = wired.only_ask()
    assert (ask["status"], ask["channel"]) == ("sent", "email")
    made = wired.post(
        "/api/v1/referrals",
        {
            "prospect": {"first_name": "Maya", "last_name": "Chen", "email": "maya@example.com"},
            "referred_by": {"kind": "client", "external_id": "C-1001"},
        },
        now=REFERRED,
    )
    assert made.status_code == 201, made.text
    shown = signed_in(wired).get(f"/contacts/{client_id(wired)}")
    soup = BeautifulSoup(shown.text, "html.parser")
    entries = soup.select(".timeline li")
    kinds = [li["class"][0] for li in entries]
    assert kinds.index("entry-referral") < kinds.index("entry-message"), "newest first"
    referral = soup.select_one(".entry-referral a")
    assert referral["href"] == f"/referrals/{made.json()['id']}"
    assert referral.get_text() == "Referred Maya Chen"
    messages = [li.get_text(" ") for li in soup.select(".entry-message")]
    sent = [m for m in messages if "Ask email sent" in m]
    assert len(sent) == 1 and "dana@example.com" in sent[0]
    assert "Tue Dec 1 2026, 10:00 AM CST" in sent[0], "the send time on the agency's clock"
    assert any("Thank-you email" in m for m in messages), "the thank-you for the referral"


def test_a_long_timeline_pages_with_older_and_newer_links(agency: Agency) -> None:
    agency.feed(
        *(
            bind(id=f"fb-{n}", type="feedback.received", policy=None, feedback={"score": 9})
            for n in range(60)
        ),
        now=IMPORTED,
    )
    page = signed_in(agency)
    first = BeautifulSoup(page.get(f"/contacts/{client_id(agency)}").text, "html.parser")
    assert len(first.select(".timeline li")) == 50
    older = first.select_one("a[rel=next]")
    assert older is not None and older.get_text() == "Older"
    second = BeautifulSoup(page.get(str(older["href"])).text, "html.parser")
    assert 10 <= len(second.select(".timeline li")) < 50
    assert second.select_one("a[rel=prev]").get_text() == "Newer"


@pytest.fixture
def pending(agency: Agency) -> int:
    agency.feed(bind(client__sensitive=True), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    return int(ask["id"])


def test_a_deferral_typed_on_the_agencys_clock_is_kept_on_it(agency: Agency, pending: int) -> None:
    """09:30 typed on a Chicago agency's page is 15:30 UTC, shown as 9:30 AM CST."""
    page = signed_in(agency)
    from referral_engine import clock
    from tests.conftest import at

    with clock.frozen(at("2026-11-27T15:00:00Z")):
        answer = page.post(
            f"/asks/{pending}/defer",
            data={"until": "2026-12-03T09:30"},
            headers={"referer": f"http://testserver/asks/{pending}"},
            follow_redirects=False,
        )
    assert answer.status_code == 303 and "deferred" in answer.headers["location"]
    ask = agency.ask(pending)
    assert ask["scheduled_for"].replace("+00:00", "Z") == "2026-12-03T15:30:00Z"
    shown = BeautifulSoup(page.get(f"/asks/{pending}").text, "html.parser")
    assert "Dec 3, 9:30 AM CST" in shown.get_text(" ")
    logged = [e["detail"] for e in ask["timeline"] if e["status"] == "deferred"]
    assert logged == ["deferred until 2026-12-03 15:30 UTC (Dec 3, 9:30 AM CST)"]
    assert "(Dec 3, 9:30 AM CST)" in shown.select_one(".timeline").get_text(" ")


def test_a_deferral_that_is_not_a_time_is_refused_in_plain_words(
    agency: Agency, pending: int
) -> None:
    answer = signed_in(agency).post(
        f"/asks/{pending}/defer",
        data={"until": "next tuesday"},
        headers={"referer": f"http://testserver/asks/{pending}"},
    )
    assert answer.status_code == 422
    assert "Pick a date and time to send it" in answer.text
    assert 'value="next tuesday"' in answer.text, "what was typed stays in the box"
    assert agency.ask(pending)["status"] == "pending_review"


def test_an_asks_send_time_shows_the_agencys_and_the_clients_clocks(agency: Agency) -> None:
    """A Denver client of a Chicago agency: 10:00 on the client's clock is 11:00 CST."""
    agency.feed(bind(client__mobile="+13035550123"), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["scheduled_for"].replace("+00:00", "Z") == "2026-12-01T17:00:00Z"
    page = signed_in(agency)
    listed = BeautifulSoup(page.get("/asks").text, "html.parser")
    both = "Dec 1, 11:00 AM CST agency · 10:00 AM MST client"
    assert both in listed.select_one(f"#ask-{ask['id']}").get_text(" ")
    shown = BeautifulSoup(page.get(f"/asks/{ask['id']}").text, "html.parser")
    assert shown.select_one(".goes-out").get_text() == both
