"""Capturing referrals through the API: sources, tags, validation, listing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.agency import Agency, bind
from tests.referrals.support import refer, referral_body

PARTNER = {"kind": "partner", "external_id": None, "name": "Maria Lopez"}
EXTERNAL = {"kind": "external", "external_id": None, "name": "Chamber of Commerce mixer"}


def test_a_client_referral_resolves_the_client_and_is_tagged_after_it_is_saved(
    api: TestClient, dana: dict[str, Any]
) -> None:
    referral = refer(api, referral_body())
    assert referral["status"] == "new"
    assert referral["referred_by"]["client_id"] is not None
    assert referral["referred_by"]["name"] == "Dana Reyes"
    assert referral["tags"][:2] == ["Referral – New", "Referred by Client"]
    assert [e["kind"] for e in referral["timeline"]][:2] == ["captured", "tagged"]
    assert referral["timeline"][0]["actor"] == "Administrator"


def test_the_read_shape_has_every_documented_field(api: TestClient, dana: dict[str, Any]) -> None:
    referral = refer(api, referral_body())
    expected = {
        "id", "status", "reason", "prospect", "referred_by", "ask_id", "tags", "notes",
        "disputed", "needs_confirmation", "captured_via", "created_at", "updated_at",
        "contacted_at", "converted_at", "converted_policy_number",
    }  # fmt: skip
    assert expected <= set(referral)
    assert {"kind", "external_id", "name", "client_id", "partner_id"} <= set(
        referral["referred_by"]
    )
    assert referral["captured_via"] == "api"


def test_a_client_named_without_an_id_is_kept_by_name_unresolved(
    api: TestClient, dana: dict[str, Any]
) -> None:
    by_name = {"kind": "client", "external_id": None, "name": "Dana Reyes"}
    referral = refer(api, referral_body(referred_by=by_name))
    assert referral["referred_by"]["client_id"] is None
    assert referral["referred_by"]["name"] == "Dana Reyes"
    assert "Referred by Client" in referral["tags"]


def test_a_partner_referral_creates_the_partner_with_its_kind_tag(
    api: TestClient, captured_at: str
) -> None:
    partner = {**PARTNER, "external_id": "P-77", "partner_type": "Mortgage Broker"}
    referral = refer(api, referral_body(referred_by=partner))
    assert referral["tags"][:2] == ["Referral – New", "Source – Mortgage Broker"]
    [stored] = api.get("/api/v1/partners").json()
    assert (stored["name"], stored["kind"], stored["external_id"]) == (
        "Maria Lopez",
        "mortgage_broker",
        "P-77",
    )
    assert referral["referred_by"]["partner_id"] == stored["id"]


def test_a_partner_referral_finds_a_known_partner_by_external_id(
    api: TestClient, captured_at: str
) -> None:
    body = {"name": "Oak Street Realty", "kind": "realtor", "external_id": "P-1"}
    created = api.post("/api/v1/partners", json=body)
    assert created.status_code == 201, created.text
    by_id = {"kind": "partner", "external_id": "P-1", "name": None}
    referral = refer(api, referral_body(referred_by=by_id))
    assert referral["referred_by"]["partner_id"] == created.json()["id"]
    assert referral["referred_by"]["name"] == "Oak Street Realty"
    assert "Source – Realtor" in referral["tags"]
    assert len(api.get("/api/v1/partners").json()) == 1


def test_a_partner_referral_finds_a_known_partner_by_name_ignoring_case(
    api: TestClient, captured_at: str
) -> None:
    api.post("/api/v1/partners", json={"name": "Maria Lopez", "kind": "auto_dealer"})
    referral = refer(api, referral_body(referred_by={**PARTNER, "name": "maria lopez"}))
    assert "Source – Auto Dealer" in referral["tags"]
    assert len(api.get("/api/v1/partners").json()) == 1


def test_an_external_referral_is_tagged_source_external(api: TestClient, captured_at: str) -> None:
    referral = refer(api, referral_body(referred_by=EXTERNAL))
    assert referral["tags"][:2] == ["Referral – New", "Source – External"]
    assert referral["referred_by"]["name"] == "Chamber of Commerce mixer"


def test_given_tags_follow_the_automatic_ones_without_repeats(
    api: TestClient, captured_at: str
) -> None:
    tags = ["Hot lead", "referral – new", "Fleet", "Hot lead"]
    referral = refer(api, referral_body(referred_by=EXTERNAL, tags=tags))
    assert referral["tags"] == [
        "Referral – New",
        "Source – External",
        "Hot lead",
        "Fleet",
        "Priority – Referral",
    ]


def test_the_prospects_email_and_mobile_are_normalized_like_an_events(
    api: TestClient, captured_at: str
) -> None:
    prospect = {"first_name": " Lee ", "email": "Lee.Park@Example.COM", "mobile": "(312) 555-0188"}
    referral = refer(api, referral_body(prospect=prospect, referred_by=EXTERNAL))
    assert referral["prospect"]["first_name"] == "Lee"
    assert referral["prospect"]["email"] == "lee.park@example.com"
    assert referral["prospect"]["mobile"] == "+13125550188"


def test_a_prospect_without_a_name_or_contact_is_refused_and_nothing_is_stored(
    api: TestClient, captured_at: str
) -> None:
    body = referral_body(prospect={"line_of_business": "HOME"}, referred_by=EXTERNAL)
    response = api.post("/api/v1/referrals", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "prospect"
    assert api.get("/api/v1/referrals").json() == []


def test_a_bad_prospect_email_is_refused_naming_the_field(
    api: TestClient, captured_at: str
) -> None:
    body = referral_body(prospect={"first_name": "Lee", "email": "lee at example"})
    response = api.post("/api/v1/referrals", json=body)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["prospect.email"]
    assert api.get("/api/v1/referrals").json() == []


def test_a_partner_referral_without_an_id_or_a_name_is_refused(
    api: TestClient, captured_at: str
) -> None:
    body = referral_body(referred_by={"kind": "partner"})
    response = api.post("/api/v1/referrals", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "referred_by"
    assert api.get("/api/v1/referrals").json() == []
    assert api.get("/api/v1/partners").json() == []


def test_an_unknown_ask_is_refused(api: TestClient, captured_at: str) -> None:
    response = api.post("/api/v1/referrals", json=referral_body(referred_by=EXTERNAL, ask_id=999))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ask_id"


def test_list_filters_by_status_and_source_kind(api: TestClient, dana: dict[str, Any]) -> None:
    from_client = refer(api, referral_body())
    from_partner = refer(api, referral_body(referred_by=PARTNER))
    api.patch(f"/api/v1/referrals/{from_partner['id']}", json={"status": "contacted"})

    def ids(**params: Any) -> list[int]:
        response = api.get("/api/v1/referrals", params=params)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()]

    assert ids() == [from_partner["id"], from_client["id"]]  # newest first
    assert ids(status="new") == [from_client["id"]]
    assert ids(status="contacted") == [from_partner["id"]]
    assert ids(referred_by_kind="partner") == [from_partner["id"]]
    assert ids(referred_by_kind="external") == []
    assert ids(limit=1, offset=1) == [from_client["id"]]


def test_list_refuses_an_unknown_status(api: TestClient, captured_at: str) -> None:
    response = api.get("/api/v1/referrals", params={"status": "won"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_one_referral_is_read_with_its_timeline(api: TestClient, dana: dict[str, Any]) -> None:
    created = refer(api, referral_body())
    response = api.get(f"/api/v1/referrals/{created['id']}")
    assert response.status_code == 200
    assert response.json()["timeline"] == created["timeline"]
    assert api.get("/api/v1/referrals").json()[0]["timeline"] is None


def test_an_unknown_referral_is_not_found(api: TestClient, captured_at: str) -> None:
    assert api.get("/api/v1/referrals/999").status_code == 404
    assert api.patch("/api/v1/referrals/999", json={"notes": "x"}).status_code == 404


def test_a_partner_with_a_taken_external_id_is_a_conflict(
    api: TestClient, captured_at: str
) -> None:
    body = {"name": "Oak Street Realty", "kind": "realtor", "external_id": "P-1"}
    assert api.post("/api/v1/partners", json=body).status_code == 201
    again = api.post("/api/v1/partners", json={**body, "name": "Other"})
    assert again.status_code == 409
    assert len(api.get("/api/v1/partners").json()) == 1


def test_a_partner_is_stored_with_normalized_contact_details(
    api: TestClient, captured_at: str
) -> None:
    body = {
        "name": "Ben Cho",
        "kind": "cpa",
        "email": "Ben@Cho-CPA.example",
        "phone": "312 555 0100",
        "company": "Cho CPA",
        "notes": "Sends small-business owners",
    }
    created = api.post("/api/v1/partners", json=body).json()
    assert (created["email"], created["phone"]) == ("ben@cho-cpa.example", "+13125550100")
    assert api.get("/api/v1/partners", params={"kind": "cpa"}).json() == [created]
    assert api.get("/api/v1/partners", params={"kind": "realtor"}).json() == []


def test_a_partner_of_an_unknown_kind_is_refused(api: TestClient, captured_at: str) -> None:
    response = api.post("/api/v1/partners", json={"name": "X", "kind": "florist"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


def test_a_client_referral_on_an_ask_is_credited_to_the_asks_client(
    agency: Agency, captured_at: str
) -> None:
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    [ask] = agency.asks()
    body = referral_body(referred_by={"kind": "client"}, ask_id=ask["id"])
    referral = refer(agency.api, body)
    assert referral["ask_id"] == ask["id"]
    assert referral["referred_by"]["external_id"] == "C-1001"
    assert referral["referred_by"]["client_id"] is not None


def test_a_client_referral_naming_nobody_is_refused(api: TestClient, captured_at: str) -> None:
    response = api.post("/api/v1/referrals", json=referral_body(referred_by={"kind": "client"}))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "referred_by"
