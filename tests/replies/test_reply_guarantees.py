"""The reply guarantees of docs/delivery.md, through the public paths only: the signed Twilio
webhook, `referral replies import FILE.eml`, `referral replies poll` against the in-suite
IMAP server, and `referral tick` for the sender pass.

- STOP and its kin suppress every open SMS ask of the number (`opted_out`) at once, nothing
  more is texted to it, and the client's email asks go on; START, UNSTOP and YES opt back in.
- An email reply is matched by the plus-address in To/Delivered-To, else by In-Reply-To /
  References naming the ask's Message-ID, else by the sender's address; otherwise it is
  kept unmatched and still handed to a person.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from referral_engine import clock
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from tests import imap_server as imap_testing
from tests.agency import Agency, bind, wire_providers
from tests.conftest import at
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

imap_server = imap_testing.imap_server

PUBLIC = "https://refer.agency.example"
MAIL_FROM = "Lakeside Insurance <asks@agency.example>"
POSTAL = "200 W Lake St, Suite 400, Chicago, IL 60606"
DANA_MOBILE = "+13125550123"

IMPORTED = "2026-11-25T22:00:00Z"  # Wednesday evening, the day of the binds
DECIDED = "2026-11-25T23:00:00Z"
ISSUE_OPENED = "2026-11-26T15:00:00Z"
STOPPED = "2026-11-27T15:00:00Z"  # Friday, before anything is due
ISSUE_RESOLVED = "2026-11-30T15:00:00Z"
DUE = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago: every ask's send slot
REPLIED = "2026-12-01T17:30:00Z"

# As docs/delivery.md lists them (the whole message; carriers ignore case and punctuation).
STOP_WORDS = ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "Quit", "Stop."]
START_WORDS = ["START", "unstop", "YES"]


# -- fixtures and steps ------------------------------------------------------------------


@pytest.fixture
def wired(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> Agency:
    """An agency with SMTP and Twilio peers, a postal address, and no frequency cap
    (so one client can have several open asks at once)."""
    wire_providers(monkeypatch, smtp_server, twilio_double, public_url=PUBLIC)
    agency.configure(
        f'[agency]\nname = "Lakeside Insurance"\npostal_address = "{POSTAL}"\n'
        "[timing]\nfrequency_cap_days = 0\n"
    )
    return agency


def decided(agency: Agency, document: dict[str, Any]) -> dict[str, Any]:
    """Feed one event, let the worker decide it, and return the ask it made."""
    before = {a["id"] for a in agency.asks()}
    agency.feed(document, now=IMPORTED)
    agency.tick(DECIDED)
    [new] = [a for a in agency.asks() if a["id"] not in before]
    return agency.ask(new["id"])


@pytest.fixture
def dana_asks(wired: Agency) -> dict[str, dict[str, Any]]:
    """Dana has three open asks: SMS scheduled, SMS pending review, email scheduled."""
    sms = decided(wired, bind())
    review = decided(
        wired,
        bind(
            id="epic-2-bind",
            policy={
                "number": "HO-2",
                "line_of_business": "HOME",
                "transaction": "new",
                "premium": 12000,
            },
        ),
    )
    mail = decided(
        wired,
        bind(
            id="epic-3-bind",
            policy={"number": "RV-3", "line_of_business": "RV", "transaction": "new"},
            client__preferred_channel="email",
        ),
    )
    assert (sms["channel"], sms["status"]) == ("sms", "scheduled")
    assert (review["channel"], review["status"]) == ("sms", "pending_review")
    assert (mail["channel"], mail["status"]) == ("email", "scheduled")
    return {"sms": sms, "review": review, "email": mail}


def text_in(agency: Agency, twilio_double: TwilioDouble, body: str, *, sid: str, now: str) -> None:
    """An inbound text from Dana's mobile through the signed Twilio webhook."""
    params = {"MessageSid": sid, "From": DANA_MOBILE, "To": "+13125550100", "Body": body}
    signature = RequestValidator(twilio_double.auth_token).compute_signature(
        f"{PUBLIC}/hooks/twilio/sms", params
    )
    with clock.frozen(at(now)):
        response = agency.api.post(
            "/hooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert response.status_code == 200, response.text


def sms_opted_out(agency: Agency, external_id: str = "C-1001") -> bool:
    with unit_of_work(agency.url) as session:
        client = session.scalars(select(Client).where(Client.external_id == external_id)).one()
        return client.sms_opted_out


def client_ids(agency: Agency) -> dict[str, int]:
    with unit_of_work(agency.url) as session:
        return {str(c.external_id): c.id for c in session.scalars(select(Client))}


def stopped_at_once(ask: dict[str, Any], *, now: str, word: str = "STOP") -> bool:
    """Suppressed as an opt-out by ``word`` received at ``now`` (not later, by the
    sender); the reason quotes the word the client sent."""
    opted_out = [r for r in ask["reasons"] if r["rule"] == "opted_out"]
    decisions = [
        e
        for e in ask["timeline"]
        if e["kind"] == "decision" and e["status"] == "suppressed" and e["rule"] == "opted_out"
    ]
    return (
        ask["status"] == "suppressed"
        and len(opted_out) == 1
        and f"the client replied {word.upper()}" in opted_out[0]["detail"]
        and [at(e["at"]) for e in decisions] == [at(now)]
    )


def to_clients(smtp_server: SmtpServer) -> list[Any]:
    """What was emailed to clients (a notification to staff is ``Auto-Submitted``)."""
    return [m for m in smtp_server.messages if m["Auto-Submitted"] is None]


# -- STOP suppresses open SMS asks ---------------------------------------------------------


def test_stop_suppresses_every_open_sms_ask_and_nothing_more_is_texted(
    wired: Agency, dana_asks: dict[str, dict[str, Any]], twilio_double: TwilioDouble
) -> None:
    text_in(wired, twilio_double, "STOP", sid="SM" + "1" * 32, now=STOPPED)

    assert stopped_at_once(wired.ask(dana_asks["sms"]["id"]), now=STOPPED)
    assert stopped_at_once(wired.ask(dana_asks["review"]["id"]), now=STOPPED)
    assert sms_opted_out(wired)
    wired.tick(DUE)
    assert twilio_double.messages == []


def test_stop_leaves_the_clients_email_asks_to_go_out(
    wired: Agency,
    dana_asks: dict[str, dict[str, Any]],
    twilio_double: TwilioDouble,
    smtp_server: SmtpServer,
) -> None:
    text_in(wired, twilio_double, "STOP", sid="SM" + "1" * 32, now=STOPPED)

    mail = wired.ask(dana_asks["email"]["id"])
    assert mail["status"] == "scheduled"
    assert "opted_out" not in [r["rule"] for r in mail["reasons"]]
    wired.tick(DUE)
    assert wired.ask(dana_asks["email"]["id"])["status"] == "sent"
    assert [m["To"] for m in to_clients(smtp_server)] == ["dana@example.com"]


def test_stop_suppresses_sms_asks_held_for_an_issue_and_keeps_the_held_email_ask(
    wired: Agency,
    dana_asks: dict[str, dict[str, Any]],
    twilio_double: TwilioDouble,
    smtp_server: SmtpServer,
) -> None:
    issue = {"id": "B-77", "kind": "billing"}
    opened = bind(
        id="ticket-77-open",
        type="issue.opened",
        occurred_at="2026-11-26T09:00:00-06:00",
        policy=None,
        issue=issue,
    )
    wired.feed(opened, now=ISSUE_OPENED)
    wired.tick(ISSUE_OPENED)
    assert {wired.ask(a["id"])["status"] for a in dana_asks.values()} == {"held"}

    text_in(wired, twilio_double, "STOP", sid="SM" + "1" * 32, now=STOPPED)

    assert stopped_at_once(wired.ask(dana_asks["sms"]["id"]), now=STOPPED)
    assert stopped_at_once(wired.ask(dana_asks["review"]["id"]), now=STOPPED)
    assert wired.ask(dana_asks["email"]["id"])["status"] == "held"

    resolved = bind(
        id="ticket-77-resolved",
        type="issue.resolved",
        occurred_at="2026-11-30T09:00:00-06:00",
        policy=None,
        issue=issue,
    )
    wired.feed(resolved, now=ISSUE_RESOLVED)
    wired.tick(ISSUE_RESOLVED)
    wired.tick(DUE)
    assert twilio_double.messages == []
    assert [m["To"] for m in to_clients(smtp_server)] == ["dana@example.com"]
    assert wired.ask(dana_asks["email"]["id"])["status"] == "sent"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # reading words, not storage
@pytest.mark.parametrize("word", STOP_WORDS)
def test_each_stop_word_suppresses_the_open_sms_ask(
    wired: Agency, twilio_double: TwilioDouble, word: str
) -> None:
    ask = decided(wired, bind())

    text_in(wired, twilio_double, word, sid="SM" + "2" * 32, now=STOPPED)

    assert stopped_at_once(wired.ask(ask["id"]), now=STOPPED, word=word)
    assert sms_opted_out(wired)
    wired.tick(DUE)
    assert twilio_double.messages == []


def test_stop_from_a_shared_mobile_stops_every_text_to_that_number(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    dana = decided(wired, bind())
    alex = decided(
        wired,
        bind(
            id="epic-77-bind",
            policy={"number": "PA-77", "line_of_business": "AUTOP", "transaction": "new"},
            client={
                **bind()["client"],
                "external_id": "C-3003",
                "first_name": "Alex",
                "email": "alex@example.com",
            },
        ),
    )
    assert (alex["channel"], alex["status"]) == ("sms", "scheduled")

    text_in(wired, twilio_double, "STOP", sid="SM" + "5" * 32, now=STOPPED)

    assert stopped_at_once(wired.ask(dana["id"]), now=STOPPED)
    wired.tick(DUE)
    assert twilio_double.messages == [], "docs: no text goes to the number again"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # reading words, not storage
@pytest.mark.parametrize("word", START_WORDS)
def test_start_unstop_or_yes_after_stop_lets_texts_go_again(
    wired: Agency, twilio_double: TwilioDouble, word: str
) -> None:
    decided(wired, bind())
    text_in(wired, twilio_double, "STOP", sid="SM" + "3" * 32, now=STOPPED)
    assert sms_opted_out(wired)
    text_in(wired, twilio_double, word, sid="SM" + "4" * 32, now="2027-03-30T15:00:00Z")
    assert not sms_opted_out(wired)

    later = bind(
        id="epic-9-bind",
        occurred_at="2027-04-01T10:00:00-05:00",
        policy={"number": "HO-9", "line_of_business": "HOME", "transaction": "new"},
    )
    wired.feed(later, now="2027-04-01T16:00:00Z")
    wired.tick("2027-04-01T16:05:00Z")
    [ask] = [a for a in wired.asks(status="scheduled") if a["policy_number"] == "HO-9"]
    assert ask["channel"] == "sms"
    assert ask["scheduled_for"].startswith("2027-04-06T15:00:00"), "Tuesday 10:00 Chicago"
    wired.tick("2027-04-06T15:00:00Z")
    assert [m["to"] for m in twilio_double.messages] == [DANA_MOBILE]


# -- email replies find their ask ----------------------------------------------------------


LEE = {
    "external_id": "C-2002",
    "first_name": "Lee",
    "last_name": "Chen",
    "email": "lee@example.com",
    "mobile": "+13125550188",
}
STRANGER = "Pat Morgan <pat.morgan@elsewhere.example>"
LEE_ADDRESS = "Lee Chen <lee@example.com>"
DANA_ADDRESS = "Dana Reyes <dana@Example.com>"


@pytest.fixture
def mailed(wired: Agency, smtp_server: SmtpServer) -> dict[str, dict[str, Any]]:
    """Dana's ask (the first) and Lee's ask (the second) went out by email at DUE; the
    replies below answer Lee's, so that "the first ask" is never a right answer by chance.

    Each entry: the ask, its client's id, and the Message-ID and Reply-To it was sent with.
    """
    lee_bind = bind(
        id="epic-2002-bind",
        policy={"number": "PA-2002", "line_of_business": "AUTOP", "transaction": "new"},
        client={**bind()["client"], **LEE, "preferred_channel": "email"},
    )
    wired.feed(bind(client__preferred_channel="email"), lee_bind, now=IMPORTED)
    wired.tick(DECIDED)
    dana, lee = sorted(wired.asks(), key=lambda a: a["id"])
    assert (dana["client_external_id"], lee["client_external_id"]) == ("C-1001", "C-2002")
    wired.tick(DUE)
    sent = {str(m["To"]): m for m in smtp_server.messages}
    ids = client_ids(wired)
    found = {}
    for name, ask, address, external_id in (
        ("dana", dana, "dana@example.com", "C-1001"),
        ("lee", lee, "lee@example.com", "C-2002"),
    ):
        message = sent[address]
        assert wired.ask(ask["id"])["status"] == "sent"
        found[name] = {
            "ask": ask,
            "client_id": ids[external_id],
            "message_id": str(message["Message-ID"]),
            "reply_to": str(message["Reply-To"]),
        }
    assert found["dana"]["reply_to"] != found["lee"]["reply_to"]
    return found


def reply_email(*, sender: str, to: str, number: int, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: a quick favour"
    message["Message-ID"] = f"<reply-{number}@mail.example.com>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Thanks for the note, I will think about who might need you.\n")
    return message.as_bytes()


def import_eml(agency: Agency, tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(raw)
    assert "1 reply read" in agency.run("replies", "import", str(path), now=REPLIED)


def the_reply(agency: Agency) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one reply stored and the one task it made."""
    [reply] = agency.api.get("/api/v1/replies").json()
    [task] = [t for t in agency.api.get("/api/v1/tasks").json() if t["reply_id"] == reply["id"]]
    return reply, task


def attached_to(agency: Agency) -> tuple[int | None, int | None, int | None]:
    """(reply's ask, task's ask, task's client) for the reply received."""
    reply, task = the_reply(agency)
    return reply["ask_id"], task["ask_id"], task["client_id"]


def expected(entry: dict[str, Any]) -> tuple[int, int, int]:
    return entry["ask"]["id"], entry["ask"]["id"], entry["client_id"]


@pytest.mark.parametrize("sender", [STRANGER, DANA_ADDRESS], ids=["stranger", "other-client"])
def test_a_reply_to_the_plus_address_belongs_to_that_ask_whoever_sends_it(
    wired: Agency, mailed: dict[str, Any], tmp_path: Path, sender: str
) -> None:
    raw = reply_email(sender=sender, to=mailed["lee"]["reply_to"], number=1)

    import_eml(wired, tmp_path, raw)

    assert attached_to(wired) == expected(mailed["lee"])
    timeline = wired.ask(mailed["lee"]["ask"]["id"])["timeline"]
    assert [e["kind"] for e in timeline].count("reply") == 1


def test_a_reply_read_from_the_mailbox_is_matched_by_its_plus_address(
    wired: Agency,
    mailed: dict[str, Any],
    imap_server: imap_testing.ImapServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uid = imap_server.deliver(reply_email(sender=STRANGER, to=mailed["lee"]["reply_to"], number=2))
    monkeypatch.setenv("REFERRAL_IMAP_URL", imap_server.url)

    assert "1 new reply read" in wired.run("replies", "poll", now=REPLIED)

    assert imap_server.seen(uid)
    assert attached_to(wired) == expected(mailed["lee"])


def test_a_plus_address_in_delivered_to_names_the_ask(
    wired: Agency, mailed: dict[str, Any], tmp_path: Path
) -> None:
    raw = reply_email(
        sender=STRANGER,
        to="asks@agency.example",
        number=3,
        Delivered_To=mailed["lee"]["reply_to"],
    )

    import_eml(wired, tmp_path, raw)

    assert attached_to(wired) == expected(mailed["lee"])


@pytest.mark.parametrize(
    ("header", "thread", "sender"),
    [
        ("In-Reply-To", "{id}", STRANGER),
        ("In-Reply-To", "{id}", DANA_ADDRESS),
        ("References", "{id}", STRANGER),
        ("References", "<thread-root@mail.example.com> {id}", STRANGER),
        ("References", "{id}", DANA_ADDRESS),
    ],
    ids=[
        "in-reply-to",
        "in-reply-to-from-another-client",
        "references",
        "references-later-in-the-chain",
        "references-from-another-client",
    ],
)
def test_a_reply_naming_the_sent_message_id_belongs_to_that_ask(
    wired: Agency, mailed: dict[str, Any], tmp_path: Path, header: str, thread: str, sender: str
) -> None:
    headers = {header.replace("-", "_"): thread.format(id=mailed["lee"]["message_id"])}
    raw = reply_email(sender=sender, to="asks@agency.example", number=4, **headers)

    import_eml(wired, tmp_path, raw)

    assert attached_to(wired) == expected(mailed["lee"])


@pytest.mark.parametrize(
    ("sender", "client"), [(DANA_ADDRESS, "dana"), (LEE_ADDRESS, "lee")], ids=["dana", "lee"]
)
def test_without_plus_address_or_thread_the_senders_latest_ask_is_used(
    wired: Agency, mailed: dict[str, Any], tmp_path: Path, sender: str, client: str
) -> None:
    raw = reply_email(sender=sender, to="asks@agency.example", number=5)

    import_eml(wired, tmp_path, raw)

    assert attached_to(wired) == expected(mailed[client])


def test_a_reply_nothing_places_is_kept_unmatched_and_still_goes_to_a_person(
    wired: Agency, mailed: dict[str, Any], tmp_path: Path
) -> None:
    raw = reply_email(
        sender=STRANGER,
        to="asks+not-a-token@agency.example",
        number=6,
        In_Reply_To="<ask-not-a-token@agency.example>",
        References="<thread-root@mail.example.com> <ask-not-a-token@agency.example>",
    )

    import_eml(wired, tmp_path, raw)

    assert attached_to(wired) == (None, None, None)
    for entry in mailed.values():
        timeline = wired.ask(entry["ask"]["id"])["timeline"]
        assert "reply" not in [e["kind"] for e in timeline]
