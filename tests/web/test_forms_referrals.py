"""Referral forms: buttons that message the referrer say so; "converted" needs the policy
number and premium; a status change can be undone for 10 minutes; the capture form keeps
what was typed and says what to fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message, MessageStatus
from tests.agency import Agency, bind
from tests.conftest import at
from tests.queries import statements
from tests.web.forms_helpers import field_error, signed_in, soup

CHANGED = at("2026-12-01T15:00:00Z")
FROM_DANA = {
    "prospect": {"first_name": "Maria", "last_name": "Lopez", "mobile": "+13125550177"},
    "referred_by": {"kind": "client", "external_id": "C-1001"},
}
FROM_A_REALTOR = {
    "prospect": {"first_name": "Lee", "last_name": "Park", "mobile": "+13125550188"},
    "referred_by": {"kind": "partner", "name": "Harbor Realty", "partner_type": "realtor"},
}


@pytest.fixture
def from_dana(agency: Agency) -> int:
    """Maria, referred by Dana Reyes, a client who may be texted."""
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    with clock.frozen(CHANGED - timedelta(hours=1)):
        created = agency.api.post("/api/v1/referrals", json=FROM_DANA)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def buttons(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.get_text(" ", strip=True) for b in page.select(".status-actions button")]


def referrer_messages(agency: Agency) -> list[Message]:
    with unit_of_work(agency.url) as session:
        query = select(Message).where(Message.kind == "referral_update").order_by(Message.id)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def test_a_button_that_texts_the_referrer_names_them(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    with clock.frozen(CHANGED):
        shown = buttons(soup(client.get(f"/referrals/{from_dana}")))
    assert "Mark contacted and tell Dana" in shown
    # Without Maria's consent to share the outcome, a conversion tells Dana nothing.
    assert "Mark converted" in shown


def test_a_button_that_messages_nobody_is_plain(agency) -> None:  # type: ignore[no-untyped-def]
    created = agency.api.post("/api/v1/referrals", json=FROM_A_REALTOR).json()
    page = soup(signed_in(agency.api).get("/referrals"))
    card = page.find(id=f"referral-{created['id']}")
    assert [b.get_text(strip=True) for b in card.select(".status-actions button")][0] == (
        "Mark contacted"
    )


@pytest.mark.parametrize(
    "form, field, words",
    [
        ({"premium": "1820"}, "policy_number", "Enter the policy number."),
        ({"policy_number": "HO-5150"}, "premium", "Enter the premium, e.g. 1820.00."),
        (
            {"policy_number": "HO-5150", "premium": "lots"},
            "premium",
            "Enter the premium as a number of dollars, e.g. 1820.00.",
        ),
    ],
)
def test_converted_needs_a_policy_number_and_premium(agency, from_dana, form, field, words) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    with clock.frozen(CHANGED):
        response = client.post(
            f"/referrals/{from_dana}/status", data={"status": "converted", **form}
        )
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, field) == words
    for name, value in form.items():
        assert page.find("input", attrs={"name": name})["value"] == value
    assert agency.api.get(f"/api/v1/referrals/{from_dana}").json()["status"] == "new"


def test_a_status_change_is_undone_within_ten_minutes_and_its_text_cancelled(  # type: ignore[no-untyped-def]
    agency, from_dana
) -> None:
    client = signed_in(agency.api)
    with clock.frozen(CHANGED):
        after = client.post(f"/referrals/{from_dana}/status", data={"status": "contacted"})
    assert after.status_code == 200
    page = soup(after)
    assert "the referrer's update is queued" in page.find(attrs={"role": "status"}).text
    undo = page.find("form", action=f"/referrals/{from_dana}/status/undo")
    assert undo is not None and undo.button.get_text() == "Undo"
    [message] = referrer_messages(agency)
    assert message.status in (MessageStatus.queued, MessageStatus.outbox)

    with clock.frozen(CHANGED + timedelta(minutes=9)):
        shown = soup(client.get(f"/referrals/{from_dana}"))
        assert "undo this for 1 more minute" in shown.find("form", class_="undo").text
        undone = client.post(f"/referrals/{from_dana}/status/undo")
    said = soup(undone).find(attrs={"role": "status"}).text
    assert "Undid contacted → new" in said
    assert f"message {message.id} to +13125550123 cancelled before it was sent" in said
    read = agency.api.get(f"/api/v1/referrals/{from_dana}").json()
    assert read["status"] == "new" and read["contacted_at"] is None
    [message] = referrer_messages(agency)
    assert message.status == MessageStatus.cancelled
    timeline = agency.api.get(f"/api/v1/referrals/{from_dana}").json()
    assert read["sla_met"] is None
    assert timeline["status"] == "new"

    # Marked contacted again, Dana is told again (the cancelled text did not count).
    with clock.frozen(CHANGED + timedelta(minutes=12)):
        client.post(f"/referrals/{from_dana}/status", data={"status": "contacted"})
    assert [m.status for m in referrer_messages(agency)][-1] != MessageStatus.cancelled
    assert len(referrer_messages(agency)) == 2


def test_undo_after_ten_minutes_is_refused_and_nothing_changes(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    with clock.frozen(CHANGED):
        client.post(
            f"/referrals/{from_dana}/status",
            data={"status": "converted", "policy_number": "HO-5150", "premium": "1,820.00"},
        )
    read = agency.api.get(f"/api/v1/referrals/{from_dana}").json()
    assert (read["status"], read["converted_policy_number"]) == ("converted", "HO-5150")
    assert read["converted_premium"] == 1820
    with clock.frozen(CHANGED + timedelta(minutes=10)):
        assert soup(client.get(f"/referrals/{from_dana}")).find("form", class_="undo") is None
        refused = client.post(f"/referrals/{from_dana}/status/undo")
    assert "nothing to undo" in soup(refused).find(attrs={"role": "alert"}).text
    assert agency.api.get(f"/api/v1/referrals/{from_dana}").json()["status"] == "converted"


def test_undoing_a_conversion_restores_the_open_referral(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    with clock.frozen(CHANGED):
        client.post(f"/referrals/{from_dana}/status", data={"status": "quoting"})
    with clock.frozen(CHANGED + timedelta(minutes=20)):
        client.post(
            f"/referrals/{from_dana}/status",
            data={"status": "converted", "policy_number": "HO-5150", "premium": "1820"},
        )
        client.post(f"/referrals/{from_dana}/status/undo")
    read = agency.api.get(f"/api/v1/referrals/{from_dana}").json()
    assert read["status"] == "quoting"
    assert read["converted_policy_number"] is None and read["converted_premium"] is None
    assert "Referral – Converted" not in read["tags"]


def test_an_already_sent_update_is_said_to_have_gone(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    with clock.frozen(CHANGED):
        client.post(f"/referrals/{from_dana}/status", data={"status": "contacted"})
    [message] = referrer_messages(agency)
    with unit_of_work(agency.url) as session:
        sent = session.get(Message, message.id)
        assert sent is not None
        sent.status, sent.sent_at = MessageStatus.sent, CHANGED + timedelta(minutes=1)
    with clock.frozen(CHANGED + timedelta(minutes=2)):
        undone = client.post(f"/referrals/{from_dana}/status/undo")
    said = soup(undone).find(attrs={"role": "status"}).text
    assert f"message {message.id} to +13125550123 had already been sent (sent)" in said
    assert "tell them yourself" in said
    assert referrer_messages(agency)[0].status == MessageStatus.sent


def test_the_capture_form_keeps_what_was_typed_and_says_what_to_fix(agency) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    typed = {
        "first_name": "Nora",
        "last_name": "Quinn",
        "mobile": "555-01",
        "email": "nora@",
        "referred_by_kind": "partner",
        "referred_by_name": "Harbor Realty",
        "notes": "Called at 9, wants a quote for her condo",
    }
    response = client.post("/referrals/new", data=typed)
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "mobile") == "Enter a mobile number like (312) 555-0100."
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Nora"
    assert page.find("textarea", attrs={"name": "notes"}).text == typed["notes"]
    assert page.find("option", selected=True)["value"] == "partner"
    assert agency.api.get("/api/v1/referrals").json() == []


NORA = {"first_name": "Nora", "last_name": "Quinn", "mobile": "(312) 555-0199"}


@pytest.fixture
def two_reyes(agency: Agency) -> None:
    """Dana Reyes (C-1001) and Dante Reyes (C-1002) on record."""
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    dante = bind(
        id="bind-dante",
        client__external_id="C-1002",
        client__first_name="Dante",
        client__email="dante@example.com",
        client__mobile="+13125550124",
    )
    dante["policy"]["number"] = "PA-778813"
    agency.feed(dante, now="2026-11-25T22:05:00Z")


def captured(agency: Agency) -> list[dict[str, Any]]:
    return list(agency.api.get("/api/v1/referrals").json())


@pytest.mark.parametrize("typed", ["Dana Reyes", "(312) 555-0123", "dana@example.com"])
def test_the_capture_form_finds_the_referring_client_by_name_phone_or_email(  # type: ignore[no-untyped-def]
    agency, two_reyes, typed
) -> None:
    form = {**NORA, "referred_by_kind": "client", "referred_by_name": typed}
    with clock.frozen(CHANGED):
        response = signed_in(agency.api).post("/referrals/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    [referral] = captured(agency)
    assert referral["referred_by"]["external_id"] == "C-1001"
    assert referral["referred_by"]["name"] == "Dana Reyes"
    assert referral["referred_by"]["client_id"] is not None


def test_several_matching_clients_are_offered_to_choose_from_and_the_choice_saves(  # type: ignore[no-untyped-def]
    agency, two_reyes
) -> None:
    client = signed_in(agency.api)
    form = {**NORA, "referred_by_kind": "client", "referred_by_name": "Reyes"}
    with clock.frozen(CHANGED):
        response = client.post("/referrals/new", data=form)
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "referred_by_name").startswith("2 clients on record match “Reyes”")
    choices = {
        label.get_text(" ", strip=True).split(" · ")[0]: label.input["value"]
        for label in page.select(".candidates label.choice")
    }
    assert sorted(choices) == ["Dana Reyes", "Dante Reyes"]
    assert page.find("input", attrs={"name": "first_name"})["value"] == "Nora"
    assert captured(agency) == [], "nothing saved until a client is chosen"
    with clock.frozen(CHANGED):
        chosen = client.post(
            "/referrals/new",
            data={**form, "referrer_client_id": choices["Dante Reyes"]},
            follow_redirects=False,
        )
    assert chosen.status_code == 303, chosen.text
    [referral] = captured(agency)
    assert referral["referred_by"]["external_id"] == "C-1002"


def test_a_client_nobody_has_on_record_is_said_plainly_and_nothing_is_saved(  # type: ignore[no-untyped-def]
    agency, two_reyes
) -> None:
    form = {**NORA, "referred_by_kind": "client", "referred_by_name": "Dana Reyez"}
    with clock.frozen(CHANGED):
        response = signed_in(agency.api).post("/referrals/new", data=form)
    assert response.status_code == 422
    said = field_error(soup(response), "referred_by_name")
    assert said.startswith("No client on record matches “Dana Reyez”")
    assert "someone else" in said
    assert captured(agency) == []


def test_a_bad_email_on_the_capture_form_is_told_plainly(agency) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(agency.api).post(
        "/referrals/new", data={"first_name": "Nora", "email": "nora@"}
    )
    assert response.status_code == 422
    assert field_error(soup(response), "email") == "Enter an email address like name@agency.com."
    assert "prospect.email" not in response.text


def test_an_empty_capture_form_asks_who_was_referred(agency) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(agency.api).post("/referrals/new", data={"referred_by_kind": "client"})
    assert response.status_code == 422
    assert "Enter who was referred" in soup(response).find(id="capture-error").text


def test_the_api_undoes_a_status_change_too(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(CHANGED):
        agency.api.patch(f"/api/v1/referrals/{from_dana}", json={"status": "quoting"})
    with clock.frozen(CHANGED + timedelta(minutes=5)):
        undone = agency.api.post(f"/api/v1/referrals/{from_dana}/status/undo")
        again = agency.api.post(f"/api/v1/referrals/{from_dana}/status/undo")
    assert undone.status_code == 200
    assert undone.json()["referral"]["status"] == "new"
    assert undone.json()["detail"].startswith("Undid quoting → new")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_confirming_a_draft_with_a_bad_mobile_keeps_the_corrections(agency) -> None:  # type: ignore[no-untyped-def]
    from tests.referrals.support import draft

    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    with clock.frozen(CHANGED):
        drafted = draft(agency.url)
        response = signed_in(agency.api).post(
            f"/referrals/{drafted}/confirm",
            data={"first_name": "Maria", "last_name": "Lopez", "mobile": "555"},
        )
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "mobile") == "Enter a mobile number like (312) 555-0100."
    assert page.find("input", attrs={"name": "last_name"})["value"] == "Lopez"
    read = agency.api.get(f"/api/v1/referrals/{drafted}").json()
    assert read["needs_confirmation"] is True and read["prospect"]["last_name"] != "Lopez"


def test_a_draft_on_the_list_asks_to_be_confirmed_instead_of_offering_status_buttons(  # type: ignore[no-untyped-def]
    agency,
) -> None:
    """As on its own page: nobody is called or thanked on a name read from a reply."""
    from tests.referrals.support import draft

    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    with clock.frozen(CHANGED):
        drafted = draft(agency.url)
        listed = soup(signed_in(agency.api).get("/referrals"))
    card = listed.select_one(f"#referral-{drafted}")
    assert card is not None and card.select(".status-actions button") == []
    link = card.select_one(".draft-note a")
    assert link is not None and link["href"] == f"/referrals/{drafted}#confirm"
    with clock.frozen(CHANGED):
        own_page = soup(signed_in(agency.api).get(f"/referrals/{drafted}"))
    assert own_page.select_one("section#confirm form.confirm") is not None


def test_an_empty_note_is_refused_at_the_box(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(agency.api).post(f"/referrals/{from_dana}/notes", data={"note": "  "})
    assert response.status_code == 422
    assert field_error(soup(response), "note") == "Write a note of 1 to 5000 characters."


def test_a_note_too_long_is_refused_and_kept(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    note = "Called twice. " * 400
    response = signed_in(agency.api).post(f"/referrals/{from_dana}/notes", data={"note": note})
    assert response.status_code == 422
    assert soup(response).find("textarea", attrs={"name": "note"}).text == note


def test_consent_on_a_form_without_its_wording_keeps_what_was_typed(agency) -> None:  # type: ignore[no-untyped-def]
    agency.feed(bind(client__consent={"sms": None, "email": False}), now="2026-11-25T22:00:00Z")
    from tests.contacts.test_consent import client_id

    typed = {
        "purpose": "sms",
        "status": "granted",
        "how": "form",
        "at": "2026-11-26T09:00",
        "number": "312-555-0123",
    }
    with clock.frozen(CHANGED):
        response = signed_in(agency.api).post(f"/contacts/{client_id(agency)}/consent", data=typed)
    assert response.status_code == 422
    page = soup(response)
    assert "needs the wording the client saw" in field_error(page, "wording")
    assert page.find("input", attrs={"name": "at"})["value"] == "2026-11-26T09:00"
    assert page.find("select", attrs={"name": "how"}).find("option", selected=True)["value"] == (
        "form"
    )


def test_reassigning_to_nobody_is_refused_at_the_select(agency, from_dana) -> None:  # type: ignore[no-untyped-def]
    before = agency.api.get(f"/api/v1/referrals/{from_dana}").json()["owner"]
    response = signed_in(agency.api).post(f"/referrals/{from_dana}/owner", data={"owner_id": "999"})
    assert response.status_code == 422
    assert field_error(soup(response), "owner_id")
    assert agency.api.get(f"/api/v1/referrals/{from_dana}").json()["owner"] == before


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_undo_right_after_a_mistaken_click_in_the_browser(  # type: ignore[no-untyped-def]
    live_server, page, agency, from_dana
) -> None:
    from tests.web.test_pages import sign_in

    clock.pin(CHANGED)
    try:
        sign_in(page, live_server.url)
        page.goto(live_server.url + "/referrals")
        card = page.locator(f"#referral-{from_dana}")
        card.locator("button:has-text('Mark contacted and tell Dana')").click()
        assert "contacted" in page.locator("[role=status]").inner_text()
        page.locator("form.undo button:has-text('Undo')").click()
        assert "Undid contacted → new" in page.locator("[role=status]").inner_text()
        assert agency.api.get(f"/api/v1/referrals/{from_dana}").json()["status"] == "new"
    finally:
        clock.pin(None)


def test_the_referral_list_names_the_referrer_in_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    agency, from_dana
) -> None:
    """The list's "and tell Dana" buttons are worked out for the page at once: ten more
    referrals on the page cost no more queries."""
    client = signed_in(agency.api)

    def queries_for_the_list() -> tuple[list[str], list[str]]:
        with statements(agency.url) as seen, clock.frozen(CHANGED):
            page = soup(client.get("/referrals?who=all"))
        return seen, buttons(page)

    few, shown = queries_for_the_list()
    assert shown.count("Mark contacted and tell Dana") == 1
    for n in range(10):
        prospect = {"first_name": f"Prospect{n}", "last_name": "Lin", "mobile": f"+1312555030{n}"}
        with clock.frozen(CHANGED - timedelta(minutes=50 - n)):
            made = agency.api.post("/api/v1/referrals", json={**FROM_DANA, "prospect": prospect})
        assert made.status_code == 201, made.text
    many, shown = queries_for_the_list()
    assert shown.count("Mark contacted and tell Dana") == 11
    assert len(many) <= len(few) + 2, "\n".join(many)
