"""Revocation by any reasonable means (FCC 24-24), end to end: a text through the signed
Twilio webhook or an email imported from .eml opts the client out of what it names at
once and stops their open asks; one plain confirmation text answers a revocation in the
client's own words, never a keyword, a redelivery or a second stop; the block is the
client's, not a sending number's."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from tests.agency import Agency, bind, detail
from tests.replies.test_inbound import PUBLIC, text_in
from tests.twilio_double import TwilioDouble

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"  # the ask is scheduled for Tue 1 Dec, 10:00 Chicago
REPLIED = "2026-11-27T17:30:00Z"  # Fri 11:30 Chicago, while the ask still waits
NIGHT = "2026-11-28T09:00:00Z"  # Sat 03:00 Chicago: deep inside quiet hours
DUE = "2026-12-01T16:00:00Z"
CONFIRMATION = "Lakeside Insurance: you will get no more texts from us. Reply START to resume."
SECOND_NUMBER = "+13125550999"


@pytest.fixture
def wired(agency: Agency, monkeypatch: pytest.MonkeyPatch, twilio_double: TwilioDouble) -> Agency:
    """An agency with Twilio configured and one SMS ask scheduled for Dana."""
    monkeypatch.setenv("REFERRAL_TWILIO_ACCOUNT_SID", twilio_double.account_sid)
    monkeypatch.setenv("REFERRAL_TWILIO_AUTH_TOKEN", twilio_double.auth_token)
    monkeypatch.setenv("REFERRAL_TWILIO_FROM", "+13125550100")
    monkeypatch.setenv("REFERRAL_TWILIO_API_BASE", twilio_double.base_url)
    monkeypatch.setenv("REFERRAL_PUBLIC_URL", PUBLIC)
    agency.configure('[agency]\nname = "Lakeside Insurance"\n')
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    assert agency.only_ask()["status"] == "scheduled"
    return agency


def consent_of(agency: Agency, external_id: str = "C-1001") -> dict[str, Any]:
    with unit_of_work(agency.url) as session:
        client_id = session.scalars(
            select(Client.id).where(Client.external_id == external_id)
        ).one()
    response = agency.api.get(f"/api/v1/contacts/{client_id}/consent")
    assert response.status_code == 200, response.text
    return dict(response.json())


def confirmations(agency: Agency) -> list[dict[str, Any]]:
    return [m for m in agency.api.get("/api/v1/messages").json() if m["kind"] == "opt_out_confirm"]


def answer_of(response: Any) -> str | None:
    """The text of the TwiML reply, or None when the webhook answers nothing."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    if "<Message>" not in response.text:
        return None
    return str(response.text.split("<Message>", 1)[1].split("</Message>", 1)[0])


def sid(n: int) -> str:
    return f"SM{n:032d}"


# -- wording opts out and stops open asks ----------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        "Cancel these messages",
        "no more texts",
        "No más",
        "stpo",
        "take me off",
        "I'm not interested, stop",
        "remvoe me",
        "ya no me manden mensajes",
    ],
)
def test_a_text_that_asks_to_stop_in_any_words_opts_out_and_stops_the_open_ask(
    wired: Agency, twilio_double: TwilioDouble, words: str
) -> None:
    ask = wired.only_ask()
    assert answer_of(text_in(wired, twilio_double, words, now=REPLIED)) == CONFIRMATION
    [reply] = wired.api.get("/api/v1/replies").json()
    assert reply["kind"] == "opt_out"
    consent = consent_of(wired)
    assert (consent["sms"], consent["email"]) == ("revoked", "granted")
    [record] = [r for r in consent["records"] if r["status"] == "revoked"]
    assert (record["method"], record["wording"]) == ("reply", words)
    stopped = wired.ask(ask["id"])
    assert stopped["status"] == "suppressed"
    assert words.split()[0] in detail(stopped, "opted_out")
    wired.tick(DUE)
    assert [m for m in twilio_double.messages if m["to"] == "+13125550123"] == []


def test_a_text_naming_both_channels_opts_out_of_both(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    text_in(wired, twilio_double, "Stop all messages", now=REPLIED)
    consent = consent_of(wired)
    assert (consent["sms"], consent["email"]) == ("revoked", "revoked")


def test_a_text_that_says_stop_and_names_a_referral_opts_out_and_still_reaches_a_producer(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    text_in(
        wired,
        twilio_double,
        "Stop texting me. My cousin Rosa Diaz 312-555-0133 wants a home quote though",
        now=REPLIED,
    )
    assert consent_of(wired)["sms"] == "revoked"
    [task] = wired.api.get("/api/v1/tasks").json()
    assert task["kind"] == "reply_opt_out" and task["priority"] == "hot"
    assert task["referral_id"] is not None
    assert "+13125550133" in task["detail"]


# -- one confirmation, and only one -------------------------------------------------------


def test_a_wording_revocation_is_confirmed_once_at_once_even_at_night(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    answer = answer_of(text_in(wired, twilio_double, "no more texts please", now=NIGHT))
    assert answer == CONFIRMATION
    [sent] = confirmations(wired)
    assert (sent["to"], sent["body"], sent["status"]) == ("+13125550123", CONFIRMATION, "sent")
    assert sent["sent_at"].startswith("2026-11-28T09:00:00")
    assert "http" not in answer and "refer" not in answer.lower()  # no link, no marketing


def test_a_bare_keyword_gets_no_confirmation_from_us_twilio_sends_its_own(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    assert answer_of(text_in(wired, twilio_double, "STOP", now=REPLIED)) is None
    assert consent_of(wired)["sms"] == "revoked"
    assert confirmations(wired) == []


def test_a_redelivered_revocation_is_not_confirmed_twice(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    first = text_in(wired, twilio_double, "please stop texting me", sid=sid(1), now=REPLIED)
    again = text_in(wired, twilio_double, "please stop texting me", sid=sid(1), now=REPLIED)
    assert (answer_of(first), answer_of(again)) == (CONFIRMATION, None)
    assert len(confirmations(wired)) == 1
    assert len(wired.api.get("/api/v1/replies").json()) == 1


def test_three_stop_messages_in_a_row_get_one_confirmation(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    answers = [
        answer_of(text_in(wired, twilio_double, words, sid=sid(n), now=REPLIED))
        for n, words in enumerate(["stop texting me", "I SAID STOP", "no more texts!!"], 1)
    ]
    assert answers == [CONFIRMATION, None, None]
    assert len(confirmations(wired)) == 1
    revoked = [r for r in consent_of(wired)["records"] if r["status"] == "revoked"]
    assert len(revoked) == 1  # the first is the revocation; the others repeat it


def test_a_revocation_of_email_by_text_is_not_confirmed_by_text(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    assert answer_of(text_in(wired, twilio_double, "stop emailing me", now=REPLIED)) is None
    consent = consent_of(wired)
    assert (consent["sms"], consent["email"]) == ("granted", "revoked")


# -- START resumes only recorded consent ---------------------------------------------------


def test_start_after_a_wording_revocation_resumes_texts_where_consent_was_recorded(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    text_in(wired, twilio_double, "no more texts", sid=sid(1), now=REPLIED)
    assert answer_of(text_in(wired, twilio_double, "START", sid=sid(2), now=REPLIED)) is None
    assert consent_of(wired)["sms"] == "granted"


def test_start_after_a_wording_revocation_does_not_resume_texts_never_consented_to(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    lee = bind(
        id="lee-bind",
        client__external_id="C-2002",
        client__email="lee@example.com",
        client__mobile="+13125550177",
        client__consent={"email": True, "sms": None},
    )
    wired.feed(lee, now=REPLIED)
    text_in(wired, twilio_double, "take me off", sid=sid(1), sender="+13125550177", now=REPLIED)
    text_in(wired, twilio_double, "START", sid=sid(2), sender="+13125550177", now=REPLIED)
    assert consent_of(wired, "C-2002")["sms"] == "revoked"


# -- the block is the client's, not a sending number's ------------------------------------


def test_a_revocation_sent_to_one_agency_number_stops_texts_from_every_other(
    wired: Agency, twilio_double: TwilioDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"MessageSid": sid(1), "From": "+13125550123", "To": SECOND_NUMBER}
    response = _signed_text(wired, twilio_double, "no more texts", params)
    assert answer_of(response) == CONFIRMATION
    # Later the agency sends from yet another number (or a Messaging Service): still blocked.
    monkeypatch.setenv("REFERRAL_TWILIO_FROM", "+13125550888")
    later = bind(
        id="epic-2-bind",
        occurred_at="2027-04-01T10:00:00-05:00",
        policy={"number": "HO-2", "line_of_business": "HOME", "transaction": "new"},
        client__consent={"email": False, "sms": True},
    )
    wired.feed(later, now="2027-04-01T16:00:00Z")
    wired.tick("2027-04-01T16:05:00Z")
    suppressed = wired.asks(status="suppressed")
    assert len(suppressed) == 2
    assert all("opted_out" in [r["rule"] for r in a["reasons"]] for a in suppressed)
    assert [m for m in twilio_double.messages if m["to"] == "+13125550123"] == []


def test_every_client_record_with_the_number_stops(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    spouse = bind(
        id="spouse-bind",
        client__external_id="C-1002",
        client__first_name="Alex",
        client__email="alex@example.com",
        client__mobile="+13125550123",  # the household's one mobile
    )
    wired.feed(spouse, now=REPLIED)
    text_in(wired, twilio_double, "lose my number", now=REPLIED)
    assert consent_of(wired, "C-1001")["sms"] == "revoked"
    assert consent_of(wired, "C-1002")["sms"] == "revoked"
    assert consent_of(wired, "C-1002")["email"] == "granted"


def _signed_text(
    agency: Agency, twilio_double: TwilioDouble, body: str, params: dict[str, str]
) -> Any:
    from twilio.request_validator import RequestValidator

    from referral_engine import clock
    from tests.conftest import at

    form = {**params, "Body": body}
    url = f"{PUBLIC}/hooks/twilio/sms"
    signature = RequestValidator(twilio_double.auth_token).compute_signature(url, form)
    with clock.frozen(at(REPLIED)):
        return agency.api.post(
            "/hooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
        )


# -- email ----------------------------------------------------------------------------------


def _eml(tmp_path: Path, text: str, *, n: int = 1) -> Path:
    message = EmailMessage()
    message["From"] = "Dana Reyes <dana@example.com>"
    message["To"] = "asks@agency.example"
    message["Subject"] = "Re: thank you"
    message["Message-ID"] = f"<stop-{n}@mail.example.com>"
    message.set_content(
        f"{text}\n\nThanks,\nDana\n\nOn Tue, Dec 1, 2026 at 10:00 AM Sam Ortiz "
        "<asks@agency.example> wrote:\n> Hi Dana, know anyone who could use the same care?\n"
        "> Reply STOP to opt out.\n"
    )
    path = tmp_path / f"reply-{n}.eml"
    path.write_bytes(message.as_bytes())
    return path


@pytest.fixture
def by_email(agency: Agency) -> Agency:
    """Dana, who prefers email and has an email ask scheduled."""
    agency.feed(bind(client__preferred_channel="email"), now=IMPORTED)
    agency.tick(DECIDED)
    assert agency.only_ask()["channel"] == "email"
    return agency


@pytest.mark.parametrize("words", ["Please stop emailing me.", "remove me", "unsubscibe"])
def test_an_email_that_asks_to_stop_opts_out_of_email_and_stops_the_open_ask(
    by_email: Agency, tmp_path: Path, words: str
) -> None:
    ask = by_email.only_ask()
    by_email.run("replies", "import", str(_eml(tmp_path, words)), now=REPLIED)
    consent = consent_of(by_email)
    assert (consent["email"], consent["sms"]) == ("revoked", "granted")
    assert by_email.ask(ask["id"])["status"] == "suppressed"
    assert by_email.api.get("/api/v1/messages").json() == []  # no confirmation email


def test_an_email_that_says_dont_contact_me_at_all_opts_out_of_both_and_sends_nothing(
    by_email: Agency, tmp_path: Path
) -> None:
    path = _eml(tmp_path, "Don't contact me at all, by email or text.")
    by_email.run("replies", "import", str(path), now=REPLIED)
    consent = consent_of(by_email)
    assert (consent["email"], consent["sms"]) == ("revoked", "revoked")
    assert by_email.api.get("/api/v1/messages").json() == []


# -- the carrier says the number opted out (Twilio error 21610) -----------------------------


def spouse_at_the_same_mobile(agency: Agency) -> None:
    spouse = bind(
        id="spouse-bind",
        client__external_id="C-1002",
        client__first_name="Alex",
        client__email="alex@example.com",
        client__mobile="+13125550123",
    )
    agency.feed(spouse, now=IMPORTED)
    agency.tick(DECIDED)


def carrier_records(agency: Agency, external_id: str) -> list[dict[str, Any]]:
    return [r for r in consent_of(agency, external_id)["records"] if r["method"] == "carrier"]


def test_a_send_refused_with_21610_opts_out_everyone_at_the_number_and_stops_their_asks(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    spouse_at_the_same_mobile(wired)
    spouse_ask = [a for a in wired.asks() if a["client_external_id"] == "C-1002"]
    twilio_double.fail_next(400, 21610, "Attempt to send to unsubscribed recipient", times=5)
    wired.tick(DUE)
    assert consent_of(wired, "C-1001")["sms"] == "revoked"
    assert consent_of(wired, "C-1002")["sms"] == "revoked"
    assert consent_of(wired, "C-1002")["email"] != "revoked", "only texts were refused"
    [record] = carrier_records(wired, "C-1002")
    assert "21610" in record["source"]
    for ask in spouse_ask:
        if ask["channel"] == "sms":
            assert wired.ask(ask["id"])["status"] in ("suppressed", "failed")
    assert twilio_double.messages == []


def test_a_status_report_with_21610_opts_the_number_out(
    wired: Agency, twilio_double: TwilioDouble
) -> None:
    from twilio.request_validator import RequestValidator

    from referral_engine import clock
    from tests.conftest import at

    wired.tick(DUE)
    [message] = wired.api.get("/api/v1/messages").json()
    params = {
        "MessageSid": message["provider_id"],
        "MessageStatus": "undelivered",
        "ErrorCode": "21610",
    }
    url = f"{PUBLIC}/hooks/twilio/status"
    signature = RequestValidator(twilio_double.auth_token).compute_signature(url, params)
    with clock.frozen(at("2026-12-01T16:01:00Z")):
        response = wired.api.post(
            "/hooks/twilio/status", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert response.status_code == 204
    assert consent_of(wired)["sms"] == "revoked"
    [record] = carrier_records(wired, "C-1001")
    assert record["status"] == "revoked"
