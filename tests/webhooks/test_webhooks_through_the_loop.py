"""Through the whole loop with real providers (the suite's Twilio double): the ask is
decided and sent, the client's hot reply is read, a referral is drafted and a task made,
a person confirms the referral and works the task — every change reaches the subscriber,
signed, in the order it happened, and `referral tick` says what it delivered."""

from __future__ import annotations

import pytest

from referral_engine.users.models import Role
from tests.agency import Agency, bind, wire_providers
from tests.replies.test_inbound import PUBLIC, text_in
from tests.smtp_server import SmtpServer
from tests.team_members import member
from tests.twilio_double import TwilioDouble
from tests.webhooks.receiver import WebhookReceiver
from tests.webhooks.support import subscribe


@pytest.fixture
def wired_agency(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> Agency:
    wire_providers(monkeypatch, smtp_server, twilio_double, public_url=PUBLIC)
    return agency


def test_every_change_of_the_loop_reaches_the_subscriber_in_order(
    wired_agency: Agency, twilio_double: TwilioDouble, receiver: WebhookReceiver
) -> None:
    agency = wired_agency
    subscribe(agency, receiver)
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    said = agency.tick("2026-11-25T23:00:00Z")
    assert "webhook:delivered: 1" in said
    agency.tick("2026-12-01T16:00:00Z")
    assert agency.only_ask()["status"] == "sent"

    answer = text_in(agency, twilio_double, "Yes! My neighbor Jordan Lee 312-555-0199 needs auto")
    assert answer.status_code == 200, answer.text
    agency.tick("2026-12-01T17:31:00Z")
    [referral] = agency.api.get("/api/v1/referrals").json()
    token = member(agency.url, email="sam@agency.example", role=Role.producer)
    confirmed = agency.post(
        f"/api/v1/referrals/{referral['id']}/confirm", {}, now="2026-12-01T18:00:00Z", token=token
    )
    assert confirmed.status_code == 200, confirmed.text
    agency.tick("2026-12-01T18:01:00Z")

    assert all(r.payload is not None for r in receiver.received)
    types = receiver.types()
    assert types[:2] == ["ask.decided", "ask.sent"]
    assert types.index("reply.received") < types.index("referral.created")
    assert types.index("referral.created") < types.index("referral.confirmed")
    assert "task.created" in types
    sent = receiver.delivered()[1].payload
    assert sent is not None
    assert sent["data"]["channel"] == "sms" and sent["data"]["sent_by"] is None
    [reply] = [r.payload for r in receiver.delivered() if r.type == "reply.received"]
    assert reply is not None
    assert reply["data"]["kind"] == "hot" and reply["data"]["client_external_id"] == "C-1001"
    assert "Jordan" not in str(reply["data"]), "the reply's words stay in the engine"
    [drafted] = [r.payload for r in receiver.delivered() if r.type == "referral.created"]
    assert drafted is not None and drafted["data"]["needs_confirmation"] is True
    assert drafted["data"]["captured_via"] == "reply"
    ids = [r.webhook_id for r in receiver.received]
    assert len(ids) == len(set(ids)), "one delivery per change"


def test_a_drafted_referral_the_prospects_bind_confirms_is_sent_confirmed_then_converted(
    wired_agency: Agency, twilio_double: TwilioDouble, receiver: WebhookReceiver
) -> None:
    agency = wired_agency
    subscribe(agency, receiver, events='["referral.*"]')
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick("2026-12-01T16:00:00Z")
    answer = text_in(agency, twilio_double, "Yes! My neighbor Jordan Lee 312-555-0199 needs auto")
    assert answer.status_code == 200, answer.text
    agency.tick("2026-12-01T17:31:00Z")
    jordan = bind(
        id="jordan-bind",
        client__external_id="C-4004",
        client__first_name="Jordan",
        client__last_name="Lee",
        client__email="jordan@example.com",
        client__mobile="+13125550199",
        policy__number="PA-4004",
    )
    agency.feed(jordan, now="2026-12-03T15:00:00Z")
    agency.tick("2026-12-03T15:00:00Z")

    events = [(r.type, r.payload["data"]["status"]) for r in receiver.delivered() if r.payload]
    assert events == [
        ("referral.created", "new"),
        ("referral.confirmed", "converted"),
        ("referral.status_changed", "converted"),
    ]
    converted = receiver.delivered()[-1].payload
    assert converted is not None
    assert converted["data"]["policy_number"] == "PA-4004"
    assert converted["data"]["needs_confirmation"] is False
