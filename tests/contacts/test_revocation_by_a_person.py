"""A revocation the client made by phone, in person, by email or by letter, recorded by a
person: `referral consent revoke` / `show`, the API, and the contact page's form."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from tests.agency import Agency, bind, detail
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, run_cli

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
CALLED = "2026-11-27T15:00:00Z"


@pytest.fixture
def scheduled(agency: Agency) -> dict[str, Any]:
    """Dana's SMS ask, scheduled and not yet sent."""
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert (ask["status"], ask["channel"]) == ("scheduled", "sms")
    return ask


def client_id(agency: Agency, external_id: str = "C-1001") -> int:
    with unit_of_work(agency.url) as session:
        return session.scalars(select(Client.id).where(Client.external_id == external_id)).one()


def consent_of(agency: Agency) -> dict[str, Any]:
    return dict(agency.api.get(f"/api/v1/contacts/{client_id(agency)}/consent").json())


# -- CLI --------------------------------------------------------------------------------


@pytest.mark.parametrize("client", ["C-1001", "dana@example.com", "(312) 555-0123"])
def test_a_phone_revocation_recorded_from_the_cli_opts_out_and_stops_the_open_ask(
    agency: Agency, scheduled: dict[str, Any], client: str
) -> None:
    out = agency.run(
        "consent", "revoke", client, "--channel", "sms", "--how", "phone",
        "--by", "Ana Ruiz", "--said", "Please don't text me anymore",
        now=CALLED,
    )  # fmt: skip
    assert "Dana Reyes: SMS revoked (phone, recorded for Ana Ruiz)" in out
    consent = consent_of(agency)
    assert (consent["sms"], consent["email"]) == ("revoked", "granted")
    [record] = [r for r in consent["records"] if r["status"] == "revoked"]
    assert (record["method"], record["staff_name"]) == ("phone", "Ana Ruiz")
    assert record["wording"] == "Please don't text me anymore"
    assert record["at"] == "2026-11-27T15:00:00+00:00"
    stopped = agency.ask(scheduled["id"])
    assert stopped["status"] == "suppressed"
    assert detail(stopped, "opted_out") == "SMS: the client opted out (phone)"


def test_all_channels_revoked_in_person(agency: Agency, scheduled: dict[str, Any]) -> None:
    agency.run(
        "consent", "revoke", "C-1001", "--channel", "all", "--how", "in_person", "--by", "Sam",
        now=CALLED,
    )  # fmt: skip
    consent = consent_of(agency)
    assert (consent["sms"], consent["email"]) == ("revoked", "revoked")
    assert {r["method"] for r in consent["records"] if r["status"] == "revoked"} == {"in_person"}


def test_consent_show_lists_the_state_and_who_when_how_and_the_words(
    agency: Agency, scheduled: dict[str, Any]
) -> None:
    agency.run(
        "consent", "revoke", "C-1001", "--channel", "email", "--how", "letter",
        "--by", "Ana Ruiz", "--said", "No more emails please", now=CALLED,
    )  # fmt: skip
    out = agency.run("consent", "show", "dana@example.com", now=CALLED)
    assert "email: revoked · SMS: granted" in out
    assert "2026-11-27 15:00" in out and "letter" in out and "Ana Ruiz" in out
    assert "No more emails please" in out
    assert "imported" in out  # the grant it revokes is still there, as proof


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C-9999", "--channel", "sms", "--how", "phone", "--by", "Ana"], "no client"),
        (["C-1001", "--channel", "sms", "--how", "phone", "--by", " "], "--by"),
        (["C-1001", "--channel", "fax", "--how", "phone", "--by", "Ana"], "--channel"),
        (["C-1001", "--channel", "sms", "--how", "telepathy", "--by", "Ana"], "--how"),
    ],
)
def test_bad_input_to_consent_revoke_says_why_on_stderr_and_exits_2(
    agency: Agency, scheduled: dict[str, Any], args: list[str], message: str
) -> None:
    code, out, err = run_cli(
        agency.cli, "--db", agency.url, "--now", CALLED, "consent", "revoke", *args
    )
    assert code == 2
    assert message in err
    assert consent_of(agency)["sms"] == "granted"


def test_consent_show_of_nobody_exits_2(agency: Agency, scheduled: dict[str, Any]) -> None:
    code, _, err = run_cli(agency.cli, "--db", agency.url, "consent", "show", "nobody@x.com")
    assert code == 2 and "no client" in err


# -- API --------------------------------------------------------------------------------


def test_a_phone_revocation_through_the_api_opts_out_and_stops_the_open_ask(
    agency: Agency, scheduled: dict[str, Any]
) -> None:
    response = agency.post(
        f"/api/v1/contacts/{client_id(agency)}/consent",
        {"purpose": "sms", "status": "revoked", "method": "phone", "staff_name": "Ana Ruiz"},
        now=CALLED,
    )
    assert response.status_code == 201, response.text
    assert agency.ask(scheduled["id"])["status"] == "suppressed"
    assert consent_of(agency)["sms"] == "revoked"


# -- the contact page ---------------------------------------------------------------------


def test_the_contact_page_form_records_a_revocation_and_shows_its_history(
    agency: Agency, scheduled: dict[str, Any]
) -> None:
    page = agency.api
    assert page.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, follow_redirects=False
    ).status_code == 303  # fmt: skip
    target = f"/contacts/{client_id(agency)}"
    assert "Record a revocation (phone or in person)" in page.get(target).text
    from referral_engine import clock
    from tests.conftest import at

    with clock.frozen(at(CALLED)):
        response = page.post(
            target + "/revoke",
            data={
                "channel": "sms",
                "how": "in_person",
                "staff_name": "Ana Ruiz",
                "wording": "no more texts, please",
            },
            follow_redirects=False,
        )
    assert response.status_code == 303
    assert response.headers["location"].startswith(target + "?done=")
    shown = page.get(response.headers["location"]).text
    assert "Recorded: Dana Reyes gets no more texts." in shown
    assert "Texts: <strong>revoked</strong>" in shown
    assert "in person" in shown and "Ana Ruiz" in shown and "no more texts, please" in shown
    assert agency.ask(scheduled["id"])["status"] == "suppressed"


def test_the_contact_page_form_refuses_an_unknown_method_and_changes_nothing(
    agency: Agency, scheduled: dict[str, Any]
) -> None:
    agency.api.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    target = f"/contacts/{client_id(agency)}"
    response = agency.api.post(
        target + "/revoke",
        data={"channel": "sms", "how": "carrier pigeon", "staff_name": "Ana"},
        follow_redirects=False,
    )
    assert response.headers["location"].startswith(target + "?error=")
    assert consent_of(agency)["sms"] == "granted"
