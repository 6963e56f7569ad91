"""Consent with proof: when, how, the wording and the number, for every grant, refusal and
revocation; unknown consent never sends by itself; START resumes only recorded consent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from referral_engine import clock
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from tests.agency import Agency, bind, detail
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.replies.test_inbound import sent, text_in  # noqa: F401 - sent is a fixture
from tests.twilio_double import TwilioDouble

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
SIGNED = {
    "status": "granted",
    "method": "signed_application",
    "at": "2024-03-01T10:00:00-06:00",
    "wording": "I agree to receive texts from Lakeside about referrals. Reply STOP to opt out.",
    "number": "(312) 555-0123",
}


def client_id(agency: Agency, external_id: str = "C-1001") -> int:
    with unit_of_work(agency.url) as session:
        return session.scalars(select(Client.id).where(Client.external_id == external_id)).one()


def consent_of(agency: Agency) -> dict[str, Any]:
    response = agency.api.get(f"/api/v1/contacts/{client_id(agency)}/consent")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_bare_yes_from_a_source_is_kept_as_imported_with_the_file_and_event(
    agency: Agency,
) -> None:
    agency.feed(bind(), now=IMPORTED)
    consent = consent_of(agency)
    assert (consent["email"], consent["sms"]) == ("granted", "granted")
    [sms] = [r for r in consent["records"] if r["purpose"] == "sms"]
    assert (sms["method"], sms["number"]) == ("imported", "+13125550123")
    assert sms["source"] == "file events-1.jsonl (applied-epic, event epic-778812-bind)"
    assert sms["at"] == "2026-11-25T21:30:00+00:00"  # as of the event, not the import


def test_consent_with_its_proof_keeps_when_how_the_wording_and_the_number(
    agency: Agency,
) -> None:
    agency.feed(bind(client__consent={"email": True, "sms": SIGNED}), now=IMPORTED)
    [sms] = [r for r in consent_of(agency)["records"] if r["purpose"] == "sms"]
    assert sms["method"] == "signed_application"
    assert sms["at"] == "2024-03-01T16:00:00+00:00"
    assert sms["wording"] == SIGNED["wording"]
    assert sms["number"] == "+13125550123"


def test_a_source_repeating_the_same_consent_adds_no_record(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.feed(bind(id="again", type="client.updated", policy=None), now="2026-11-26T22:00:00Z")
    assert len(consent_of(agency)["records"]) == 2  # email and SMS, once each


def test_a_source_sending_the_signed_application_with_every_event_keeps_it_once(
    agency: Agency,
) -> None:
    agency.feed(bind(client__consent={"email": True, "sms": SIGNED}), now=IMPORTED)
    again = bind(id="again", type="client.updated", policy=None)
    agency.feed({**again, "client": {**again["client"], "consent": {"sms": SIGNED}}}, now=DECIDED)
    sms = [r for r in consent_of(agency)["records"] if r["purpose"] == "sms"]
    assert [(r["method"], r["at"]) for r in sms] == [
        ("signed_application", "2024-03-01T16:00:00+00:00")
    ]


def test_a_new_client_whose_events_in_one_file_repeat_their_consent_keeps_it_once(
    agency: Agency,
) -> None:
    # The client is new: both events are decided in one chunk before it is stored.
    again = bind(id="again", type="client.updated", policy=None)
    agency.feed(
        bind(client__consent={"email": True, "sms": SIGNED}),
        {**again, "client": {**again["client"], "consent": {"email": True, "sms": SIGNED}}},
        now=IMPORTED,
    )
    consent = consent_of(agency)
    assert (consent["email"], consent["sms"]) == ("granted", "granted")
    assert sorted((r["purpose"], r["method"]) for r in consent["records"]) == [
        ("email", "imported"),
        ("sms", "signed_application"),
    ]


# -- the contact page ----------------------------------------------------------------------


def signed_in(agency: Agency) -> Any:
    page = agency.api
    response = page.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return page


def test_consent_recorded_on_the_contact_page_lets_the_waiting_ask_be_approved(
    agency: Agency,
) -> None:
    agency.feed(bind(client__consent={"sms": None, "email": False}), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert (ask["status"], ask["channel"]) == ("pending_review", "sms")
    page = signed_in(agency)
    target = f"/contacts/{client_id(agency)}"
    shown = page.get(target).text
    assert "Texts: <strong>not recorded</strong>" in shown and "Record consent" in shown

    wording = "Yes, you can text me about referrals at this number."
    with clock.frozen(at("2026-11-26T15:05:00Z")):
        response = page.post(
            target + "/consent",
            data={
                "purpose": "sms",
                "status": "granted",
                "how": "phone",
                "at": "2026-11-26T09:00",  # the agency's wall clock: Chicago
                "wording": wording,
                "number": "312-555-0123",
                "staff_name": "Ana Ruiz",
            },
            follow_redirects=False,
        )
    assert response.status_code == 303
    assert response.headers["location"].startswith(target + "?done=")
    shown = page.get(response.headers["location"]).text
    assert "Recorded: Dana Reyes agreed to texts about referrals." in shown
    assert "Texts: <strong>granted</strong>" in shown and "Ana Ruiz" in shown
    [record] = [r for r in consent_of(agency)["records"] if r["purpose"] == "sms"]
    assert (record["method"], record["at"], record["number"], record["wording"]) == (
        "phone",
        "2026-11-26T15:00:00+00:00",
        "+13125550123",
        wording,
    )
    approved = agency.post(f"/api/v1/asks/{ask['id']}/approve", {}, now="2026-11-26T15:10:00Z")
    assert approved.status_code == 200, approved.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"purpose": "sms", "status": "granted", "how": "form"}, "wording"),
        ({"purpose": "sms", "status": "granted", "how": "carrier pigeon"}, "Choose"),
        ({"purpose": "sms", "status": "granted", "how": "phone", "at": "soon"}, "Enter a date"),
    ],
    ids=["no-wording", "unknown-method", "bad-time"],
)
def test_the_contact_page_consent_form_refuses_what_would_not_stand_and_changes_nothing(
    agency: Agency, form: dict[str, str], message: str
) -> None:
    agency.feed(bind(client__consent={"sms": None, "email": False}), now=IMPORTED)
    page = signed_in(agency)
    target = f"/contacts/{client_id(agency)}"
    before = consent_of(agency)
    with clock.frozen(at("2026-11-26T15:05:00Z")):
        response = page.post(target + "/consent", data=form, follow_redirects=False)
    # The form again, as typed, with the words next to the field (422); nothing stored.
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert consent_of(agency) == before


@pytest.mark.usefixtures("sent")
def test_a_stale_import_cannot_undo_the_clients_own_stop(
    agency: Agency, twilio_double: TwilioDouble
) -> None:
    text_in(agency, twilio_double, "STOP", sid="SM" + "2" * 32)
    agency.feed(
        bind(id="nightly", type="client.updated", policy=None, occurred_at="2026-12-02T01:00:00Z"),
        now="2026-12-02T08:00:00Z",
    )
    consent = consent_of(agency)
    assert consent["sms"] == "revoked"
    revoked = [r for r in consent["records"] if r["status"] == "revoked"]
    assert [(r["method"], r["wording"]) for r in revoked] == [("reply", "STOP")]


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_unrecorded_consent_waits_for_review_and_cannot_be_approved_until_recorded(
    agency: Agency, channel: str
) -> None:
    other = "sms" if channel == "email" else "email"
    agency.feed(
        bind(client__consent={channel: None, other: False}, client__preferred_channel=channel),
        now=IMPORTED,
    )
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert (ask["status"], ask["channel"]) == ("pending_review", channel)
    assert "consent not recorded" in detail(ask, "no_consent")

    refused = agency.post(f"/api/v1/asks/{ask['id']}/approve", {}, now="2026-11-26T15:00:00Z")
    assert refused.status_code == 409
    assert "record the client's consent" in refused.json()["detail"]

    recorded = agency.post(
        f"/api/v1/contacts/{client_id(agency)}/consent",
        {"purpose": channel, "status": "granted", "method": "verbal", "wording": "Yes, fine."},
        now="2026-11-26T15:05:00Z",
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["staff_name"] == "Administrator"  # who heard it, by default
    approved = agency.post(f"/api/v1/asks/{ask['id']}/approve", {}, now="2026-11-26T15:10:00Z")
    assert approved.status_code == 200, approved.text
    assert agency.ask(ask["id"])["status"] == "scheduled"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"purpose": "sms", "status": "granted", "method": "imported"}, "source"),
        ({"purpose": "sms", "status": "granted", "method": "form"}, "wording"),
        (
            {
                "purpose": "email",
                "status": "granted",
                "method": "form",
                "wording": "ok",
                "at": "2030-01-01T00:00:00Z",
            },
            "future",
        ),
    ],
)
def test_a_statement_that_would_not_stand_as_proof_is_refused_and_nothing_changes(
    agency: Agency, body: dict[str, Any], message: str
) -> None:
    agency.feed(bind(client__consent={"email": None, "sms": None}), now=IMPORTED)
    response = agency.post(
        f"/api/v1/contacts/{client_id(agency)}/consent", body, now="2026-11-26T15:00:00Z"
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]
    consent = consent_of(agency)
    assert (consent["email"], consent["sms"], consent["records"]) == ("unknown", "unknown", [])


def test_a_revocation_told_on_the_phone_opts_out_and_stops_open_asks(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert (ask["status"], ask["channel"]) == ("scheduled", "sms")
    response = agency.post(
        f"/api/v1/contacts/{client_id(agency)}/consent",
        {
            "purpose": "sms",
            "status": "revoked",
            "method": "phone",
            "staff_name": "Ana Ruiz",
            "wording": "Please don't text me about this",
        },
        now="2026-11-27T15:00:00Z",
    )
    assert response.status_code == 201, response.text
    assert response.json()["method"] == "phone"
    stopped = agency.ask(ask["id"])
    assert stopped["status"] == "suppressed"
    assert detail(stopped, "opted_out") == "SMS: the client opted out (phone)"
    assert consent_of(agency)["sms"] == "revoked"


@pytest.mark.usefixtures("sent")
def test_start_resumes_texts_only_where_consent_was_recorded_before(
    agency: Agency, twilio_double: TwilioDouble
) -> None:
    other = bind(
        id="other-bind",
        client__external_id="C-2002",
        client__email="lee@example.com",
        client__mobile="+13125550177",
        client__consent={"email": True, "sms": None},
    )
    agency.feed(other, now="2026-12-01T16:30:00Z")
    text_in(agency, twilio_double, "STOP", sid="SM" + "4" * 32, sender="+13125550177")
    text_in(agency, twilio_double, "START", sid="SM" + "5" * 32, sender="+13125550177")
    with unit_of_work(agency.url) as session:
        lee = session.scalars(select(Client).where(Client.external_id == "C-2002")).one()
        assert (lee.sms_opted_out, lee.consent_sms) == (True, None)
    # Dana gave consent before her STOP: START brings texts back.
    text_in(agency, twilio_double, "STOP", sid="SM" + "6" * 32)
    text_in(agency, twilio_double, "START", sid="SM" + "7" * 32)
    assert consent_of(agency)["sms"] == "granted"


def test_the_first_text_names_the_agency_rates_and_how_to_stop_or_get_help(
    agency: Agency,
) -> None:
    agency.configure('[agency]\nname = "Lakeside Insurance Group"\n')
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    body = agency.only_ask()["draft"]["body"]
    # The text names the agency in its first sentence; the footer does not say it twice.
    assert "Lakeside Insurance Group" in body.splitlines()[0]
    assert body.count("Lakeside Insurance Group") == 1
    assert body.splitlines()[-1] == (
        "Msg & data rates may apply. Reply STOP to opt out, HELP for help."
    )


@pytest.mark.usefixtures("sent")
def test_help_answers_with_the_agency_name_and_phone(
    agency: Agency, twilio_double: TwilioDouble
) -> None:
    agency.configure('[agency]\nname = "Lakeside Insurance Group"\nphone = "(312) 555-0100"\n')
    response = text_in(agency, twilio_double, "HELP")
    assert response.status_code == 200
    assert "Lakeside Insurance Group" in response.text
    assert "call (312) 555-0100" in response.text
