"""Just before anything leaves, the sender checks the client's send window (the law's hours
for their state and area code) and the 24-hour message cap (research R11, test case 4):
through `referral import`, `referral tick --now` and the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agency import Agency, bind, detail, timeline, wire_providers
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago
REFERRAL = {
    "prospect": {"first_name": "Lee", "last_name": "Park", "mobile": "+13125550188"},
    "referred_by": {"kind": "client", "external_id": "C-1001"},
}


@pytest.fixture
def wired(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> Agency:
    wire_providers(monkeypatch, smtp_server, twilio_double, public_url=None)
    agency.configure('[agency]\npostal_address = "200 W Lake St, Chicago, IL 60606"\n')
    return agency


def scheduled(agency: Agency, **overrides: Any) -> dict[str, Any]:
    agency.feed(bind(**overrides), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "scheduled", ask
    return ask


def texts_about_lee(twilio: TwilioDouble) -> list[dict[str, Any]]:
    return [m for m in twilio.messages if "Lee" in m["body"]]


# --- the 24-hour cap --------------------------------------------------------------------------


def test_a_thank_you_and_an_ask_on_one_day_the_ask_waits_24_hours(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired)  # Dana, Chicago: Tue Dec 1 10:00
    thanked = wired.post("/api/v1/referrals", REFERRAL, now="2026-12-01T15:00:00Z")
    assert thanked.status_code == 201, thanked.text
    wired.tick("2026-12-01T15:05:00Z")  # 09:05: the thank-you leaves
    assert len(texts_about_lee(twilio_double)) == 1

    wired.tick(DUE)

    waiting = wired.ask(ask["id"])
    assert waiting["status"] == "scheduled"
    assert waiting["scheduled_for"].startswith("2026-12-02T15:05:00")  # 24 h after the thanks
    assert "1 referral message went to this client in the 24 hours before Tue Dec 1 10:00" in (
        detail(waiting, "frequency_cap")
    )
    assert ("rule", "frequency_cap", None) in timeline(waiting)
    assert len(twilio_double.messages) == 1, "the ask did not go"

    wired.tick("2026-12-02T15:04:00Z")
    assert len(twilio_double.messages) == 1
    wired.tick("2026-12-02T15:05:00Z")
    sent = wired.ask(ask["id"])
    assert sent["status"] == "sent" and sent["sent_at"].startswith("2026-12-02T15:05:00")
    assert len(twilio_double.messages) == 2


def test_an_ask_then_a_thank_you_on_one_day_the_thank_you_waits_24_hours(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    scheduled(wired)
    wired.tick(DUE)  # the ask goes by text at 10:00
    assert len(twilio_double.messages) == 1
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-01T17:00:00Z")  # 11:00
    wired.tick("2026-12-01T17:05:00Z")
    assert texts_about_lee(twilio_double) == []
    [thanks] = [m for m in wired.api.get("/api/v1/messages").json() if m["ask_id"] is None]
    assert thanks["status"] == "queued"

    wired.tick("2026-12-02T15:59:00Z")
    assert texts_about_lee(twilio_double) == []
    wired.tick("2026-12-02T16:00:00Z")  # 24 h after the ask
    assert len(texts_about_lee(twilio_double)) == 1


def test_the_cap_counts_every_channel(wired: Agency, smtp_server: SmtpServer) -> None:
    ask = scheduled(wired, client__preferred_channel="email")
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-01T15:00:00Z")
    wired.tick("2026-12-01T15:05:00Z")  # the thank-you email
    assert len(to_clients(smtp_server)) == 1
    wired.tick(DUE)
    assert wired.ask(ask["id"])["scheduled_for"].startswith("2026-12-02T15:05:00")
    assert len(to_clients(smtp_server)) == 1


def to_clients(smtp_server: SmtpServer) -> list[Any]:
    """Emails to clients (the referral's contact task tells staff too: ``Auto-Submitted``)."""
    return [m for m in smtp_server.messages if m["Auto-Submitted"] is None]


def test_an_agency_allowing_two_a_day_sends_both(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    wired.configure("[timing]\nmax_messages_per_day = 2\n")
    ask = scheduled(wired)
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-01T15:00:00Z")
    wired.tick("2026-12-01T15:05:00Z")
    wired.tick(DUE)
    assert wired.ask(ask["id"])["status"] == "sent"
    assert len(twilio_double.messages) == 2


# --- the send window, checked again at the send -------------------------------------------------

FLORIDA = {"client__mobile": "+13055550123", "client__postal_code": "33101"}


def test_a_florida_ask_due_while_the_worker_was_down_waits_for_the_next_slot(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired, **FLORIDA)
    assert ask["scheduled_for"].startswith("2026-12-01T15:00:00")  # 10:00 Eastern

    wired.tick("2026-12-02T01:15:00Z")  # 20:15 Eastern: Florida allows no text after 20:00

    later = wired.ask(ask["id"])
    assert twilio_double.messages == []
    assert later["status"] == "scheduled"
    assert later["scheduled_for"].startswith("2026-12-02T15:00:00")  # Wed 10:00 Eastern
    assert "Florida: no texts after 20:00 recipient-local (Fla. Stat. 501.616(6))" in detail(
        later, "quiet_hours"
    )


def test_a_thank_you_text_to_a_florida_client_waits_past_2000_eastern(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    known = bind(id="known", type="client.updated", policy=None, **FLORIDA)  # no ask
    wired.feed(known, now="2026-12-01T15:00:00Z")
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-02T01:10:00Z")  # 20:10 Eastern
    wired.tick("2026-12-02T01:15:00Z")
    assert texts_about_lee(twilio_double) == []
    wired.tick("2026-12-02T14:59:00Z")
    assert texts_about_lee(twilio_double) == []
    wired.tick("2026-12-02T15:00:00Z")  # Wed 10:00 Eastern, the send hour
    assert len(texts_about_lee(twilio_double)) == 1
