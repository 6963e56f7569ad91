"""The Outbox page and the dashboard: "N asks wait — send them" for a principal once a
provider is set, and a "Mark sent" button for a message a person sent by hand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.users.models import Role
from referral_engine.web.app import create_app
from tests.agency import Agency, bind, wire_providers
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.smtp_server import SmtpServer
from tests.team_members import PASSWORD, member
from tests.twilio_double import TwilioDouble

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

LOOKED = "2026-12-01T18:00:00Z"


@pytest.fixture
def waiting(agency: Agency) -> Iterator[dict[str, Any]]:
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick("2026-12-01T16:00:00Z")
    clock.pin(at(LOOKED))
    yield agency.only_ask()
    clock.pin(None)


def signed_in(url: str, email: str, password: str) -> TestClient:
    browser = TestClient(create_app(url))
    answer = browser.post("/login", data={"email": email, "password": password})
    assert answer.status_code in (200, 303), answer.text
    return browser


def test_the_principal_is_offered_the_waiting_asks_once_a_provider_is_set(
    agency: Agency,
    waiting: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> None:
    principal = signed_in(agency.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert "asks wait" not in principal.get("/").text, "no provider yet: nothing to offer"
    wire_providers(monkeypatch, smtp_server, twilio_double)
    assert "1 ask waits" in principal.get("/").text
    assert "Send them" in principal.get("/outbox").text
    sent = principal.post("/outbox/send")
    assert "1 ask scheduled for the next send slot" in sent.text
    assert agency.ask(waiting["id"])["status"] == "scheduled"
    assert "ask waits" not in principal.get("/").text


def test_a_producer_is_not_offered_the_outbox_but_marks_their_ask_sent(
    agency: Agency,
    waiting: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> None:
    wire_providers(monkeypatch, smtp_server, twilio_double)
    member(agency.url, email="sam@agency.example", role=Role.producer)
    producer = signed_in(agency.url, "sam@agency.example", PASSWORD)
    page = producer.get("/outbox").text
    assert "ask waits" not in page and "Mark sent" in page
    marked = producer.post(
        f"/asks/{waiting['id']}/mark-sent", data={"how": "sent by hand from my phone"}
    )
    assert f"Ask {waiting['id']} marked sent." in marked.text
    assert agency.ask(waiting["id"])["status"] == "sent"


def test_another_producer_sees_neither_the_message_nor_a_mark_sent_button(
    agency: Agency, waiting: dict[str, Any]
) -> None:
    member(agency.url, email="pat@agency.example", role=Role.producer)
    colleague = signed_in(agency.url, "pat@agency.example", PASSWORD)
    page = colleague.get("/outbox").text
    assert "Mark sent" not in page and "The outbox is empty." in page
    refused = colleague.post(f"/asks/{waiting['id']}/mark-sent", data={"how": "by hand"})
    assert "may not mark ask" in refused.text
    assert agency.ask(waiting["id"])["status"] == "outbox"
