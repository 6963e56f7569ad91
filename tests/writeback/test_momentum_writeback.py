"""Write-back to Momentum / NowCerts against the stand-in: a client polled from Momentum
gets a note on its insured when its ask is sent, when it replies and when its referral
changes status; a retry never writes a note twice; an expired token signs in again; a
client from another source gets no note. Every step through the CLI and the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.web.app import create_app
from tests.agency import Agency, bind
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.sources.momentum_standin import PASSWORD, USER, Momentum, policy
from tests.sources.standin import serving
from tests.webhooks.support import deliveries, delivery

POLLED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"
INSURED = "ins-1001"
MARK = re.compile(r" \[ref msg_[0-9a-f]{28}\]$")


@pytest.fixture
def momentum(wired: Agency, monkeypatch: pytest.MonkeyPatch) -> Iterator[Momentum]:
    """The stand-in with one new-business policy, and ``[sources.momentum]`` polling it
    with ``write_back = true``."""
    stand_in = Momentum(policies=[policy("1001", "2026-11-25T08:00:00")])
    monkeypatch.setenv("MOMENTUM_USER", USER)
    monkeypatch.setenv("MOMENTUM_PASSWORD", PASSWORD)
    with serving(stand_in):
        wired.configure(
            '[agency]\nname = "Lakeside Insurance"\n'
            'postal_address = "200 W Lake St, Suite 400, Chicago, IL 60606"\n'
            "[sources.momentum]\n"
            'kind = "poll"\nprofile = "momentum"\n'
            f'base_url = "{stand_in.url}"\n'
            'username_env = "MOMENTUM_USER"\ntoken_env = "MOMENTUM_PASSWORD"\n'
            "write_back = true\n"
        )
        yield stand_in


def browser(agency: Agency) -> TestClient:
    """The admin, signed in to the pages."""
    signed = TestClient(create_app(agency.url))
    answer = signed.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert answer.status_code in (200, 303), answer.text
    return signed


def sent_ask(agency: Agency) -> dict[str, Any]:
    """Poll the bind, decide its ask, record the client's email consent (none is polled:
    the ask waits for a person), approve the ask and send it by email."""
    agency.run("sources", "poll", "momentum", now=POLLED)
    agency.tick(DECIDED)
    [waiting] = agency.asks()
    contacts = browser(agency).get("/contacts", params={"q": "1001@example.com"}).text
    [client_id] = set(re.findall(r'href="/contacts/(\d+)"', contacts))
    consent = {
        "purpose": "email",
        "status": "granted",
        "method": "form",
        "wording": "You may email me about referrals.",
        "at": "2026-11-20T10:00:00-06:00",
    }
    said = agency.post(f"/api/v1/contacts/{client_id}/consent", consent, now=DECIDED)
    assert said.status_code == 201, said.text
    approved = agency.post(f"/api/v1/asks/{waiting['id']}/approve", {}, now=DECIDED)
    assert approved.status_code == 200, approved.text
    said = agency.tick(DUE)
    ask = agency.only_ask()
    assert ask["status"] == "sent", said
    return ask


def notes(stand_in: Momentum, insured: str = INSURED) -> list[str]:
    """The insured's notes without their markers (each must carry one)."""
    texts = stand_in.notes_on(insured)
    assert all(MARK.search(t) for t in texts), texts
    return [MARK.sub("", t) for t in texts]


def reply_email(agency: Agency, body: str, *, now: str, name: str = "reply.eml") -> str:
    path: Path = agency.tmp / name
    path.write_text(
        "From: Dana Reyes <1001@example.com>\r\n"
        "To: asks@agency.example\r\n"
        "Subject: Re: a favor\r\n"
        f"Message-ID: <{name}@mail.example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n",
        encoding="utf-8",
    )
    return agency.run("replies", "import", str(path), now=now)


def test_a_sent_ask_a_reply_and_a_status_change_each_write_one_note_on_the_insured(
    wired: Agency, momentum: Momentum
) -> None:
    agency = wired
    ask = sent_ask(agency)
    assert notes(momentum) == [f"Referral ask sent by email (ask {ask['id']})"]
    [written] = momentum.requests_to("InsertNote")
    assert written.body["creator_name"] == "Referral Engine"
    assert written.headers["authorization"].startswith("Bearer ")

    said = reply_email(
        agency, "Yes! My neighbor Maria Lopez just bought a house, 312-555-0142", now=DUE
    )
    assert "hot" in said
    agency.tick("2026-12-01T16:01:00Z")
    [referral] = agency.api.get("/api/v1/referrals").json()
    [task] = [t for t in agency.api.get("/api/v1/tasks").json() if t["reply_id"]]
    users = {u["email"]: u for u in agency.api.get("/api/v1/users").json()}
    assignee = users[task["assignee"]]["name"] or task["assignee"]
    assert notes(momentum)[1:] == [f"Client replied: hot — task for {assignee}"]

    confirmed = agency.post(
        f"/api/v1/referrals/{referral['id']}/confirm", {}, now="2026-12-01T17:00:00Z"
    )
    assert confirmed.status_code == 200, confirmed.text
    with clock.frozen(at("2026-12-01T17:05:00Z")):
        moved = agency.api.patch(f"/api/v1/referrals/{referral['id']}", json={"status": "quoting"})
    assert moved.status_code == 200, moved.text
    agency.tick("2026-12-01T17:06:00Z")
    assert notes(momentum)[2:] == ["Referral Maria L. — status quoting"]
    text = " ".join(momentum.notes_on(INSURED))
    # The note's own reference ids are random hex: look for the number, not its digits.
    for detail in ("555-0142", "5550142", "Lopez"):
        assert detail not in text, "no referred person's details"

    written_back = deliveries(agency, subscriber="momentum")
    assert [d["type"] for d in reversed(written_back)] == [
        "ask.sent",
        "reply.received",
        "referral.status_changed",
    ]
    assert {d["status"] for d in written_back} == {"delivered"}
    assert {d["client_external_id"] for d in written_back} == {INSURED}
    page = browser(agency).get("/webhooks", params={"subscriber": "momentum"})
    assert page.status_code == 200 and "Write-back" in page.text
    assert page.text.count('class="delivery"') == 3


def test_a_500_then_success_writes_exactly_one_note(wired: Agency, momentum: Momentum) -> None:
    agency = wired
    momentum.fail_once("InsertNote", 500)
    sent_ask(agency)
    assert momentum.notes == []
    [waiting] = deliveries(agency, subscriber="momentum")
    assert waiting["status"] == "retrying" and waiting["last_status_code"] == 500
    assert waiting["next_attempt_at"] == "2026-12-01T16:00:30Z"
    agency.tick("2026-12-01T16:00:30Z")
    assert len(notes(momentum)) == 1
    shown = delivery(agency, waiting["id"])
    assert shown["status"] == "delivered" and shown["attempts"] == 2
    assert [a["status_code"] for a in shown["attempt_log"]] == [500, 200]


def test_a_note_written_whose_answer_was_lost_is_not_written_again(
    wired: Agency, momentum: Momentum
) -> None:
    agency = wired
    momentum.lose_next_note_answer = True
    sent_ask(agency)
    assert len(momentum.notes) == 1, "written, but answered 500"
    agency.tick("2026-12-01T16:00:30Z")
    assert len(notes(momentum)) == 1, "the retry found its marker and wrote nothing"
    [looked] = momentum.requests_to("NotesList")
    assert looked.query["$filter"].startswith(f"insuredDatabaseId eq '{INSURED}'")
    [done] = deliveries(agency, subscriber="momentum")
    assert done["status"] == "delivered"

    resent = agency.post(
        f"/api/v1/webhooks/deliveries/{done['id']}/resend", {}, now="2026-12-02T09:00:00Z"
    )
    assert resent.status_code == 200, resent.text
    agency.tick("2026-12-02T09:00:00Z")
    assert len(notes(momentum)) == 1, "a resend of a note still there writes none"
    assert delivery(agency, done["id"])["status"] == "delivered"


def test_a_token_that_expires_mid_pass_signs_in_again(wired: Agency, momentum: Momentum) -> None:
    agency = wired
    sent_ask(agency)
    reply_email(agency, "Yes! My neighbor Maria Lopez just bought a house", now=DUE)
    [referral] = agency.api.get("/api/v1/referrals").json()
    agency.post(f"/api/v1/referrals/{referral['id']}/confirm", {}, now="2026-12-01T16:01:00Z")
    with clock.frozen(at("2026-12-01T16:02:00Z")):
        moved = agency.api.patch(f"/api/v1/referrals/{referral['id']}", json={"status": "quoting"})
    assert moved.status_code == 200, moved.text
    momentum.expire_after_notes = 2  # the reply's note is the last one the token takes
    signed_before = len(momentum.requests_to("/api/token"))
    written_before = len(momentum.requests_to("InsertNote"))

    agency.tick("2026-12-01T16:05:00Z")  # one pass (the source's next poll is not due)

    [_, replied, moved_on] = notes(momentum)
    assert replied.startswith("Client replied: hot — task for ")
    assert moved_on == "Referral Maria L. — status quoting"
    assert len(momentum.requests_to("/api/token")) - signed_before == 2, "the pass's, the 401's"
    assert len(momentum.requests_to("InsertNote")) - written_before == 3, "one refused, repeated"
    written_back = deliveries(agency, subscriber="momentum")
    assert [(d["status"], d["attempts"]) for d in written_back] == [("delivered", 1)] * 3


def test_a_missing_credential_is_retried_and_named_never_shown(
    wired: Agency, momentum: Momentum, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = wired
    momentum.fail_once("InsertNote", 500)  # the first try fails: the retry finds no password
    sent_ask(agency)
    monkeypatch.delenv("MOMENTUM_PASSWORD")
    agency.tick("2026-12-01T16:00:30Z")
    [waiting] = deliveries(agency, subscriber="momentum")
    assert waiting["status"] == "retrying" and waiting["last_status_code"] is None
    assert "MOMENTUM_PASSWORD" in waiting["last_error"]
    assert PASSWORD not in str(delivery(agency, waiting["id"]))
    monkeypatch.setenv("MOMENTUM_PASSWORD", PASSWORD)
    agency.tick(waiting["next_attempt_at"])
    assert len(notes(momentum)) == 1
    assert deliveries(agency, subscriber="momentum")[0]["status"] == "delivered"


def test_a_client_not_from_momentum_gets_no_note(wired: Agency, momentum: Momentum) -> None:
    agency = wired
    agency.feed(bind(client__consent={"email": True, "sms": True}), now=POLLED)
    agency.tick(DECIDED)  # the worker polls Momentum too: its client's ask waits for review
    agency.tick(DUE)
    [sent] = agency.asks(status="sent")
    assert sent["client_external_id"] == "C-1001"
    assert [a["client_external_id"] for a in agency.asks(status="pending_review")] == [INSURED]
    assert momentum.notes == []
    assert deliveries(agency, subscriber="momentum") == []


def test_write_back_needs_a_momentum_poll_source(wired: Agency, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[sources.epic]\nkind = "webhook"\nwrite_back = true\n', encoding="utf-8")
    said = wired.run("init", "--config", str(path), now=POLLED, expect=2)
    assert "write_back needs" in said


def test_turning_write_back_off_fails_what_waits_and_writes_nothing_more(
    wired: Agency, momentum: Momentum
) -> None:
    agency = wired
    momentum.fail_once("InsertNote", 503)
    sent_ask(agency)
    wired.configure(
        "[sources.momentum]\n"
        'kind = "poll"\nprofile = "momentum"\n'
        f'base_url = "{momentum.url}"\n'
        'username_env = "MOMENTUM_USER"\ntoken_env = "MOMENTUM_PASSWORD"\n',
        now="2026-12-01T16:00:10Z",
    )
    agency.tick("2026-12-01T16:00:30Z")
    [stopped] = deliveries(agency, subscriber="momentum")
    assert stopped["status"] == "failed"
    assert stopped["last_error"] == "[sources.momentum] does not write back any more"
    assert momentum.notes == []
