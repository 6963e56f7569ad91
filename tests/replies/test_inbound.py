"""Replies come back: Twilio webhooks signed with the twilio package's own validator,
email replies, links — each matched to its ask and routed to a person."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from referral_engine import clock
from tests import imap_server as imap_testing
from tests.agency import Agency, bind
from tests.conftest import at
from tests.twilio_double import TwilioDouble

PUBLIC = "https://refer.agency.example"
DUE = "2026-12-01T16:00:00Z"
REPLIED = "2026-12-01T17:30:00Z"  # Tuesday 11:30 in Chicago


@pytest.fixture
def sent(
    agency: Agency, monkeypatch: pytest.MonkeyPatch, twilio_double: TwilioDouble
) -> dict[str, Any]:
    monkeypatch.setenv("REFERRAL_TWILIO_ACCOUNT_SID", twilio_double.account_sid)
    monkeypatch.setenv("REFERRAL_TWILIO_AUTH_TOKEN", twilio_double.auth_token)
    monkeypatch.setenv("REFERRAL_TWILIO_FROM", "+13125550100")
    monkeypatch.setenv("REFERRAL_TWILIO_API_BASE", twilio_double.base_url)
    monkeypatch.setenv("REFERRAL_PUBLIC_URL", PUBLIC)
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick(DUE)
    ask = agency.only_ask()
    assert ask["status"] == "sent"
    return ask


def text_in(
    agency: Agency,
    twilio_double: TwilioDouble,
    body: str,
    *,
    sid: str = "SM" + "1" * 32,
    sender: str = "+13125550123",
    forge: bool = False,
    now: str = REPLIED,
) -> Any:
    params = {"MessageSid": sid, "From": sender, "To": "+13125550100", "Body": body}
    url = f"{PUBLIC}/hooks/twilio/sms"
    token = "not-the-token" if forge else twilio_double.auth_token
    signature = RequestValidator(token).compute_signature(url, params)
    with clock.frozen(at(now)):
        return agency.api.post(
            "/hooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )


def tasks(agency: Agency) -> list[dict[str, Any]]:
    return list(agency.api.get("/api/v1/tasks").json())


def test_a_forged_webhook_is_refused_and_changes_nothing(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    response = text_in(agency, twilio_double, "STOP", forge=True)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert agency.api.get("/api/v1/replies").json() == []


@pytest.mark.parametrize(
    "word", ["STOP", "stop", "Unsubscribe", "CANCEL", "end", "QUIT", "STOPALL"]
)
def test_stop_words_opt_out_at_once(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble, word: str
) -> None:
    assert text_in(agency, twilio_double, word).status_code == 200
    second = bind(
        id="epic-2-bind",
        occurred_at="2027-04-01T10:00:00-05:00",
        policy={"number": "HO-2", "line_of_business": "HOME", "transaction": "new"},
        client__consent={"email": False, "sms": True},
    )
    agency.feed(second, now="2027-04-01T16:00:00Z")
    agency.tick("2027-04-01T16:05:00Z")
    [later] = agency.asks(status="suppressed")
    assert "opted_out" in [r["rule"] for r in later["reasons"]]


def test_start_opts_back_in(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    text_in(agency, twilio_double, "STOP", sid="SM" + "2" * 32)
    text_in(agency, twilio_double, "START", sid="SM" + "3" * 32)
    second = bind(
        id="epic-2-bind",
        occurred_at="2027-04-01T10:00:00-05:00",
        policy={"number": "HO-2", "line_of_business": "HOME", "transaction": "new"},
        client__consent={"email": False, "sms": True},
    )
    agency.feed(second, now="2027-04-01T16:00:00Z")
    agency.tick("2027-04-01T16:05:00Z")
    assert [a["channel"] for a in agency.asks(status="scheduled")] == ["sms"]


def test_help_answers_with_the_agency_and_how_to_stop(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    response = text_in(agency, twilio_double, "HELP")
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Message>" in response.text and "STOP" in response.text


def test_a_hot_reply_is_due_within_four_business_hours_and_drafts_a_referral(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    text_in(agency, twilio_double, "Yes! My neighbor Maria Lopez just bought a house, 312-555-0142")
    [task] = tasks(agency)
    assert task["priority"] == "hot"
    assert task["due_at"].startswith("2026-12-01T21:30:00"), "11:30 + 4 business hours"
    assert task["assignee"] == "sam@agency.example"
    assert "Maria" in task["detail"] and "PA-778812" in task["detail"]
    assert "+13125550142" in task["detail"]
    assert task["referral_id"] is not None
    [reply] = agency.api.get("/api/v1/replies").json()
    assert reply["kind"] == "hot" and reply["ask_id"] == sent["id"]
    assert any(e["kind"] == "reply" for e in agency.ask(sent["id"])["timeline"])


def test_a_redelivered_reply_is_one_reply(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    text_in(agency, twilio_double, "Thanks Sam!")
    text_in(agency, twilio_double, "Thanks Sam!")
    assert len(agency.api.get("/api/v1/replies").json()) == 1
    assert len(tasks(agency)) == 1


def test_a_complaint_stops_future_asks(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    text_in(agency, twilio_double, "How did you get my number? This is spam and I'm furious")
    [task] = tasks(agency)
    assert task["kind"] == "reply_complaint"
    renewal = bind(
        id="epic-9-rwl",
        type="policy.renewed",
        occurred_at="2026-12-21T10:00:00-06:00",
        policy={"number": "HO-9", "line_of_business": "HOME", "transaction": "renewal"},
    )
    agency.feed(renewal, now="2026-12-21T17:00:00Z")
    agency.tick("2026-12-21T17:05:00Z")
    [suppressed] = agency.asks(status="suppressed")
    assert suppressed["reasons"][0]["rule"] == "recent_complaint"


def test_an_overdue_hot_task_escalates_to_the_principal(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    text_in(agency, twilio_double, "my brother Tom Reed needs commercial auto, 312-555-0177")
    agency.tick("2026-12-01T21:31:00Z")
    [task] = tasks(agency)
    assert task["escalated_to"] == "principal@agency.example"


def test_delivery_status_callbacks_are_recorded(
    agency: Agency, sent: dict[str, Any], twilio_double: TwilioDouble
) -> None:
    [message] = agency.api.get("/api/v1/messages").json()
    params = {"MessageSid": message["provider_id"], "MessageStatus": "delivered"}
    url = f"{PUBLIC}/hooks/twilio/status"
    signature = RequestValidator(twilio_double.auth_token).compute_signature(url, params)
    response = agency.api.post(
        "/hooks/twilio/status", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 204
    [message] = agency.api.get("/api/v1/messages").json()
    assert message["status"] == "delivered"


def reply_email(text: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Dana Reyes <dana@example.com>"
    message["To"] = "asks@agency.example"
    message["Subject"] = "Re: thank you"
    message["Message-ID"] = f"<{abs(hash(text))}@mail.example.com>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(
        f"{text}\n\nOn Tue, Dec 1, 2026 at 10:00 AM Sam Ortiz <asks@agency.example> wrote:\n"
        "> Hi Dana, thanks for trusting us with your auto policy!\n"
    )
    return message.as_bytes()


def test_an_email_reply_imported_from_eml_is_read_without_its_quoted_history(
    agency: Agency, sent: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(reply_email("My sister Ana Diaz needs renters insurance: ana@example.net"))
    out = agency.run("replies", "import", str(path), now=REPLIED)
    assert "1 reply read" in out
    [reply] = agency.api.get("/api/v1/replies").json()
    assert reply["kind"] == "hot"
    assert "wrote:" not in reply["text"]
    assert reply["ask_id"] == sent["id"]


def test_an_out_of_office_is_not_warm(agency: Agency, sent: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "ooo.eml"
    path.write_bytes(
        reply_email("I am out of the office until Monday.", Auto_Submitted="auto-replied")
    )
    agency.run("replies", "import", str(path), now=REPLIED)
    [reply] = agency.api.get("/api/v1/replies").json()
    assert reply["kind"] == "auto_reply"
    assert tasks(agency) == []


imap_server = imap_testing.imap_server


def test_the_worker_reads_replies_from_the_mailbox_and_marks_them_seen(
    agency: Agency,
    sent: dict[str, Any],
    imap_server: imap_testing.ImapServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid = imap_server.deliver(reply_email("Sure - my coworker Jay Patel, jay@example.net"))
    monkeypatch.setenv("REFERRAL_IMAP_URL", imap_server.url)
    out = agency.tick(REPLIED)
    assert "mailbox:replies_read: 1" in out
    assert imap_server.seen(uid)
    [reply] = agency.api.get("/api/v1/replies").json()
    assert reply["kind"] == "hot"
    agency.tick(REPLIED)
    assert len(agency.api.get("/api/v1/replies").json()) == 1


def test_the_mailto_unsubscribe_opts_the_client_out_of_email(
    agency: Agency, sent: dict[str, Any], tmp_path: Path
) -> None:
    from referral_engine.asks.models import Ask
    from referral_engine.db import unit_of_work

    with unit_of_work(agency.url) as session:
        token = session.get(Ask, sent["id"]).token  # type: ignore[union-attr]
    message = EmailMessage()
    message["From"] = "dana@example.com"
    message["To"] = "asks@agency.example"
    message["Subject"] = f"unsubscribe {token}"
    message["Message-ID"] = "<unsub-1@mail.example.com>"
    message.set_content("")
    path = tmp_path / "unsubscribe.eml"
    path.write_bytes(message.as_bytes())
    agency.run("replies", "import", str(path), now=REPLIED)
    [reply] = agency.api.get("/api/v1/replies").json()
    assert reply["kind"] == "opt_out"
    second = bind(
        id="epic-3-bind",
        occurred_at="2027-04-01T10:00:00-05:00",
        policy={"number": "HO-3", "line_of_business": "HOME", "transaction": "new"},
        client__consent={"email": True, "sms": False},
        client__preferred_channel="email",
    )
    agency.feed(second, now="2027-04-01T16:00:00Z")
    agency.tick("2027-04-01T16:05:00Z")
    [later] = agency.asks(status="suppressed")
    assert "opted_out" in [r["rule"] for r in later["reasons"]]
