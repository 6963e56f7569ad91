"""A client whose consent on the chosen channel is not recorded is never asked by itself:
an event through the API puts the ask in review with "consent not recorded", email too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agency import POSTAL, Agency, bind, detail, wire_providers
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

RECEIVED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago, the proposed slot


@pytest.mark.parametrize(
    "client",
    [
        pytest.param(
            {"consent": {"email": None, "sms": None}, "mobile": None, "preferred_channel": "email"},
            id="email-only-client",
        ),
        pytest.param(
            {"consent": {"email": None, "sms": False}, "preferred_channel": "email"},
            id="texts-refused",
        ),
    ],
)
def test_an_event_for_a_client_without_recorded_email_consent_waits_for_review(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
    client: dict[str, Any],
) -> None:
    wire_providers(monkeypatch, smtp_server, twilio_double)
    agency.configure(f'[agency]\nname = "Lakeside Insurance"\npostal_address = "{POSTAL}"\n')
    event = bind(**{f"client__{key}": value for key, value in client.items()})
    received = agency.post("/api/v1/events", event, now=RECEIVED)
    assert received.status_code == 202, received.text
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert (ask["status"], ask["channel"]) == ("pending_review", "email")
    assert "consent not recorded" in detail(ask, "no_consent")
    agency.tick(DUE)
    assert agency.ask(ask["id"])["status"] == "pending_review"
    # Nothing reaches the client; the producer may be told the ask waits for review.
    assert [m for m in smtp_server.messages if m["To"] != "sam@agency.example"] == []
    assert twilio_double.messages == []
    approved = agency.post(f"/api/v1/asks/{ask['id']}/approve", {}, now=DUE)
    assert approved.status_code == 409, "approving waits until consent is recorded"
    assert agency.ask(ask["id"])["status"] == "pending_review"
