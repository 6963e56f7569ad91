"""The sender's documented guarantees (docs/delivery.md, "Exactly once"), each held by a test
that fails when one line of the sender breaks:

- just before an ask leaves, its client is checked again: an opt-out, a withdrawn consent or
  a recent complaint since the decision suppresses it, and nothing reaches the provider;
- a sender killed before Twilio took the text leaves the ask ``sending``; once the lease
  (600 s) has run out, the next pass asks Twilio, finds nothing and sends it — one text;
  when Twilio did take it, the next pass finds it and sends nothing;
- a transient failure is retried after 5, 10, 20, 40, 80 minutes… (capped at 6 hours),
  moved out of quiet hours, and the ask fails after the 6th attempt.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from referral_engine import clock
from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.delivery.service import backoff
from tests.agency import POSTAL, Agency, bind, wire_providers
from tests.conftest import at, utc
from tests.smtp_server import SmtpServer
from tests.twilio_double import Answer, TwilioDouble

ROOT = Path(__file__).resolve().parents[2]
IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
CHANGED = "2026-11-30T12:00:00Z"  # after the decision, before the send
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago
MOBILE = "+13125550123"
LEASE = timedelta(seconds=600)  # REFERRAL_SEND_LEASE_SECONDS' documented default


@pytest.fixture
def wired(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> Agency:
    """An agency with both providers pointed at the local peers and the default lease."""
    wire_providers(monkeypatch, smtp_server, twilio_double)
    monkeypatch.delenv("REFERRAL_SEND_LEASE_SECONDS", raising=False)
    agency.configure(f'[agency]\nname = "Lakeside Insurance"\npostal_address = "{POSTAL}"\n')
    return agency


def scheduled(agency: Agency, **overrides: Any) -> dict[str, Any]:
    """Dana's bind, decided while everything was fine: an ask scheduled for DUE."""
    agency.feed(bind(**overrides), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "scheduled" and at(ask["scheduled_for"]) == at(DUE), ask
    return ask


def change_client(url: str, **values: Any) -> None:
    """Change the client row behind the decision engine's back, as a path it does not hear
    about does (a carrier's 21610 report sets ``sms_opted_out`` and touches nothing else)."""
    with unit_of_work(url) as session:
        session.execute(update(Client).values(**values))


def suppression(ask: dict[str, Any]) -> tuple[datetime, str]:
    """When the ask was suppressed, and for which rule."""
    [entry] = [e for e in ask["timeline"] if e["status"] == "suppressed"]
    return at(entry["at"]), entry["rule"]


def ask_message(agency: Agency, ask_id: int) -> dict[str, Any]:
    messages = agency.api.get("/api/v1/messages").json()
    [message] = [m for m in messages if m["ask_id"] == ask_id]
    return dict(message)


def nothing_reached_a_provider(twilio: TwilioDouble, smtp: SmtpServer) -> None:
    assert twilio.requests == [], "Twilio was called"
    assert smtp.envelopes == [], "an email went out"


# -- the client is checked again just before the send ----------------------------------


@pytest.mark.parametrize(
    ("channel", "detail"),
    [("sms", "SMS: the client declined texts"), ("email", "email: the client declined email")],
    ids=["sms", "email"],
)
def test_consent_withdrawn_after_the_decision_suppresses_the_ask_at_send_time(
    wired: Agency,
    twilio_double: TwilioDouble,
    smtp_server: SmtpServer,
    channel: str,
    detail: str,
) -> None:
    ask = scheduled(wired, client__preferred_channel=channel)
    # Withdrawn behind the decision engine's back (every event that carries consent
    # re-decides open asks, see the next test), so the sender's own check must stop it.
    change_client(wired.url, **{f"consent_{channel}": False})

    wired.tick(DUE)

    nothing_reached_a_provider(twilio_double, smtp_server)
    after = wired.ask(ask["id"])
    assert after["status"] == "suppressed"
    assert suppression(after) == (at(DUE), "no_consent")
    assert {"rule": "no_consent", "detail": detail} in after["reasons"]


def test_consent_withdrawn_in_any_event_moves_the_open_ask_at_once(
    wired: Agency, twilio_double: TwilioDouble, smtp_server: SmtpServer
) -> None:
    ask = scheduled(wired)
    assert ask["channel"] == "sms"
    # The bind of another policy (not a client.updated) carries the withdrawn consent.
    home = {"number": "HO-5521", "line_of_business": "HOME", "transaction": "new"}
    wired.feed(bind(id="bind-home", policy=home, client__consent={"sms": False}), now=CHANGED)
    wired.tick(CHANGED)
    moved = wired.ask(ask["id"])
    assert moved["channel"] == "email" and moved["status"] == "scheduled"
    assert moved["draft"]["subject"], "a new draft, written for email"
    wired.tick(DUE)
    assert twilio_double.messages == []
    assert [m["To"] for m in smtp_server.messages] == ["dana@example.com"]


@pytest.mark.parametrize(
    ("channel", "column", "detail"),
    [
        ("sms", "sms_opted_out", "SMS: the client opted out (STOP)"),
        ("email", "email_opted_out", "email: the client unsubscribed"),
    ],
    ids=["sms", "email"],
)
def test_an_opt_out_after_the_decision_suppresses_the_ask_at_send_time(
    wired: Agency,
    twilio_double: TwilioDouble,
    smtp_server: SmtpServer,
    channel: str,
    column: str,
    detail: str,
) -> None:
    ask = scheduled(wired, client__preferred_channel=channel)
    change_client(wired.url, **{column: True})

    wired.tick(DUE)

    nothing_reached_a_provider(twilio_double, smtp_server)
    after = wired.ask(ask["id"])
    assert after["status"] == "suppressed"
    assert suppression(after) == (at(DUE), "opted_out")
    assert {"rule": "opted_out", "detail": detail} in after["reasons"]


def test_a_complaint_after_the_decision_suppresses_the_ask_at_send_time(
    wired: Agency, twilio_double: TwilioDouble, smtp_server: SmtpServer
) -> None:
    ask = scheduled(wired)
    change_client(wired.url, last_complaint_at=at(CHANGED))

    wired.tick(DUE)

    nothing_reached_a_provider(twilio_double, smtp_server)
    after = wired.ask(ask["id"])
    assert after["status"] == "suppressed"
    assert suppression(after) == (at(DUE), "recent_complaint")
    [reason] = [r for r in after["reasons"] if r["rule"] == "recent_complaint"]
    assert "within the last 60 days" in reason["detail"]


# -- a sender killed mid-send ------------------------------------------------------------


def sender(agency: Agency) -> subprocess.Popen[bytes]:
    """`referral tick` at DUE in its own process, importing this tree's package."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "REFERRAL_DB": agency.url, "REFERRAL_NOW": DUE, "PYTHONPATH": path}
    return subprocess.Popen(
        [sys.executable, "-c", "from referral_engine.cli import run; run()", "tick"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def lease_began(url: str, ask_id: int, ago: timedelta) -> None:
    """The lease is measured on the wall clock: date the claim back rather than wait."""
    with unit_of_work(url) as session:
        session.execute(
            update(Ask).where(Ask.id == ask_id).values(sending_started_at=clock.wall() - ago)
        )


def left_in_doubt(agency: Agency, ask_id: int) -> None:
    assert agency.ask(ask_id)["status"] == "sending"
    message = ask_message(agency, ask_id)
    assert (message["status"], message["provider_id"], message["attempts"]) == ("sending", None, 1)


def test_a_sender_killed_before_twilio_took_the_text_is_reconciled_and_sends_it_once(
    wired: Agency, twilio_double: TwilioDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask = scheduled(wired)
    process = sender(wired)
    answer = twilio_double.answer
    killed: list[str] = []

    def kill_on_arrival(method: str, target: str, form: dict[str, str], auth: str) -> Answer:
        if method == "POST" and not killed:
            # The text is in flight and Twilio has not taken it: the sender dies here.
            process.kill()
            process.wait()
            killed.append(form["To"])
            return None
        return answer(method, target, form, auth)

    monkeypatch.setattr(twilio_double, "answer", kill_on_arrival)
    assert process.wait(timeout=120) != 0 and killed == [MOBILE]
    left_in_doubt(wired, ask["id"])
    assert twilio_double.requests == [] and twilio_double.messages == []

    lease_began(wired.url, ask["id"], LEASE - timedelta(minutes=1))
    wired.tick("2026-12-01T16:09:00Z")
    left_in_doubt(wired, ask["id"])
    assert twilio_double.requests == [], "within the lease nobody touches it"

    lease_began(wired.url, ask["id"], LEASE + timedelta(minutes=1))
    wired.tick("2026-12-01T16:11:00Z")

    [sent] = twilio_double.messages
    assert sent["to"] == MOBILE and sent["body"] == ask["draft"]["body"]
    asked_then_sent = [(r.method, r.params.get("To")) for r in twilio_double.requests]
    assert asked_then_sent == [("GET", MOBILE), ("POST", MOBILE)], "Twilio is asked first"
    after = wired.ask(ask["id"])
    assert after["status"] == "sent" and at(after["sent_at"]) == utc(2026, 12, 1, 16, 11)
    assert ask_message(wired, ask["id"])["provider_id"] == sent["sid"]

    wired.tick("2026-12-01T17:00:00Z")
    wired.tick("2026-12-02T16:00:00Z")
    assert len(twilio_double.messages) == 1


def test_a_sender_killed_after_twilio_took_the_text_is_reconciled_without_a_second_text(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired)
    process = sender(wired)
    twilio_double.after_create = lambda count: process.kill()  # answer not yet sent
    assert process.wait(timeout=120) != 0
    twilio_double.after_create = None
    [taken] = twilio_double.messages
    left_in_doubt(wired, ask["id"])

    lease_began(wired.url, ask["id"], LEASE - timedelta(minutes=1))
    wired.tick("2026-12-01T16:09:00Z")
    left_in_doubt(wired, ask["id"])

    lease_began(wired.url, ask["id"], LEASE + timedelta(minutes=1))
    wired.tick("2026-12-01T16:11:00Z")

    assert twilio_double.messages == [taken]
    assert [r.method for r in twilio_double.requests] == ["POST", "GET"]
    after = wired.ask(ask["id"])
    assert after["status"] == "sent" and at(after["sent_at"]) == utc(2026, 12, 1, 16, 11)
    assert ask_message(wired, ask["id"])["provider_id"] == taken["sid"]
    wired.tick("2026-12-02T16:00:00Z")
    assert twilio_double.messages == [taken]


# -- backoff and the attempt limit -----------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "minutes"),
    [(1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 160), (7, 320), (8, 360), (9, 360)],
)
def test_backoff_doubles_from_five_minutes_and_is_capped_at_six_hours(
    attempt: int, minutes: int
) -> None:
    assert backoff(attempt) == timedelta(minutes=minutes)


def failing_always(channel: str, twilio: TwilioDouble, smtp: SmtpServer) -> None:
    if channel == "sms":
        twilio.fail_next(503, 20503, "Service Unavailable", times=50)
    else:
        smtp.fail_always("451 4.3.0 Try again later")


def attempts(agency: Agency, ask_id: int) -> int:
    return int(ask_message(agency, ask_id)["attempts"])


def retried_at(agency: Agency, ask_id: int) -> datetime:
    ask = agency.ask(ask_id)
    assert ask["status"] == "scheduled", ask
    return at(ask["scheduled_for"])


def gave_up(agency: Agency, ask_id: int) -> None:
    ask = agency.ask(ask_id)
    assert ask["status"] == "failed", ask
    [reason] = [r for r in ask["reasons"] if r["rule"] == "delivery_failed"]
    assert reason["detail"].startswith("gave up after 6")


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_transient_failures_retry_after_5_10_20_40_80_minutes_then_fail_at_the_6th(
    wired: Agency, twilio_double: TwilioDouble, smtp_server: SmtpServer, channel: str
) -> None:
    ask = scheduled(wired, client__preferred_channel=channel)
    failing_always(channel, twilio_double, smtp_server)
    plan = [  # (attempt made at, retry scheduled for)
        (utc(2026, 12, 1, 16, 0), utc(2026, 12, 1, 16, 5)),
        (utc(2026, 12, 1, 16, 5), utc(2026, 12, 1, 16, 15)),
        (utc(2026, 12, 1, 16, 15), utc(2026, 12, 1, 16, 35)),
        (utc(2026, 12, 1, 16, 35), utc(2026, 12, 1, 17, 15)),
        (utc(2026, 12, 1, 17, 15), utc(2026, 12, 1, 18, 35)),
    ]
    for number, (attempt_at, retry_at) in enumerate(plan, start=1):
        wired.tick(iso(attempt_at))
        assert attempts(wired, ask["id"]) == number
        assert retried_at(wired, ask["id"]) == retry_at, f"after attempt {number}"
        wired.tick(iso(retry_at - timedelta(seconds=1)))
        assert attempts(wired, ask["id"]) == number, "not before its time"

    wired.tick("2026-12-01T18:35:00Z")
    assert attempts(wired, ask["id"]) == 6
    gave_up(wired, ask["id"])

    wired.tick("2026-12-01T18:40:00Z")
    wired.tick("2026-12-02T00:35:00Z")  # six hours on
    wired.tick("2026-12-08T16:00:00Z")
    assert attempts(wired, ask["id"]) == 6, "no 7th attempt"
    if channel == "sms":
        assert len(twilio_double.requests) == 6
    assert twilio_double.messages == [] and smtp_server.messages == []
    gave_up(wired, ask["id"])


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_the_next_business_day_slot(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    ask = scheduled(wired)
    friday_evening = "2026-12-05T01:00:00Z"  # Friday Dec 4, 19:00 in Chicago
    deferred = wired.post(f"/api/v1/asks/{ask['id']}/defer", {"until": friday_evening}, now=DECIDED)
    assert deferred.status_code == 200, deferred.text
    twilio_double.fail_next(503, 20503, "Service Unavailable", times=50)
    plan = [  # Chicago is UTC-6; quiet hours 21:00-08:00; the send hour 10:00
        (utc(2026, 12, 5, 1, 0), utc(2026, 12, 5, 1, 5)),  # 19:05
        (utc(2026, 12, 5, 1, 5), utc(2026, 12, 5, 1, 15)),
        (utc(2026, 12, 5, 1, 15), utc(2026, 12, 5, 1, 35)),
        (utc(2026, 12, 5, 1, 35), utc(2026, 12, 5, 2, 15)),  # 20:15
        # +80 minutes is 21:35, quiet; Saturday and Sunday are no business days:
        # Monday Dec 7 at 10:00 in Chicago.
        (utc(2026, 12, 5, 2, 15), utc(2026, 12, 7, 16, 0)),
    ]
    for number, (attempt_at, retry_at) in enumerate(plan, start=1):
        wired.tick(iso(attempt_at))
        assert len(twilio_double.requests) == number
        assert retried_at(wired, ask["id"]) == retry_at, f"after attempt {number}"

    wired.tick("2026-12-05T03:35:00Z")  # 21:35, when the backoff alone would have retried
    wired.tick("2026-12-06T16:00:00Z")  # Sunday 10:00
    assert len(twilio_double.requests) == 5, "nothing in quiet hours or off a business day"

    wired.tick("2026-12-07T16:00:00Z")
    assert len(twilio_double.requests) == 6
    gave_up(wired, ask["id"])
