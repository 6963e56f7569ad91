"""A client without recorded consent on the chosen channel is never asked by itself: the
ask goes to review with a `no_consent` reason "consent not recorded" — for email too."""

from __future__ import annotations

import pytest

from referral_engine import clock
from tests.agency import Agency, bind, detail, rules_of
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at

INGESTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
DUE = "2026-12-01T16:00:00Z"


@pytest.mark.parametrize(
    ("consent", "channel"),
    [
        ({"sms": True}, "email"),  # email preferred, nothing recorded for email
        ({}, "email"),  # nothing recorded at all
        ({"email": True}, "sms"),  # SMS preferred, nothing recorded for texts
    ],
    ids=["email-unrecorded", "nothing-recorded", "sms-unrecorded"],
)
def test_an_event_for_a_client_without_recorded_consent_goes_to_review(
    agency: Agency, consent: dict[str, bool], channel: str
) -> None:
    document = bind(client__consent=consent, client__preferred_channel=channel)
    if channel == "sms":
        document["client"]["email"] = None  # no other channel to fall back on
    else:
        document["client"]["mobile"] = None
    answer = agency.post("/api/v1/events", document, now=INGESTED)
    assert answer.status_code == 202, answer.text
    agency.tick(DECIDED)
    agency.tick(DUE)
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    assert ask["channel"] == channel
    assert "no_consent" in rules_of(ask)
    assert "consent not recorded" in detail(ask, "no_consent")
    assert ask["sent_at"] is None
    assert agency.api.get("/api/v1/messages").json() == []


def test_approving_an_ask_without_recorded_consent_is_refused(agency: Agency) -> None:
    document = bind(client__consent={}, client__preferred_channel="email", client__mobile=None)
    agency.post("/api/v1/events", document, now=INGESTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    answer = agency.post(f"/api/v1/asks/{ask['id']}/approve", None, now=DECIDED)
    assert answer.status_code == 409
    assert "record the client's consent" in answer.json()["detail"]
    assert agency.ask(ask["id"])["status"] == "pending_review"


def test_the_review_card_sends_the_reviewer_to_record_consent_then_approval_works(
    agency: Agency,
) -> None:
    """An agency system that sends no consent (a poll, a carrier email) leaves every ask
    in review: the card says why and links to the client's consent form; once consent is
    recorded there, the same ask is approved."""
    document = bind(client__consent={}, client__preferred_channel="email", client__mobile=None)
    agency.post("/api/v1/events", document, now=INGESTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["client_id"] is not None
    with clock.frozen(at(DECIDED)):
        agency.api.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        card = agency.api.get("/review").text
    assert "cannot be approved yet" in card
    assert f'href="/contacts/{ask["client_id"]}#consent"' in card
    recorded = agency.post(
        f"/api/v1/contacts/{ask['client_id']}/consent",
        {"purpose": "email", "status": "granted", "method": "verbal", "at": DECIDED},
        now=DECIDED,
    )
    assert recorded.status_code in (200, 201), recorded.text
    answer = agency.post(f"/api/v1/asks/{ask['id']}/approve", None, now=DECIDED)
    assert answer.status_code == 200, answer.text
