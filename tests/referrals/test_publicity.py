"""Public acknowledgment (research R36, R37; test case 10): a referrer is named in public
only with their own, revocable publicity permission, and a rewarded one's praise says so."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import pytest

from referral_engine import clock
from tests.agency import Agency, bind
from tests.conftest import at

RECOGNIZED = "2027-01-04T15:00:00Z"
_PROSPECTS = itertools.count(1)
DANA = {"kind": "client", "external_id": "C-1001"}
WREN = {"kind": "client", "external_id": "C-WA"}
HARBOR = {"kind": "partner", "name": "Harbor Realty"}
PERMISSION = {
    "purpose": "publicity",
    "status": "granted",
    "method": "form",
    "wording": "You may thank me by name on the agency's Facebook page.",
    "at": "2026-10-01T10:00:00-05:00",
}


@pytest.fixture
def quarter(agency: Agency) -> dict[str, int]:
    """2026-Q4: Dana Reyes introduces 2 people, Wren Client 1, Harbor Realty 1; returns
    the client ids of Dana and Wren."""
    agency.feed(bind(), now="2026-11-20T15:00:00Z")
    wren = {**bind()["client"], "external_id": "C-WA", "first_name": "Wren",
            "last_name": "Client", "email": "wren@example.com", "mobile": None,
            "postal_code": "98101"}  # fmt: skip
    agency.feed(bind(id="bind-wren", client=wren), now="2026-11-20T15:00:00Z")
    ids = {}
    for source, count in ((DANA, 2), (WREN, 1), (HARBOR, 1)):
        for _ in range(count):
            referral = introduce(agency, source, now="2026-12-01T16:00:00Z")
        ids[str(source.get("external_id"))] = referral["referred_by"]["client_id"]
    return ids


def introduce(agency: Agency, source: dict[str, Any], *, now: str) -> dict[str, Any]:
    n = next(_PROSPECTS)
    body = {
        "prospect": {"first_name": f"Friend{n}", "last_name": "Test", "email": f"f{n}@ex.com"},
        "referred_by": source,
    }
    response = agency.post("/api/v1/referrals", body, now=now)
    assert response.status_code == 201, response.text
    return dict(response.json())


def say(agency: Agency, client_id: int, body: dict[str, Any], *, now: str) -> None:
    response = agency.post(f"/api/v1/contacts/{client_id}/consent", body, now=now)
    assert response.status_code == 201, response.text


def recognize(agency: Agency) -> list[dict[str, Any]]:
    with clock.frozen(at(RECOGNIZED)):
        response = agency.api.post(
            "/api/v1/recognition/run", params={"quarter": "2026-Q4", "top": 3}
        )
    assert response.status_code == 200, response.text
    return list(response.json()["standings"])


def draft_for(agency: Agency, name: str) -> str:
    [task] = [
        t
        for t in agency.api.get("/api/v1/tasks").json()
        if t["kind"] == "recognize_referrer" and name in t["title"]
    ]
    return str(task["detail"])


def test_a_public_thank_you_is_drafted_only_for_a_client_who_gave_permission(
    agency: Agency, quarter: dict[str, int]
) -> None:
    say(agency, quarter["C-1001"], PERMISSION, now="2026-12-01T17:00:00Z")
    recognize(agency)
    dana = draft_for(agency, "Dana Reyes")
    assert "A big thank-you to Dana Reyes for introducing 2 friends to My Agency" in dana
    assert "gave publicity permission on 2026-10-01 (form)" in dana
    assert PERMISSION["wording"] in dana
    wren = draft_for(agency, "Wren Client")
    assert "A big thank-you" not in wren
    assert "Keep it private" in wren


def test_a_revoked_permission_means_no_public_draft(
    agency: Agency, quarter: dict[str, int]
) -> None:
    say(agency, quarter["C-1001"], PERMISSION, now="2026-12-01T17:00:00Z")
    revoked = {"purpose": "publicity", "status": "revoked", "method": "reply"}
    say(agency, quarter["C-1001"], revoked, now="2026-12-10T17:00:00Z")
    standings = recognize(agency)
    assert {s["name"]: s["publicity"] for s in standings} == {
        "Dana Reyes": False,
        "Wren Client": False,
        "Harbor Realty": None,
    }
    dana = draft_for(agency, "Dana Reyes")
    assert "A big thank-you" not in dana
    assert "Keep it private" in dana


def test_a_rewarded_referrers_public_draft_discloses_the_reward(
    agency: Agency, quarter: dict[str, int]
) -> None:
    agency.configure(
        "[rewards]\nenabled = true\nvalue = 25\n[rewards.states.IL]\nannual_cap = 100\n"
    )
    referral = introduce(agency, DANA, now="2026-12-02T16:00:00Z")
    [reward] = referral["rewards"]
    with clock.frozen(at("2026-12-02T18:00:00Z")):
        approved = agency.api.post(f"/api/v1/rewards/{reward['id']}/approve")
    assert approved.status_code == 200, approved.text
    say(agency, quarter["C-1001"], PERMISSION, now="2026-12-03T17:00:00Z")
    recognize(agency)
    public = draft_for(agency, "Dana Reyes").split("if you post one:", 1)[1]
    assert "A big thank-you to Dana Reyes for introducing 3 friends" in public
    assert "Dana Reyes received a gift card for referring friends to us." in public


def convert_danas(agency: Agency) -> list[dict[str, Any]]:
    referrals = agency.api.get("/api/v1/referrals", params={"referred_by_kind": "client"}).json()
    danas = [r for r in referrals if r["referred_by"]["external_id"] == "C-1001"]
    for referral in danas:
        with clock.frozen(at("2026-12-05T16:00:00Z")):
            response = agency.api.patch(
                f"/api/v1/referrals/{referral['id']}", json={"status": "converted"}
            )
        assert response.status_code == 200, response.text
    return danas


def private_thanks(agency: Agency) -> str:
    recognize(agency)
    return draft_for(agency, "Dana Reyes").split("Subject:", 1)[1].split("Keep it private")[0]


def test_the_private_thank_you_does_not_say_who_became_a_client(
    agency: Agency, quarter: dict[str, int]
) -> None:
    convert_danas(agency)
    draft = private_thanks(agency)
    assert "you introduced 2 people to My Agency in 2026-Q4." in draft
    assert "client" not in draft


def test_the_private_thank_you_counts_the_conversions_the_people_agreed_to_share(
    agency: Agency, quarter: dict[str, int]
) -> None:
    danas = convert_danas(agency)
    agreed = {"status": "granted", "method": "phone", "staff_name": "Sam Ortiz"}
    response = agency.post(
        f"/api/v1/referrals/{danas[0]['id']}/consent", agreed, now="2026-12-06T16:00:00Z"
    )
    assert response.status_code == 201, response.text
    assert "and 1 of them is now a client" in private_thanks(agency)


def test_the_top_referrers_export_names_only_referrers_with_permission(
    agency: Agency, quarter: dict[str, int]
) -> None:
    say(agency, quarter["C-1001"], PERMISSION, now="2026-12-01T17:00:00Z")
    with clock.frozen(at(RECOGNIZED)):
        response = agency.api.get("/api/v1/reports/top-referrers", params={"quarter": "2026-Q4"})
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["rows"] == [
        {"rank": 1, "name": "Dana Reyes", "introductions": 2, "disclosure": None}
    ]
    assert document["withheld"] == 2  # Wren (no permission) and Harbor Realty (a partner)
    out = agency.run(
        "report", "top-referrers", "--quarter", "2026-Q4", "--format", "csv", now=RECOGNIZED
    )
    rows = list(csv.reader(io.StringIO(out.strip())))
    assert rows == [["rank", "name", "introductions", "disclosure"], ["1", "Dana Reyes", "2", ""]]
    assert "Wren" not in out and "Harbor" not in out
