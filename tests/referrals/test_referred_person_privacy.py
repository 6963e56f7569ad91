"""The referred person's privacy (research R34, R35; test cases 8 and 10): their referrer
hears how it went only with their consent, and they never get an automated message."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.referrals.models import Referral
from tests.agency import Agency, bind, wire_providers
from tests.conftest import at
from tests.referrals.support import new_client_event
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

LEE = {
    "first_name": "Lee",
    "last_name": "Park",
    "email": "lee.park@example.com",
    "mobile": "+13125550188",
    "line_of_business": "HOME",
    "postal_code": "60614",
}
BY_DANA = {"kind": "client", "external_id": "C-1001"}
HARBOR = {"kind": "partner", "name": "Harbor Realty"}
NEUTRAL = "Hi Dana, we reached out to Lee — thank you for the introduction! - Sam"
OUTCOME_WORDS = ("client", "options", "quot", "declin", "bound", "policy", "premium", "home")
CONSENT = {"status": "granted", "method": "verbal", "wording": "Sure, tell Dana how it went."}


@pytest.fixture
def lee(agency: Agency) -> dict[str, Any]:
    """Dana Reyes (C-1001, texts consented) introduced Lee Park on 2026-12-01."""
    agency.feed(bind(), now="2026-12-01T15:00:00Z")
    response = agency.post(
        "/api/v1/referrals",
        {"prospect": LEE, "referred_by": BY_DANA},
        now="2026-12-01T16:00:00Z",
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def move(agency: Agency, referral_id: int, body: dict[str, Any], *, now: str) -> dict[str, Any]:
    with clock.frozen(at(now)):
        response = agency.api.patch(f"/api/v1/referrals/{referral_id}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def work_through(agency: Agency, referral_id: int) -> None:
    """Contacted, quoting, converted with the policy, one day apart."""
    move(agency, referral_id, {"status": "contacted"}, now="2026-12-02T16:00:00Z")
    move(agency, referral_id, {"status": "quoting"}, now="2026-12-03T16:00:00Z")
    converted = {"status": "converted", "policy_number": "HO-5521", "premium": 1400.0}
    move(agency, referral_id, converted, now="2026-12-04T16:00:00Z")


def to_dana(agency: Agency) -> list[str]:
    """The bodies of the updates to Dana (her thank-you left out), oldest first."""
    found = agency.api.get("/api/v1/messages").json()
    bodies = [m["body"] for m in sorted(found, key=lambda m: m["id"]) if m["to"] == "+13125550123"]
    return [b for b in bodies if "thank you for introducing" not in b]


def consent_of(agency: Agency, referral_id: int, body: dict[str, Any], *, now: str) -> Any:
    return agency.post(f"/api/v1/referrals/{referral_id}/consent", body, now=now)


# --- what the referrer hears ------------------------------------------------------------


def test_without_consent_the_referrer_hears_only_that_we_reached_out(
    agency: Agency, lee: dict[str, Any]
) -> None:
    work_through(agency, lee["id"])
    [update] = to_dana(agency)
    assert update.split("\n")[0] == NEUTRAL
    assert not any(word in update.lower() for word in OUTCOME_WORDS), update
    timeline = agency.api.get(f"/api/v1/referrals/{lee['id']}").json()["timeline"]
    assert [e["status"] for e in timeline if e["kind"] == "update"] == ["reached_out"]


def test_without_consent_a_bind_tells_the_referrer_nothing(
    agency: Agency, lee: dict[str, Any]
) -> None:
    agency.feed(new_client_event("lee-bind"), now="2026-12-05T15:00:00Z")
    agency.tick("2026-12-05T15:01:00Z")
    referral = agency.api.get(f"/api/v1/referrals/{lee['id']}").json()
    assert referral["status"] == "converted"
    assert to_dana(agency) == []


def test_a_revoked_consent_takes_the_news_back_to_the_neutral_line(
    agency: Agency, lee: dict[str, Any]
) -> None:
    consent_of(agency, lee["id"], CONSENT, now="2026-12-01T17:00:00Z")
    revoked = {"status": "revoked", "method": "phone", "wording": "Please keep it private."}
    response = consent_of(agency, lee["id"], revoked, now="2026-12-01T18:00:00Z")
    assert response.json()["share_outcome"] == "not granted"
    work_through(agency, lee["id"])
    assert [u.split("\n")[0] for u in to_dana(agency)] == [NEUTRAL]


def test_a_californian_prospects_consent_must_be_written_and_recent(agency: Agency) -> None:
    agency.feed(bind(), now="2026-12-01T15:00:00Z")
    in_ca = {**LEE, "postal_code": "94105"}
    body = {"prospect": in_ca, "referred_by": BY_DANA}
    referral = agency.post("/api/v1/referrals", body, now="2026-12-01T16:00:00Z").json()
    said = consent_of(agency, referral["id"], CONSENT, now="2026-12-01T17:00:00Z")
    assert said.json()["share_outcome"] == "not granted"  # verbal: not enough in CA
    old_form = {
        "status": "granted",
        "method": "form",
        "wording": "I allow Lakeside to tell Dana Reyes whether I became a client.",
        "at": "2025-11-01T12:00:00-08:00",
    }
    stale = consent_of(agency, referral["id"], old_form, now="2026-12-01T17:30:00Z")
    assert stale.json()["share_outcome"] == "not granted"  # signed over a year ago
    fresh = consent_of(agency, referral["id"], {**old_form, "at": None}, now="2026-12-01T18:00:00Z")
    assert fresh.json()["share_outcome"] == "granted"


def test_consent_that_would_not_stand_as_proof_is_refused(
    agency: Agency, lee: dict[str, Any]
) -> None:
    unworded = {"status": "granted", "method": "form"}
    response = consent_of(agency, lee["id"], unworded, now="2026-12-01T17:00:00Z")
    assert response.status_code == 422
    assert "wording" in response.json()["detail"]


def test_a_partner_is_told_by_the_producer_only_that_we_reached_out(agency: Agency) -> None:
    agency.feed(bind(), now="2026-12-01T15:00:00Z")
    body = {"prospect": LEE, "referred_by": HARBOR}
    referral = agency.post("/api/v1/referrals", body, now="2026-12-01T16:00:00Z").json()
    move(agency, referral["id"], {"status": "quoting"}, now="2026-12-02T16:00:00Z")
    move(agency, referral["id"], {"status": "converted"}, now="2026-12-03T16:00:00Z")
    updates = [
        t
        for t in agency.api.get("/api/v1/tasks").json()
        if t["kind"] == "update_referrer" and t["referral_id"] == referral["id"]
    ]
    [task] = updates
    assert task["title"] == "Update Harbor Realty: we reached out to Lee — thank you"
    assert "Say only that we reached out" in task["detail"]
    draft = task["detail"].split("A draft:", 1)[1].lower()
    assert not any(word in draft for word in ("client", "options", "quot", "home"))


# --- nobody texts or emails a referred person -------------------------------------------


@pytest.fixture
def wired(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> Agency:
    """Twilio and SMTP configured: whatever the sender sends really leaves."""
    wire_providers(monkeypatch, smtp_server, twilio_double, public_url=None)
    agency.configure('[agency]\npostal_address = "200 W Lake St, Chicago, IL 60606"\n')
    return agency


def queue_to(url: str, *, channel: str, to: str, client_id: int | None = None) -> int:
    """A message some future code path might queue (a "welcome" to the friend)."""
    with unit_of_work(url) as session:
        message = Message(
            kind="thanks",
            client_id=client_id,
            channel=channel,
            to=to,
            subject="Welcome" if channel == "email" else None,
            body="Hi Lee, Dana told us about you!",
            status=MessageStatus.queued,
            attempts=0,
            send_after=at("2026-12-01T16:00:00Z"),
            created_at=at("2026-12-01T16:00:00Z"),
        )
        session.add(message)
        session.flush()
        return message.id


def status_of(url: str, message_id: int) -> tuple[str, str | None]:
    with unit_of_work(url) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message.status, message.error


def test_a_referred_number_never_gets_a_text_its_first_contact_is_a_persons_task(
    wired: Agency, twilio_double: TwilioDouble, lee: dict[str, Any]
) -> None:
    for day in ("2026-12-01T16:05:00Z", "2026-12-01T18:00:00Z", "2026-12-02T17:00:00Z"):
        wired.tick(day)
    assert not [m for m in twilio_double.messages if m["to"] == LEE["mobile"]]
    assert {m["to"] for m in twilio_double.messages} == {"+13125550123"}  # Dana's
    tasks = wired.api.get("/api/v1/tasks").json()
    assert any(t["kind"] == "priority_contact" and t["referral_id"] == lee["id"] for t in tasks)


def test_the_sender_refuses_a_text_to_a_referred_number(
    wired: Agency, twilio_double: TwilioDouble, lee: dict[str, Any]
) -> None:
    message_id = queue_to(wired.url, channel="sms", to=LEE["mobile"])
    out = wired.tick("2026-12-01T17:00:00Z")
    assert "not_sent_referred_person" in out
    status, error = status_of(wired.url, message_id)
    assert status == "failed" and error is not None and "referred to us" in error
    assert not [m for m in twilio_double.messages if m["to"] == LEE["mobile"]]


def test_the_sender_refuses_an_email_to_a_referred_address(
    wired: Agency, smtp_server: SmtpServer, lee: dict[str, Any]
) -> None:
    message_id = queue_to(wired.url, channel="email", to="Lee.Park@example.com")
    wired.tick("2026-12-01T17:00:00Z")
    assert status_of(wired.url, message_id)[0] == "failed"
    assert not [m for m in smtp_server.messages if "lee.park" in str(m["To"]).lower()]


def test_a_referred_person_who_became_a_client_with_their_own_consent_may_be_texted(
    wired: Agency, twilio_double: TwilioDouble, lee: dict[str, Any]
) -> None:
    wired.feed(new_client_event("lee-bind"), now="2026-12-05T15:00:00Z")
    wired.tick("2026-12-05T15:01:00Z")
    with unit_of_work(wired.url) as session:
        referral = session.scalars(select(Referral).where(Referral.id == lee["id"])).one()
        lee_client = referral.prospect_client_id
    message_id = queue_to(wired.url, channel="sms", to=LEE["mobile"], client_id=lee_client)
    wired.tick("2026-12-07T17:00:00Z")  # Lee's own ask goes first: one message a day
    wired.tick("2026-12-08T17:05:00Z")
    assert status_of(wired.url, message_id)[0] == "sent"
    assert [m for m in twilio_double.messages if m["to"] == LEE["mobile"]]
