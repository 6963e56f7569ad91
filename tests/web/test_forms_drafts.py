"""A draft is checked before approval: in the review form (the edit kept, the reasons
next to the box, a preview of what goes out) and through the API (problem+json 422)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from referral_engine import clock
from tests.agency import Agency, bind
from tests.conftest import at
from tests.web.forms_helpers import field_error, signed_in, soup

REVIEWED = "2026-11-27T15:00:00Z"


def pending_ask(agency: Agency, **overrides: Any) -> dict[str, Any]:
    agency.feed(bind(client__sensitive=True, **overrides), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    return ask


@pytest.fixture
def pending(agency: Agency) -> Iterator[dict[str, Any]]:
    ask = pending_ask(agency)
    clock.pin(at(REVIEWED))
    yield ask
    clock.pin(None)


def refused(agency: Agency, ask: dict[str, Any], **form: str):  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    response = client.post(f"/asks/{ask['id']}/approve", data=form, follow_redirects=False)
    assert response.status_code == 422, response.text
    after = agency.ask(ask["id"])
    assert after["status"] == "pending_review", "nothing approved"
    assert after["draft"] == ask["draft"], "nothing stored"
    return soup(response)


@pytest.mark.parametrize(
    "body, words",
    [
        ("Hi {{ first_name }}, know anyone who needs auto insurance?", "{{ first_name }}"),
        ("Hi Dana, {% if short %}thanks{% endif %}", "{% if short %}"),
        ("Hi {first_name}, thanks for choosing us", "{first_name}"),
    ],
)
def test_template_text_left_in_the_draft_is_refused_and_the_edit_kept(  # type: ignore[no-untyped-def]
    agency, pending, body, words
) -> None:
    page = refused(agency, pending, body=body)
    assert words in field_error(page, "body")
    assert page.find("textarea", attrs={"name": "body"}).get_text() == body


def test_clearing_the_body_never_approves_the_original_draft(agency, pending) -> None:  # type: ignore[no-untyped-def]
    page = refused(agency, pending, body="   ")
    assert "The message is empty" in field_error(page, "body")


def test_a_draft_too_long_for_two_sms_segments_is_refused_with_its_count(agency, pending) -> None:  # type: ignore[no-untyped-def]
    page = refused(agency, pending, body="x" * 100_000)
    said = field_error(page, "body")
    # The first text's footer is kept, so it counts too: 100,077 characters.
    assert "The text is 655 SMS segments (100,077 characters): at most 2" in said
    assert "655 SMS segments (GSM-7)" in page.find(class_="preview-count").get_text()


def test_the_page_previews_the_draft_with_its_length_and_segments(agency, pending) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    page = soup(client.get(f"/asks/{pending['id']}"))
    body = pending["draft"]["body"]
    count = page.find(class_="preview-count").get_text()
    assert f"{len(body):,} characters" in count
    assert "2 SMS segments (GSM-7)" in count or "1 SMS segment (GSM-7)" in count
    assert page.find(class_="preview-text").get_text() == body
    assert page.find("script", src="/static/draft_preview.js")


def test_an_email_subject_over_150_characters_is_refused(agency) -> None:  # type: ignore[no-untyped-def]
    ask = pending_ask(agency, client__preferred_channel="email")
    assert ask["channel"] == "email"
    with clock.frozen(at(REVIEWED)):
        page = refused(agency, ask, subject="A" * 151, body=ask["draft"]["body"])
    assert "at most 150" in field_error(page, "subject")
    assert page.find("input", attrs={"name": "subject"})["value"] == "A" * 151


def test_an_email_body_over_5000_characters_is_refused(agency) -> None:  # type: ignore[no-untyped-def]
    ask = pending_ask(agency, client__preferred_channel="email")
    with clock.frozen(at(REVIEWED)):
        page = refused(agency, ask, subject="Thanks", body="word " * 1200)
    assert "at most 5,000" in field_error(page, "body")


def test_the_api_refuses_the_same_draft_with_problem_json(agency, pending) -> None:  # type: ignore[no-untyped-def]
    edit = {"draft": {"body": "Hi {{ first_name }}, thanks!"}}
    response = agency.post(f"/api/v1/asks/{pending['id']}/approve", edit, now=REVIEWED)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == "draft.body"
    assert "{{ first_name }}" in error["reason"]
    assert agency.ask(pending["id"])["status"] == "pending_review"


def test_a_good_edit_is_still_approved(agency, pending) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    body = "Dana, thanks for trusting us with your car! Know anyone who'd like a quote?"
    response = client.post(f"/asks/{pending['id']}/approve", data={"body": body})
    assert response.status_code == 200
    assert agency.ask(pending["id"])["status"] == "scheduled"


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_preview_follows_the_typing_in_the_browser(live_server, page, agency, pending) -> None:  # type: ignore[no-untyped-def]
    from tests.web.test_pages import sign_in

    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/asks/{pending['id']}")
    box = page.locator("textarea[name=body]")
    count = page.locator(".preview-count")
    box.fill("Hi {{ first_name }}!")
    assert count.inner_text().startswith("20 characters · 1 SMS segment (GSM-7)")
    assert "template text left in: {{ first_name }}" in count.inner_text()
    box.fill("Thanks 😊 " * 10)
    assert "2 SMS segments (UCS-2)" in count.inner_text()
    assert page.locator(".preview-text").inner_text() == ("Thanks 😊 " * 10).strip()


@pytest.mark.parametrize(
    "until, words",
    [
        ("next tuesday", "Pick a date and time to send it, e.g. 8 Dec 2026, 14:30."),
        ("2026-11-20T10:00", "Pick a time in the future."),
    ],
)
def test_a_bad_deferral_keeps_what_was_typed(agency, pending, until, words) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(agency.api)
    response = client.post(f"/asks/{pending['id']}/defer", data={"until": until})
    assert response.status_code == 422
    page = soup(response)
    assert field_error(page, "until") == words
    assert page.find("input", attrs={"name": "until"})["value"] == until
    assert agency.ask(pending["id"])["status"] == "pending_review"


def test_declining_without_a_reason_says_to_give_one(agency, pending) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(agency.api).post(f"/asks/{pending['id']}/decline", data={"reason": " "})
    assert response.status_code == 422
    assert field_error(soup(response), "reason") == (
        "Say why not to ask: it goes on the ask's timeline."
    )
    assert agency.ask(pending["id"])["status"] == "pending_review"
