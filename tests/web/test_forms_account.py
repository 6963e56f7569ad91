"""The Account page's forms keep what was typed (never a password) and say what to fix
next to the field."""

from __future__ import annotations

from tests.conftest import ADMIN_PASSWORD
from tests.web.forms_helpers import field_error, signed_in, soup


def test_a_bad_mobile_keeps_the_profile_as_typed(api) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(api)
    typed = {"name": "Pat Principal", "mobile": "12", "notify_email": "1", "quiet_nights": "1"}
    response = client.post("/account/profile", data=typed)
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "mobile") == "Enter a mobile number like (312) 555-0100."
    assert page.find("input", attrs={"name": "name"})["value"] == "Pat Principal"
    assert page.find("input", attrs={"name": "mobile"})["value"] == "12"
    assert page.find("input", attrs={"name": "quiet_nights"}).has_attr("checked")
    again = soup(client.get("/account"))
    assert again.find("input", attrs={"name": "name"})["value"] != "Pat Principal", "not saved"


def test_texts_without_a_mobile_are_told_at_the_checkbox(api) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(api).post(
        "/account/profile", data={"name": "Pat", "mobile": "", "notify_sms": "1"}
    )
    assert response.status_code == 422
    assert "Texts need a mobile number" in field_error(soup(response), "notify_sms")


def test_a_wrong_current_password_is_told_at_its_box_and_nothing_is_echoed(api) -> None:  # type: ignore[no-untyped-def]
    new = "a much longer passphrase 2026"
    response = signed_in(api).post(
        "/account/password", data={"current": "wrong", "password": new, "confirm": new}
    )
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "current") == "The current password is not right."
    assert new not in response.text
    assert "wrong" not in str(page.find("input", id="password-current"))


def test_two_different_new_passwords_are_told_at_the_second_box(api) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(api).post(
        "/account/password",
        data={"current": ADMIN_PASSWORD, "password": "one long passphrase", "confirm": "two"},
    )
    assert response.status_code == 422
    assert "not the same" in field_error(soup(response), "confirm")


def test_an_invitation_to_a_bad_address_keeps_the_form(api) -> None:  # type: ignore[no-untyped-def]
    typed = {"email": "sam@", "name": "Sam Ortiz", "role": "csr", "senior": "1"}
    response = signed_in(api).post("/team/invite", data=typed)
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "email") == "Enter an email address like name@agency.com."
    assert page.find("input", attrs={"name": "name"})["value"] == "Sam Ortiz"
    assert page.find("select", attrs={"name": "role"}).find("option", selected=True)["value"] == (
        "csr"
    )
    assert page.find("input", attrs={"name": "senior"}).has_attr("checked")
    people = api.get("/api/v1/users").json()
    assert all(p["email"] != "sam@" for p in people)
