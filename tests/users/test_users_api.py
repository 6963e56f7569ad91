"""The users API: adding people, invitations, roles, deactivation and personal tokens."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.conftest import at

NOW = "2026-12-01T15:00:00Z"
GOOD = "plum kettle harbor sky"


def add(api: TestClient, **fields: Any) -> Any:
    body = {"email": "sam@agency.example", "name": "Sam Ortiz", "role": "producer"} | fields
    return api.post("/api/v1/users", json=body)


def token_for(url: str, email: str, role: Role) -> str:
    with unit_of_work(url) as session:
        user = users.create_user(session, email=email, name=email, role=role, password=GOOD)
        return users.issue_token(session, user=user, name="test")


def as_(api: TestClient, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def link_token(invite_url: str) -> str:
    return invite_url.rsplit("/invite/", 1)[1]


def test_a_person_added_without_a_password_is_invited_with_a_link(api: TestClient) -> None:
    clock.pin(at(NOW))
    response = add(api)
    assert response.status_code == 201, response.text
    person = response.json()
    assert person["email"] == "sam@agency.example" and person["role"] == "producer"
    assert person["invited"] is True and person["has_password"] is False
    assert "/invite/" in person["invite_url"]
    assert person["invite_expires_at"].startswith("2026-12-08T15:00:00")
    assert person["invite_emailed"] is False, "no email provider: the link waits in the outbox"


def test_the_invitation_email_is_one_message_to_the_person(api: TestClient) -> None:
    person = add(api).json()
    with unit_of_work(api.app.state.db_url) as session:  # type: ignore[attr-defined]
        messages = list(session.scalars(select(Message)))
    assert len(messages) == 1
    message = messages[0]
    assert message.dedupe_key is not None
    assert message.to == "sam@agency.example" and message.user_id == person["id"]
    assert message.dedupe_key.startswith("invite:")
    assert person["invite_url"] in message.body


def test_the_invitation_link_sets_a_password_that_signs_in(api: TestClient) -> None:
    person = add(api).json()
    page = api.get(f"/invite/{link_token(person['invite_url'])}")
    assert page.status_code == 200 and "Choose your password" in page.text
    done = api.post(
        f"/invite/{link_token(person['invite_url'])}",
        data={"password": GOOD, "confirm": GOOD},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert api.get("/review").status_code == 200, "signed in by the link"
    listed = {u["email"]: u for u in api.get("/api/v1/users").json()}
    assert listed["sam@agency.example"]["has_password"] is True


def test_a_link_works_once(api: TestClient) -> None:
    token = link_token(add(api).json()["invite_url"])
    api.post(f"/invite/{token}", data={"password": GOOD, "confirm": GOOD})
    again = api.post(f"/invite/{token}", data={"password": GOOD, "confirm": GOOD})
    assert again.status_code == 410
    assert "no longer works" in again.text


def test_a_newer_link_ends_the_older_one(api: TestClient) -> None:
    person = add(api).json()
    newer = api.post(f"/api/v1/users/{person['id']}/reset").json()
    assert api.get(f"/invite/{link_token(person['invite_url'])}").status_code == 410
    assert api.get(f"/invite/{link_token(newer['invite_url'])}").status_code == 200


def test_an_invitation_expires_after_seven_days(api: TestClient) -> None:
    clock.pin(at(NOW))
    token = link_token(add(api).json()["invite_url"])
    clock.pin(at("2026-12-08T14:59:00Z"))
    assert api.get(f"/invite/{token}").status_code == 200
    clock.pin(at("2026-12-08T15:00:00Z"))
    assert api.get(f"/invite/{token}").status_code == 410


def test_a_reset_link_expires_after_one_day(api: TestClient) -> None:
    clock.pin(at(NOW))
    person = add(api, password=GOOD).json()
    reset = api.post(f"/api/v1/users/{person['id']}/reset").json()
    assert reset["invite_expires_at"].startswith("2026-12-02T15:00:00")
    clock.pin(at("2026-12-02T15:00:00Z"))
    assert api.get(f"/invite/{link_token(reset['invite_url'])}").status_code == 410


def test_a_weak_password_on_the_link_gets_the_rule_and_the_link_still_works(
    api: TestClient,
) -> None:
    token = link_token(add(api).json()["invite_url"])
    weak = api.post(f"/invite/{token}", data={"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    assert "too short: use at least 12 characters" in weak.text
    assert api.get(f"/invite/{token}").status_code == 200


def test_a_producer_known_from_events_is_the_same_row_when_invited(api: TestClient) -> None:
    with unit_of_work(api.app.state.db_url) as session:  # type: ignore[attr-defined]
        known = users.find_or_create_producer(session, email="sam@agency.example", name="Sam")
        assert known is not None
        known_id = known.id
    person = add(api, name="Samuel Ortiz", role="csr", senior=True).json()
    assert person["id"] == known_id
    assert (person["name"], person["role"], person["senior"]) == ("Samuel Ortiz", "csr", True)
    emails = [u["email"] for u in api.get("/api/v1/users").json()]
    assert emails.count("sam@agency.example") == 1


def test_a_duplicate_email_is_a_conflict(api: TestClient) -> None:
    add(api, password=GOOD)
    again = add(api, email="SAM@agency.example")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")


def test_a_bad_role_or_email_is_refused(api: TestClient) -> None:
    for fields in ({"role": "owner"}, {"email": "not an address"}):
        response = add(api, **fields)
        assert response.status_code == 422, fields
        assert response.headers["content-type"].startswith("application/problem+json")
    assert len(api.get("/api/v1/users").json()) == 1, "nothing stored"


def test_a_weak_password_names_the_rule(api: TestClient) -> None:
    short = add(api, password="hunter2")
    assert short.status_code == 422
    assert "at least 12 characters" in short.json()["detail"]
    common = add(api, password="Qwerty123456")
    assert common.status_code == 422
    assert "10,000 most common passwords" in common.json()["detail"]


def test_a_producer_cannot_add_people_or_change_roles(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "pat@agency.example", Role.producer)
    assert add(api, email="x@agency.example").status_code == 201
    response = api.post(
        "/api/v1/users",
        json={"email": "y@agency.example", "role": "producer"},
        headers=as_(api, token),
    )
    assert response.status_code == 403
    other = next(u for u in api.get("/api/v1/users").json() if u["email"] == "x@agency.example")
    patch = api.patch(
        f"/api/v1/users/{other['id']}", json={"role": "principal"}, headers=as_(api, token)
    )
    assert patch.status_code == 403


def test_colleagues_see_who_is_who_but_not_account_details(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "pat@agency.example", Role.csr)
    listed = api.get("/api/v1/users", headers=as_(api, token)).json()
    me = next(u for u in listed if u["email"] == "pat@agency.example")
    other = next(u for u in listed if u["email"] != "pat@agency.example")
    assert "last_sign_in_at" in me and "last_sign_in_at" not in other
    assert set(other) == {"id", "email", "name", "role", "senior", "active"}


def test_a_person_sets_their_own_mobile_and_texts_but_not_their_role(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "pat@agency.example", Role.producer)
    me = next(u for u in api.get("/api/v1/users").json() if u["email"] == "pat@agency.example")
    mine = as_(api, token)
    no_mobile = api.patch(f"/api/v1/users/{me['id']}", json={"notify_sms": True}, headers=mine)
    assert no_mobile.status_code == 422 and "mobile" in no_mobile.json()["detail"]
    changed = api.patch(
        f"/api/v1/users/{me['id']}",
        json={"mobile": "(312) 555-0188", "notify_sms": True, "quiet_nights": True},
        headers=mine,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["mobile"] == "+13125550188" and changed.json()["notify_sms"] is True
    role = api.patch(f"/api/v1/users/{me['id']}", json={"role": "admin"}, headers=mine)
    assert role.status_code == 403


def test_deactivating_stops_the_token_and_the_session_at_once(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "pat@agency.example", Role.producer)
    me = next(u for u in api.get("/api/v1/users").json() if u["email"] == "pat@agency.example")
    browser = TestClient(api.app)
    browser.post("/login", data={"email": "pat@agency.example", "password": GOOD})
    assert browser.get("/review", follow_redirects=False).status_code == 200
    assert api.get("/api/v1/asks", headers=as_(api, token)).status_code == 200
    off = api.patch(f"/api/v1/users/{me['id']}", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert api.get("/api/v1/asks", headers=as_(api, token)).status_code == 401
    gone = browser.get("/review", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/login"
    again = api.patch(f"/api/v1/users/{me['id']}", json={"active": True})
    assert again.json()["active"] is True
    assert api.get("/api/v1/asks", headers=as_(api, token)).status_code == 401, "still revoked"


def test_nobody_deactivates_the_last_admin(api: TestClient) -> None:
    admin = next(u for u in api.get("/api/v1/users").json() if u["role"] == "admin")
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "boss@agency.example", Role.principal)
    response = api.patch(
        f"/api/v1/users/{admin['id']}", json={"active": False}, headers=as_(api, token)
    )
    assert response.status_code == 403
    mine = api.patch(f"/api/v1/users/{admin['id']}", json={"active": False})
    assert mine.status_code == 403 and "yourself" in mine.json()["detail"]


def test_only_an_admin_makes_an_admin(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "boss@agency.example", Role.principal)
    by_principal = add(api, role="admin", password=GOOD)
    assert by_principal.status_code == 201, "the admin may"
    refused = api.post(
        "/api/v1/users",
        json={"email": "it@agency.example", "role": "admin"},
        headers=as_(api, token),
    )
    assert refused.status_code == 403


def test_a_person_mints_a_token_shown_once_and_revokes_it(api: TestClient) -> None:
    clock.pin(at(NOW))
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "pat@agency.example", Role.producer)
    me = next(u for u in api.get("/api/v1/users").json() if u["email"] == "pat@agency.example")
    minted = api.post(
        f"/api/v1/users/{me['id']}/tokens", json={"name": "laptop"}, headers=as_(api, token)
    )
    assert minted.status_code == 201, minted.text
    fresh = minted.json()
    assert fresh["token"].startswith(fresh["hint"]) and fresh["name"] == "laptop"
    assert api.get("/api/v1/asks", headers=as_(api, fresh["token"])).status_code == 200
    listed = api.get(f"/api/v1/users/{me['id']}/tokens", headers=as_(api, token)).json()
    assert all("token" not in t for t in listed)
    assert any(t["last_used_at"] for t in listed if t["id"] == fresh["id"])
    revoked = api.delete(f"/api/v1/users/{me['id']}/tokens/{fresh['id']}", headers=as_(api, token))
    assert revoked.status_code == 204
    assert api.get("/api/v1/asks", headers=as_(api, fresh["token"])).status_code == 401


def test_a_person_cannot_mint_a_token_for_a_colleague(api: TestClient) -> None:
    url = api.app.state.db_url  # type: ignore[attr-defined]
    token = token_for(url, "pat@agency.example", Role.producer)
    admin = next(u for u in api.get("/api/v1/users").json() if u["role"] == "admin")
    response = api.post(f"/api/v1/users/{admin['id']}/tokens", headers=as_(api, token))
    assert response.status_code == 403


def test_a_manager_mints_a_token_for_anyone(api: TestClient) -> None:
    person = add(api, password=GOOD).json()
    minted = api.post(f"/api/v1/users/{person['id']}/tokens")
    assert minted.status_code == 201
    assert minted.json()["name"] == "personal"
