"""Messages other than asks — a referrer's thank-you and updates — leave through the same
providers: once, out of quiet hours, never to someone who opted out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agency import Agency, bind, wire_providers
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

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


def thanks(agency: Agency) -> list[dict[str, Any]]:
    return [m for m in agency.api.get("/api/v1/messages").json() if m["ask_id"] is None]


def test_a_thank_you_text_goes_out_once(wired: Agency, twilio_double: TwilioDouble) -> None:
    wired.feed(bind(), now="2026-12-01T15:00:00Z")
    created = wired.post("/api/v1/referrals", REFERRAL, now="2026-12-01T16:00:00Z")
    assert created.status_code == 201, created.text
    wired.tick("2026-12-01T16:05:00Z")
    wired.tick("2026-12-01T16:10:00Z")
    texts = [m for m in twilio_double.messages if "Lee" in m["body"]]
    assert len(texts) == 1 and texts[0]["to"] == "+13125550123"
    [message] = thanks(wired)
    assert message["status"] == "sent"


def test_a_thank_you_email_carries_the_postal_address(
    wired: Agency, smtp_server: SmtpServer
) -> None:
    wired.feed(bind(client__preferred_channel="email"), now="2026-12-01T15:00:00Z")
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-01T16:00:00Z")
    wired.tick("2026-12-01T16:05:00Z")
    [email] = [m for m in smtp_server.messages if m["To"] == "dana@example.com"]
    assert "200 W Lake St" in email.get_content()


def test_a_thank_you_text_waits_out_quiet_hours(wired: Agency, twilio_double: TwilioDouble) -> None:
    # A client without an ask: a bind's ask would take Wednesday's 10:00 slot too, and the
    # 24-hour message cap would then hold the thank-you a day (tests/delivery/test_pacing.py).
    wired.feed(bind(type="client.updated", policy=None), now="2026-12-01T15:00:00Z")
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-02T04:00:00Z")  # 22:00 Chicago
    wired.tick("2026-12-02T04:05:00Z")
    assert not [m for m in twilio_double.messages if "Lee" in m["body"]]
    wired.tick("2026-12-02T14:30:00Z")  # 08:30: not before the next send slot
    assert not [m for m in twilio_double.messages if "Lee" in m["body"]]
    wired.tick("2026-12-02T16:00:00Z")  # 10:00, the send hour
    assert len([m for m in twilio_double.messages if "Lee" in m["body"]]) == 1


def test_a_client_who_opted_out_before_the_send_gets_nothing(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    wired.feed(bind(), now="2026-12-01T15:00:00Z")
    wired.post("/api/v1/referrals", REFERRAL, now="2026-12-02T04:00:00Z")
    withdrawn = bind(
        id="upd-9",
        type="client.updated",
        policy=None,
        client__consent={"email": False, "sms": False},
    )
    wired.feed(withdrawn, now="2026-12-02T05:00:00Z")
    wired.tick("2026-12-02T14:30:00Z")
    assert not [m for m in twilio_double.messages if "Lee" in m["body"]]
    [message] = thanks(wired)
    assert message["status"] == "failed"
