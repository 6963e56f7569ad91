"""Asks leave through real peers — SMTP on loopback and the twilio client against a local
stand-in — exactly once, with retries for transient failures and none for permanent ones."""

from __future__ import annotations

import pytest

from tests.agency import POSTAL, Agency, bind
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago


def scheduled(agency: Agency, **overrides: object) -> dict[str, object]:
    agency.feed(bind(**overrides), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "scheduled", ask
    return ask


def test_a_due_sms_ask_goes_out_once_through_twilio(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired)
    wired.tick("2026-12-01T15:59:00Z")
    assert twilio_double.messages == [], "not before its time"
    wired.tick(DUE)
    wired.tick(DUE)
    [sent] = twilio_double.messages
    assert sent["to"] == "+13125550123"
    assert sent["body"] == ask["draft"]["body"]
    assert sent["status_callback"] == "https://refer.agency.example/hooks/twilio/status"
    after = wired.ask(ask["id"])
    assert after["status"] == "sent" and after["sent_at"].startswith("2026-12-01T16:00:00")


def test_an_email_ask_carries_reply_to_unsubscribe_and_the_postal_address(
    wired: Agency, smtp_server: SmtpServer
) -> None:
    ask = scheduled(wired, client__preferred_channel="email")
    wired.tick(DUE)
    [message] = smtp_server.messages
    assert message["To"] == "dana@example.com"
    assert message["Subject"] == ask["draft"]["subject"]
    assert message["Message-ID"].startswith("<ask-")
    assert message["Reply-To"].startswith("asks+") and message["Reply-To"].endswith(
        "@agency.example"
    )
    unsubscribe = message["List-Unsubscribe"]
    assert "<https://refer.agency.example/u/" in unsubscribe and "<mailto:" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert POSTAL in plain and POSTAL in html
    assert wired.ask(ask["id"])["status"] == "sent"


def test_no_email_goes_out_while_the_postal_address_is_unset(
    wired: Agency, smtp_server: SmtpServer
) -> None:
    wired.configure('[agency]\npostal_address = ""\n')
    ask = scheduled(wired, client__preferred_channel="email")
    wired.tick(DUE)
    assert smtp_server.messages == []
    after = wired.ask(ask["id"])
    assert after["status"] == "scheduled"
    assert any(r["rule"] == "postal_address" for r in after["reasons"])


def test_without_providers_asks_wait_in_the_outbox(agency: Agency) -> None:
    ask = scheduled(agency)
    agency.tick(DUE)
    assert agency.ask(ask["id"])["status"] == "outbox"
    outbox = agency.api.get("/api/v1/messages", params={"status": "outbox"}).json()
    assert [(m["ask_id"], m["channel"], m["to"]) for m in outbox] == [
        (ask["id"], "sms", "+13125550123")
    ]


def test_twilio_429_is_retried_later_with_backoff(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired)
    twilio_double.fail_next(429, 20429, "Too Many Requests")
    wired.tick(DUE)
    retried = wired.ask(ask["id"])
    assert retried["status"] == "scheduled"
    assert retried["scheduled_for"].startswith("2026-12-01T16:05:00")
    assert twilio_double.messages == []
    wired.tick("2026-12-01T16:05:00Z")
    assert len(twilio_double.messages) == 1
    assert wired.ask(ask["id"])["status"] == "sent"


def test_a_retry_never_lands_in_quiet_hours(wired: Agency, twilio_double: TwilioDouble) -> None:
    ask = scheduled(wired)
    twilio_double.fail_next(503, 20503, "Service Unavailable")
    late = "2026-12-02T02:58:00Z"  # 20:58 in Chicago; +5 minutes is quiet
    wired.post(f"/api/v1/asks/{ask['id']}/defer", {"until": late}, now=DECIDED)
    wired.tick(late)
    retried = wired.ask(ask["id"])
    assert retried["status"] == "scheduled"
    assert retried["scheduled_for"].startswith("2026-12-02T16:00:00")


@pytest.mark.parametrize(("code", "opted_out"), [(21610, True), (21211, False)])
def test_permanent_twilio_errors_fail_without_retry(
    wired: Agency, twilio_double: TwilioDouble, code: int, opted_out: bool
) -> None:
    ask = scheduled(wired)
    twilio_double.fail_next(400, code, "refused", times=5)
    wired.tick(DUE)
    failed = wired.ask(ask["id"])
    assert failed["status"] == "failed"
    assert (
        str(code) in [r for r in failed["reasons"] if r["rule"] == "delivery_failed"][0]["detail"]
    )
    wired.tick("2026-12-02T16:00:00Z")
    assert twilio_double.messages == []
    assert len(twilio_double.requests) == 1, "never retried"


def test_smtp_451_is_retried_and_550_fails(wired: Agency, smtp_server: SmtpServer) -> None:
    ask = scheduled(wired, client__preferred_channel="email")
    smtp_server.fail_next("451 4.3.0 Try again later")
    wired.tick(DUE)
    assert wired.ask(ask["id"])["status"] == "scheduled"
    smtp_server.fail_always("550 5.1.1 No such user")
    wired.tick("2026-12-01T16:05:00Z")
    failed = wired.ask(ask["id"])
    assert failed["status"] == "failed"
    assert "550" in [r for r in failed["reasons"] if r["rule"] == "delivery_failed"][0]["detail"]


def test_a_client_who_opted_out_before_the_send_is_not_texted(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired)
    wired.feed(
        bind(
            id="upd-1",
            type="client.updated",
            policy=None,
            client__consent={"sms": False, "email": False},
        ),
        now="2026-11-30T12:00:00Z",
    )
    wired.tick("2026-11-30T12:01:00Z")
    wired.tick(DUE)
    assert twilio_double.messages == []
    assert wired.ask(ask["id"])["status"] == "suppressed"
