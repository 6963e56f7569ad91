"""The weekly numbers, checked against a week counted by hand."""

from __future__ import annotations

from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from referral_engine import clock
from tests.agency import Agency, bind
from tests.conftest import at
from tests.twilio_double import TwilioDouble

PUBLIC = "https://refer.agency.example"


def client(n: int, **overrides: Any) -> dict[str, Any]:
    document = bind(
        id=f"bind-{n}",
        occurred_at="2026-11-30T10:00:00-06:00",  # Monday of 2026-W49
        client__external_id=f"C-{n}",
        client__first_name=f"Client{n}",
        client__email=f"client{n}@example.com",
        client__mobile=f"+1312555{200 + n:04d}",
        policy={
            "number": f"PA-{n}",
            "line_of_business": "AUTOP",
            "transaction": "new",
            "premium": 1500,
        },
    )
    for key, value in overrides.items():
        part, _, name = key.partition("__")
        if name:
            document[part][name] = value
        else:
            document[key] = value
    return document


def text_in(
    agency: Agency, double: TwilioDouble, sender: str, body: str, sid: str, now: str
) -> None:
    params = {"MessageSid": sid, "From": sender, "To": "+13125550100", "Body": body}
    signature = RequestValidator(double.auth_token).compute_signature(
        f"{PUBLIC}/hooks/twilio/sms", params
    )
    with clock.frozen(at(now)):
        response = agency.api.post(
            "/hooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert response.status_code == 200


@pytest.fixture
def week(agency: Agency, monkeypatch: pytest.MonkeyPatch, twilio_double: TwilioDouble) -> Agency:
    for name, value in {
        "REFERRAL_TWILIO_ACCOUNT_SID": twilio_double.account_sid,
        "REFERRAL_TWILIO_AUTH_TOKEN": twilio_double.auth_token,
        "REFERRAL_TWILIO_FROM": "+13125550100",
        "REFERRAL_TWILIO_API_BASE": twilio_double.base_url,
        "REFERRAL_PUBLIC_URL": PUBLIC,
    }.items():
        monkeypatch.setenv(name, value)
    complaint = client(
        4,
        id="complaint-4",
        type="complaint.received",
        policy=None,
        occurred_at="2026-11-20T10:00:00-06:00",
    )
    agency.feed(complaint, now="2026-11-20T17:00:00Z")
    agency.tick("2026-11-20T17:05:00Z")
    agency.feed(
        client(1),  # plain: scheduled Thursday
        client(2, client__sensitive=True),  # review: approved
        client(
            3,
            policy={
                "number": "CA-3",
                "line_of_business": "AUTOP",
                "transaction": "new",
                "premium": 15000,
            },
        ),  # review: deferred to Friday
        client(4),  # complained in W47: suppressed
        client(5, client__consent={"email": False, "sms": False}),  # refused both: suppressed
        now="2026-11-30T17:00:00Z",
    )
    agency.tick("2026-11-30T17:05:00Z")
    ids = {a["client_external_id"]: a["id"] for a in agency.asks()}
    assert (
        agency.post(
            f"/api/v1/asks/{ids['C-2']}/approve", None, now="2026-12-01T15:00:00Z"
        ).status_code
        == 200
    )
    deferred = agency.post(
        f"/api/v1/asks/{ids['C-3']}/defer",
        {"until": "2026-12-04T20:00:00Z"},
        now="2026-12-01T15:00:00Z",
    )
    assert deferred.status_code == 200
    agency.tick("2026-12-03T16:00:00Z")  # Thursday 10:00: C-1 and C-2 go out
    agency.tick("2026-12-04T20:00:00Z")  # Friday 14:00: C-3 goes out
    text_in(
        agency,
        twilio_double,
        "+13125550201",
        "My neighbor Rosa Diaz needs a quote, 312-555-0150",
        "SM" + "a" * 32,
        "2026-12-03T18:00:00Z",
    )
    text_in(agency, twilio_double, "+13125550202", "STOP", "SM" + "b" * 32, "2026-12-04T15:00:00Z")
    # The reply drafted Rosa's referral; it is received when a person confirms it.
    [drafted] = agency.api.get("/api/v1/referrals").json()
    confirmed = agency.post(
        f"/api/v1/referrals/{drafted['id']}/confirm", None, now="2026-12-04T16:00:00Z"
    )
    assert confirmed.status_code == 200, confirmed.text
    return agency


def test_the_weekly_numbers_match_the_week_counted_by_hand(week: Agency) -> None:
    response = week.api.get("/api/v1/reports/weekly", params={"week": "2026-W49"})
    assert response.status_code == 200
    numbers = response.json()
    expected = {
        "week": "2026-W49",
        "binds_detected": 5,
        "asks_sent": 3,
        "replies_received": 2,
        "hot_replies": 1,
        "referrals_received": 1,
        "asks_decided": 5,
        "asks_approved": 1,
        "asks_deferred": 1,
        "asks_suppressed": 2,
        "opt_outs": 1,
        "complaints": 0,
    }
    assert {key: numbers[key] for key in expected} == expected
    assert numbers["suppressed_by_reason"] == {"no_consent": 1, "recent_complaint": 1}


def test_the_complaint_counts_in_its_own_week(week: Agency) -> None:
    numbers = week.api.get("/api/v1/reports/weekly", params={"week": "2026-W47"}).json()
    assert numbers["complaints"] == 1 and numbers["binds_detected"] == 0


def test_the_cli_prints_the_same_numbers_as_json_and_csv(week: Agency) -> None:
    import json

    out = week.run(
        "report", "weekly", "--week", "2026-W49", "--format", "json", now="2026-12-07T12:00:00Z"
    )
    assert json.loads(out)["asks_sent"] == 3
    out = week.run(
        "report", "weekly", "--week", "2026-W49", "--format", "csv", now="2026-12-07T12:00:00Z"
    )
    assert "asks_sent,3" in out and "suppressed:no_consent,1" in out
    table = week.run("report", "weekly", "--week", "2026-W49", now="2026-12-07T12:00:00Z")
    assert "Asks sent" in table and "Referrals received" in table


def test_a_bad_week_is_refused(week: Agency) -> None:
    response = week.api.get("/api/v1/reports/weekly", params={"week": "2026-W60"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
