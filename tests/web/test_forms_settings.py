"""Settings section by section: each form posts only its own fields; a refused value is
shown again with plain words next to the field, 422, and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from tests.web.forms_helpers import field_error, signed_in, soup


def stored(api: TestClient) -> dict[str, Any]:
    with unit_of_work(api.app.state.db_url) as session:
        return load_settings(session).model_dump(mode="json")


def section_form(page, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the browser would post for the section's form as shown."""
    form = page.find("form", id=f"section-{name}")
    values = {}
    for field in form.find_all(["input", "select"]):
        if field.get("type") == "checkbox":
            if field.has_attr("checked"):
                values[field["name"]] = "on"
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            values[field["name"]] = chosen["value"]
        else:
            values[field["name"]] = field.get("value", "")
    return values


@pytest.fixture
def client(api: TestClient) -> TestClient:
    return signed_in(api)


def test_the_program_cost_is_on_the_page_and_saved_alone(client, api) -> None:  # type: ignore[no-untyped-def]
    before = stored(api)
    form = section_form(soup(client.get("/settings")), "program")
    assert form["cost_per_month"] == "0.0"
    form["cost_per_month"] = "450"
    response = client.post("/settings/program", data=form)
    assert response.status_code == 200
    assert soup(response).find(attrs={"role": "status"}).get_text() == (
        "Program (what it costs, for ROI): saved."
    )
    after = stored(api)
    assert after["program"]["cost_per_month"] == 450
    assert {k: v for k, v in after.items() if k != "program"} == {
        k: v for k, v in before.items() if k != "program"
    }


def test_saving_another_section_keeps_the_program_cost(client, api) -> None:  # type: ignore[no-untyped-def]
    client.post("/settings/program", data={"cost_per_month": "450", "currency": "USD"})
    form = section_form(soup(client.get("/settings")), "agency")
    form["name"] = "Lakeside Insurance"
    assert client.post("/settings/agency", data=form).status_code == 200
    after = stored(api)
    assert after["agency"]["name"] == "Lakeside Insurance"
    assert after["program"]["cost_per_month"] == 450


def test_a_bad_principal_email_is_refused_next_to_the_field(client, api) -> None:  # type: ignore[no-untyped-def]
    before = stored(api)
    form = section_form(soup(client.get("/settings")), "agency")
    form.update(name="Lakeside Insurance", principal_email="not-an-email")
    response = client.post("/settings/agency", data=form)
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "principal_email") == "Enter an email address like name@agency.com."
    shown = section_form(page, "agency")
    assert shown["principal_email"] == "not-an-email"
    assert shown["name"] == "Lakeside Insurance", "what was typed is kept"
    assert page.find(attrs={"role": "status"}) is None, "no 'saved'"
    assert stored(api) == before


@pytest.mark.parametrize(
    "section, field, value, words",
    [
        ("timing", "send_hour", "", "Enter a whole number."),
        ("timing", "send_hour", "24", "Enter 23 or less."),
        ("timing", "frequency_cap_days", "-1", "Enter 0 or more."),
        ("agency", "timezone", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'."),
        ("agency", "name", "  ", "Enter the agency's name."),
        ("program", "cost_per_month", "lots", "Enter a number."),
        ("timing", "quiet_start", "9pm", "Not a time of day (HH:MM): '9pm'."),
    ],
)
def test_an_empty_or_bad_value_is_refused_and_nothing_saved(  # type: ignore[no-untyped-def]
    client, api, section, field, value, words
) -> None:
    before = stored(api)
    form = section_form(soup(client.get("/settings")), section)
    form[field] = value
    response = client.post(f"/settings/{section}", data=form)
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, field) == words
    assert section_form(page, section)[field] == value.strip()
    assert stored(api) == before


def test_a_send_hour_inside_quiet_hours_is_told_at_the_send_hour(client, api) -> None:  # type: ignore[no-untyped-def]
    form = section_form(soup(client.get("/settings")), "timing")
    form["send_hour"] = "22"
    response = client.post("/settings/timing", data=form)
    assert response.status_code == 422
    assert field_error(soup(response), "send_hour") == (
        "22:00 falls inside quiet hours (21:00–08:00): pick an hour outside them."
    )


def test_the_advanced_editor_refuses_an_empty_text(client, api) -> None:  # type: ignore[no-untyped-def]
    before = stored(api)
    response = client.post("/settings", data={"document": "  "})
    assert response.status_code == 422
    assert "the settings text is empty" in soup(response).find(attrs={"role": "alert"}).text
    assert stored(api) == before


def test_a_checkbox_left_off_turns_its_setting_off_only_in_its_section(client, api) -> None:  # type: ignore[no-untyped-def]
    form = section_form(soup(client.get("/settings")), "review")
    form["all_asks"] = "on"
    client.post("/settings/review", data=form)
    assert stored(api)["review"]["all_asks"] is True
    form.pop("all_asks")
    client.post("/settings/review", data=form)
    assert stored(api)["review"]["all_asks"] is False


def test_an_unknown_section_is_a_404_page(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/settings/sources", data={}).status_code == 404
