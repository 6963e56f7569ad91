"""The outbox is a waiting room: once a provider is set, a principal sends what waits and the
normal sender sends it at the next send slot; a person may send one by hand and mark it sent."""

from __future__ import annotations

from typing import Any

import pytest

from referral_engine.users.models import Role
from tests.agency import Agency, bind, rules_of, wire_agency
from tests.smtp_server import SmtpServer
from tests.team_members import member
from tests.twilio_double import TwilioDouble

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago
RELEASED = "2026-12-01T18:00:00Z"  # Tuesday 12:00 in Chicago: today's slot has passed
NEXT_SLOT = "2026-12-02T16:00:00Z"  # Wednesday 10:00 in Chicago
HAND = {"how": "sent by hand from my phone"}


def in_outbox(agency: Agency, **overrides: Any) -> dict[str, Any]:
    agency.feed(bind(**overrides), now=IMPORTED)
    agency.tick(DECIDED)
    agency.tick(DUE)
    ask = agency.only_ask()
    assert ask["status"] == "outbox", ask
    return ask


def outbox_messages(agency: Agency) -> list[dict[str, Any]]:
    return list(agency.api.get("/api/v1/messages", params={"status": "outbox"}).json())


def test_outbox_asks_go_out_through_the_normal_sender_once_a_provider_is_set(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> None:
    ask = in_outbox(agency)
    wire_agency(agency, monkeypatch, smtp_server, twilio_double)
    answer = agency.post("/api/v1/outbox/send", None, now=RELEASED)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"queued": 1, "expired": 0}
    released = agency.ask(ask["id"])
    assert released["status"] == "scheduled"
    assert released["scheduled_for"].startswith("2026-12-02T16:00:00")
    assert "outbox" in rules_of(released)
    assert outbox_messages(agency) == []
    agency.tick("2026-12-02T15:59:00Z")
    assert twilio_double.messages == [], "not before its send slot"
    agency.tick(NEXT_SLOT)
    agency.tick(NEXT_SLOT)
    [sent] = twilio_double.messages
    assert sent["to"] == "+13125550123" and sent["body"] == ask["draft"]["body"]
    assert agency.ask(ask["id"])["status"] == "sent"


def test_sending_the_outbox_twice_releases_each_ask_once(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> None:
    in_outbox(agency)
    wire_agency(agency, monkeypatch, smtp_server, twilio_double)
    agency.post("/api/v1/outbox/send", None, now=RELEASED)
    again = agency.post("/api/v1/outbox/send", None, now=RELEASED)
    assert again.json() == {"queued": 0, "expired": 0}


def test_an_outbox_ask_past_its_warmth_window_expires_instead(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> None:
    ask = in_outbox(agency)
    wire_agency(agency, monkeypatch, smtp_server, twilio_double)
    answer = agency.post("/api/v1/outbox/send", None, now="2026-12-10T18:00:00Z")
    assert answer.json() == {"queued": 0, "expired": 1}
    expired = agency.ask(ask["id"])
    assert expired["status"] == "expired"
    assert "warmth_expired" in rules_of(expired)
    agency.tick("2026-12-11T16:00:00Z")
    assert twilio_double.messages == []


def test_an_ask_whose_channel_still_has_no_provider_stays_in_the_outbox(
    agency: Agency, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> None:
    ask = in_outbox(agency)  # by SMS
    monkeypatch.setenv("REFERRAL_SMTP_URL", smtp_server.url)
    answer = agency.post("/api/v1/outbox/send", None, now=RELEASED)
    assert answer.json() == {"queued": 0, "expired": 0}
    assert agency.ask(ask["id"])["status"] == "outbox"
    assert [m["ask_id"] for m in outbox_messages(agency)] == [ask["id"]]


def test_only_a_principal_or_an_admin_sends_the_outbox(agency: Agency) -> None:
    in_outbox(agency)
    producer = member(agency.url, email="sam@agency.example", role=Role.producer)
    answer = agency.post("/api/v1/outbox/send", None, now=RELEASED, token=producer)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    principal = member(agency.url, email="owner@agency.example", role=Role.principal)
    assert agency.post("/api/v1/outbox/send", None, now=RELEASED, token=principal).json() == {
        "queued": 0,
        "expired": 0,
    }


def test_a_person_sends_an_outbox_ask_by_hand_and_marks_it_sent(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> None:
    ask = in_outbox(agency)
    producer = member(agency.url, email="sam@agency.example", role=Role.producer)
    answer = agency.post(f"/api/v1/asks/{ask['id']}/mark-sent", HAND, now=RELEASED, token=producer)
    assert answer.status_code == 200, answer.text
    marked = answer.json()
    assert marked["status"] == "sent" and marked["sent_at"].startswith("2026-12-01T18:00:00")
    [entry] = [e for e in marked["timeline"] if e["status"] == "sent"]
    assert entry["detail"] == "marked sent: sent by hand from my phone"
    assert entry["actor"] == "Sam Ortiz"
    assert outbox_messages(agency) == []
    sent = agency.api.get("/api/v1/messages", params={"status": "sent"}).json()
    assert [m["ask_id"] for m in sent] == [ask["id"]]
    wire_agency(agency, monkeypatch, smtp_server, twilio_double)
    agency.post("/api/v1/outbox/send", None, now=RELEASED)
    agency.tick(NEXT_SLOT)
    assert twilio_double.messages == [], "sent by hand: never again by the sender"


def test_marking_sent_needs_a_how_and_changes_nothing_without_it(agency: Agency) -> None:
    ask = in_outbox(agency)
    answer = agency.post(f"/api/v1/asks/{ask['id']}/mark-sent", {"how": "  "}, now=RELEASED)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert agency.ask(ask["id"])["status"] == "outbox"


def test_an_ask_waiting_for_review_cannot_be_marked_sent(agency: Agency) -> None:
    agency.feed(bind(client__sensitive=True), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    answer = agency.post(f"/api/v1/asks/{ask['id']}/mark-sent", HAND, now=RELEASED)
    assert answer.status_code == 409
    assert agency.ask(ask["id"])["status"] == "pending_review"


def test_another_producer_cannot_mark_an_ask_sent(agency: Agency) -> None:
    ask = in_outbox(agency)
    other = member(agency.url, email="lee@agency.example", role=Role.producer)
    answer = agency.post(f"/api/v1/asks/{ask['id']}/mark-sent", HAND, now=RELEASED, token=other)
    assert answer.status_code == 403
    assert agency.ask(ask["id"])["status"] == "outbox"


def test_an_outbox_ask_counts_against_the_frequency_cap(agency: Agency) -> None:
    first = in_outbox(agency)
    agency.feed(
        bind(
            id="epic-home-bind",
            occurred_at="2026-12-07T15:30:00-06:00",
            policy__number="HO-1",
            policy__line_of_business="HOME",
        ),
        now="2026-12-07T22:00:00Z",
    )
    agency.tick("2026-12-07T23:00:00Z")
    [second] = [a for a in agency.asks() if a["id"] != first["id"]]
    assert second["status"] == "suppressed"
    assert rules_of(second) == ["frequency_cap"]
    assert f"ask #{first['id']}" in second["reasons"][0]["detail"]
