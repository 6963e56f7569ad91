"""Webhooks out: every state change reaches a subscriber as a signed Standard Webhook,
verified here by the official ``standardwebhooks`` package; a refused delivery is retried
with backoff under the same ``webhook-id`` for three days, a client's events arrive in
order, and a person can resend one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral_engine import clock
from referral_engine.users.models import Role
from tests.agency import Agency, bind
from tests.conftest import at
from tests.team_members import member
from tests.webhooks.receiver import SECRET, WebhookReceiver
from tests.webhooks.support import deliveries, delivery, only_delivery, subscribe

BOUND = "2026-12-01T15:00:00Z"
REFERRAL = {
    "prospect": {"first_name": "Lee", "last_name": "Park", "mobile": "+13125550188"},
    "referred_by": {"kind": "client", "external_id": "C-1001"},
}


def later(start: str, **delta: float) -> str:
    return (at(start) + timedelta(**delta)).isoformat()


def test_a_refused_delivery_is_retried_after_its_backoff_with_the_same_webhook_id(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    receiver.fail_next(2, status=500)
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    assert len(receiver.received) == 1
    first = only_delivery(agency)
    assert (first["status"], first["attempts"]) == ("retrying", 1)
    assert first["next_attempt_at"] == "2026-12-01T15:00:30Z"
    assert first["last_error"].startswith("HTTP 500")

    agency.tick(later(BOUND, seconds=29))  # inside the 30 s backoff: nothing is posted
    assert len(receiver.received) == 1
    agency.tick(later(BOUND, seconds=30))
    assert len(receiver.received) == 2
    assert only_delivery(agency)["next_attempt_at"] == "2026-12-01T15:02:30Z"
    agency.tick(later(BOUND, minutes=2))
    assert len(receiver.received) == 2
    agency.tick(later(BOUND, minutes=2, seconds=30))

    assert [r.answered for r in receiver.received] == [500, 500, 204]
    assert all(r.payload is not None for r in receiver.received), "every attempt verifies"
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    payload = receiver.received[-1].payload
    assert payload is not None
    assert payload["id"] == receiver.received[0].webhook_id
    assert payload["id"].startswith("msg_")
    assert set(payload) == {"type", "id", "occurred_at", "data"}
    assert payload["type"] == "ask.decided"
    ask = agency.only_ask()
    assert payload["data"]["ask_id"] == ask["id"]
    assert payload["data"]["client_external_id"] == "C-1001"
    assert payload["data"]["status"] == ask["status"]
    assert [r["rule"] for r in payload["data"]["reasons"]] == [r["rule"] for r in ask["reasons"]]
    done = only_delivery(agency)
    assert (done["status"], done["attempts"]) == ("delivered", 3)
    assert done["webhook_id"] == payload["id"]
    assert [a["status_code"] for a in done["attempt_log"]] == [500, 500, 204]
    assert [a["at"] for a in done["attempt_log"]] == [
        "2026-12-01T15:00:00Z",
        "2026-12-01T15:00:30Z",
        "2026-12-01T15:02:30Z",
    ]


def test_a_subscriber_that_never_answers_2xx_fails_after_three_days(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    receiver.answer_always(503)
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    for _ in range(30):
        current = only_delivery(agency)
        if current["status"] == "failed":
            break
        assert current["status"] == "retrying"
        agency.tick(current["next_attempt_at"])
    failed = only_delivery(agency)
    assert failed["status"] == "failed"
    # 0, 30 s, 2.5 min, 12.5 min, 72.5 min, 5 h 12.5 min, then every 8 h, and a last
    # attempt at three days.
    assert failed["attempts"] == 15
    assert failed["attempt_log"][-1]["at"] == "2026-12-04T15:00:00Z"
    assert failed["give_up_at"] == "2026-12-04T15:00:00Z"
    assert failed["next_attempt_at"] is None
    assert len(receiver.received) == 15
    assert len({r.webhook_id for r in receiver.received}) == 1
    agency.tick("2026-12-06T15:00:00Z")
    assert len(receiver.received) == 15, "a failed delivery is not tried again by itself"


def test_a_clients_later_events_wait_for_an_earlier_one_being_retried(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["referral.*"]')
    agency.feed(bind(), now=BOUND)
    other = bind(
        id="epic-2002-bind",
        client__external_id="C-2002",
        client__first_name="Noor",
        client__last_name="Haddad",
        client__email="noor@example.com",
        client__mobile="+13125550177",
    )
    agency.feed(other, now=BOUND)
    agency.tick(BOUND)
    receiver.fail_next(1, status=502)
    created = agency.post("/api/v1/referrals", REFERRAL, now="2026-12-01T16:00:00Z")
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    for status, now in (("contacted", "2026-12-01T16:01:00Z"), ("quoting", "2026-12-01T16:02:00Z")):
        with clock.frozen(at(now)):
            moved = agency.api.patch(f"/api/v1/referrals/{referral_id}", json={"status": status})
        assert moved.status_code == 200, moved.text
    from_noor = {**REFERRAL, "referred_by": {"kind": "client", "external_id": "C-2002"}}
    assert (
        agency.post("/api/v1/referrals", from_noor, now="2026-12-01T16:03:00Z").status_code == 201
    )

    agency.tick("2026-12-01T16:05:00Z")
    # Dana's first event was refused: her later ones wait; Noor's own goes.
    assert [
        (r.answered, r.payload and r.payload["data"]["referred_by"]["external_id"])
        for r in receiver.received
    ] == [(502, "C-1001"), (204, "C-2002")]
    waiting = deliveries(agency, status="pending")
    assert len(waiting) == 2 and {d["client_external_id"] for d in waiting} == {"C-1001"}

    agency.tick("2026-12-01T16:05:30Z")
    danas = [
        (r.type, r.payload["data"]["status"])
        for r in receiver.delivered()
        if r.payload is not None and r.payload["data"]["referred_by"]["external_id"] == "C-1001"
    ]
    assert danas == [
        ("referral.created", "new"),
        ("referral.status_changed", "contacted"),
        ("referral.status_changed", "quoting"),
    ]
    changed = [r.payload for r in receiver.delivered() if r.type == "referral.status_changed"]
    assert [p["data"]["previous_status"] for p in changed if p] == ["new", "contacted"]
    assert not deliveries(agency, status="pending")


def test_a_subscriber_gets_only_the_events_it_asked_for(
    agency: Agency, receiver: WebhookReceiver, other_receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, name="crm", events='["referral.*"]')
    subscribe(agency, other_receiver, name="everything", events='["*"]')
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    assert agency.post("/api/v1/referrals", REFERRAL, now="2026-12-01T16:00:00Z").status_code == 201
    agency.tick("2026-12-01T16:01:00Z")

    assert receiver.types() == ["referral.created"]
    everything = other_receiver.types()
    assert {"ask.decided", "referral.created", "task.created"} <= set(everything)
    assert everything.index("referral.created") < everything.index("task.created")
    assert all(r.payload is not None for r in other_receiver.received), "its own secret"
    [created] = [r.payload for r in other_receiver.delivered() if r.type == "referral.created"]
    assert created is not None
    assert created["data"]["prospect"]["first_name"] == "Lee"
    assert created["data"]["referred_by"] == {
        "kind": "client",
        "external_id": "C-1001",
        "name": "Dana Reyes",
    }
    [task] = [r.payload for r in other_receiver.delivered() if r.type == "task.created"]
    assert task is not None and task["data"]["referral_id"] == created["data"]["referral_id"]
    assert "detail" not in task["data"], "a task's detail (the context) is not sent"
    assert {d["subscriber"] for d in deliveries(agency, subscriber="crm")} == {"crm"}


def test_a_person_resends_a_delivered_event_with_the_same_webhook_id(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    sent = only_delivery(agency)
    assert sent["status"] == "delivered"

    resent = agency.post(
        f"/api/v1/webhooks/deliveries/{sent['id']}/resend", {}, now=later(BOUND, hours=1)
    )
    assert resent.status_code == 200, resent.text
    assert resent.json()["status"] == "pending"
    again = agency.post(
        f"/api/v1/webhooks/deliveries/{sent['id']}/resend", {}, now=later(BOUND, hours=1)
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    agency.tick(later(BOUND, hours=1))

    assert len(receiver.delivered()) == 2
    assert receiver.received[0].webhook_id == receiver.received[1].webhook_id
    assert receiver.received[0].body == receiver.received[1].body
    done = only_delivery(agency)
    assert (done["status"], done["attempts"]) == ("delivered", 2)
    assert done["resent_at"] == "2026-12-01T16:00:00Z"
    missing = agency.post("/api/v1/webhooks/deliveries/999999/resend", {}, now=BOUND)
    assert missing.status_code == 404


def test_only_a_principal_or_an_admin_sees_and_resends_deliveries(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    [sent] = deliveries(agency)
    token = member(agency.url, email="sam@agency.example", role=Role.producer)
    listed = agency.api.get(
        "/api/v1/webhooks/deliveries", headers={"Authorization": f"Bearer {token}"}
    )
    assert listed.status_code == 403
    resend = agency.post(
        f"/api/v1/webhooks/deliveries/{sent['id']}/resend", {}, now=BOUND, token=token
    )
    assert resend.status_code == 403
    assert only_delivery(agency)["resent_at"] is None


def test_with_no_subscriber_nothing_is_stored(agency: Agency) -> None:
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    assert agency.only_ask()["status"]
    assert deliveries(agency) == []


def test_an_unknown_status_filter_is_refused(agency: Agency) -> None:
    answer = agency.api.get("/api/v1/webhooks/deliveries", params={"status": "lost"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'url = "https://hooks.example.com/x"\nsecret = "s3cret"\n',
            "secret must start with 'whsec_'",
        ),
        ('url = "https://hooks.example.com/x"\nsecret = "whsec_!!"\n', "base64"),
        ('url = "ftp://hooks.example.com/x"\nsecret = "{secret}"\n', "not an http(s) URL"),
        (
            'url = "https://hooks.example.com/x"\nsecret = "{secret}"\nevents = ["asks.*"]\n',
            "unknown event type 'asks.*'",
        ),
        (
            'url = "https://hooks.example.com/x"\nsecret = "{secret}"\nevents = []\n',
            "name the events",
        ),
    ],
    ids=["no-whsec", "not-base64", "not-http", "unknown-events", "no-events"],
)
def test_a_bad_webhook_table_is_refused_and_nothing_is_stored(
    agency: Agency, receiver: WebhookReceiver, table: str, message: str
) -> None:
    path = agency.tmp / "bad-hooks.toml"
    path.write_text("[webhooks.crm]\n" + table.format(secret=receiver.secret), encoding="utf-8")
    said = agency.run("init", "--config", str(path), now=BOUND, expect=2)
    assert message in said
    assert "webhooks.crm" in said
    listed = agency.api.get("/api/v1/webhooks/deliveries")
    assert listed.status_code == 200
    from referral_engine.agency.service import load_settings
    from referral_engine.db import unit_of_work

    with unit_of_work(agency.url) as session:
        assert load_settings(session).webhooks == {}


def test_a_subscriber_that_is_down_costs_one_attempt_a_pass_and_is_retried(
    agency: Agency,
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on once it is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    agency.configure(
        f'[webhooks.crm]\nurl = "http://127.0.0.1:{port}/hooks"\nsecret = "{SECRET}"\n'
    )
    agency.feed(bind(), now=BOUND)
    other = bind(id="epic-2002-bind", client__external_id="C-2002", client__mobile="+13125550177")
    agency.feed(other, now=BOUND)
    said = agency.tick(BOUND)
    assert "webhook:retry: 1" in said
    assert "webhook:waiting_for_subscriber: 1" in said
    tried, untried = sorted(deliveries(agency), key=lambda d: -d["attempts"])
    tried = delivery(agency, tried["id"])
    assert (tried["status"], tried["attempts"]) == ("retrying", 1)
    assert tried["last_status_code"] is None
    assert tried["last_error"].startswith("ConnectError")
    assert tried["attempt_log"][0]["status_code"] is None
    assert (untried["status"], untried["attempts"], untried["give_up_at"]) == ("pending", 0, None)


def test_an_agency_without_a_provider_sends_outbox_asks_through_its_own_tool(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.outbox", "ask.sent"]')
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick("2026-12-01T16:00:00Z")  # the slot: no SMS provider, so the outbox
    [waiting] = [r.payload for r in receiver.delivered()]
    assert waiting is not None and waiting["type"] == "ask.outbox"
    assert waiting["data"]["to"] == "+13125550123"
    assert waiting["data"]["draft"]["body"] == agency.only_ask()["draft"]["body"]

    # The agency's tool texted the draft, then says so.
    ask_id = waiting["data"]["ask_id"]
    body = {"how": "sent by our texting tool"}
    marked = agency.post(f"/api/v1/asks/{ask_id}/mark-sent", body, now="2026-12-01T16:05:00Z")
    assert marked.status_code == 200, marked.text
    agency.tick("2026-12-01T16:06:00Z")
    assert receiver.types() == ["ask.outbox", "ask.sent"]
    sent = receiver.delivered()[1].payload
    assert sent is not None
    assert sent["data"]["sent_by"] == "Administrator"
    assert sent["data"]["sent_at"] == "2026-12-01T16:05:00Z"
