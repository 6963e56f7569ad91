"""Owner review through the API and the CLI: approve (with edits), defer, decline."""

from __future__ import annotations

from typing import Any

import pytest

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.agency import Agency, bind, timeline
from tests.conftest import ADMIN_EMAIL

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"
REVIEWED = "2026-11-27T15:00:00Z"  # Friday morning in Chicago


@pytest.fixture
def pending(agency: Agency) -> dict[str, Any]:
    """A sensitive client's bind, waiting for its producer's review."""
    agency.feed(bind(client__sensitive=True), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    return ask


def producer_token(agency: Agency, email: str, role: Role = Role.producer) -> str:
    with unit_of_work(agency.url) as session:
        user = users.find_by_email(session, email=email) or users.create_user(
            session, email=email, name=email.split("@")[0].title(), role=role, password=None
        )
        return users.issue_token(session, user=user, name="test")


def test_approve_schedules_the_proposed_time(agency: Agency, pending: dict[str, Any]) -> None:
    response = agency.post(f"/api/v1/asks/{pending['id']}/approve", None, now=REVIEWED)
    assert response.status_code == 200, response.text
    ask = response.json()
    assert ask["status"] == "scheduled"
    assert ask["scheduled_for"] == pending["scheduled_for"]
    review = [e for e in ask["timeline"] if e["kind"] == "review"]
    assert review[-1]["status"] == "approved"
    assert review[-1]["at"].startswith("2026-11-27T15:00:00")


def test_approve_with_an_edited_draft_keeps_the_edit_and_the_opt_out_line(
    agency: Agency, pending: dict[str, Any]
) -> None:
    edit = {"draft": {"body": "Dana, thank you for trusting us with your car. Know anyone?"}}
    ask = agency.post(f"/api/v1/asks/{pending['id']}/approve", edit, now=REVIEWED).json()
    assert ask["draft"]["body"].startswith("Dana, thank you for trusting us")
    # The edit dropped the agency's name from the text: the footer now leads with it.
    footer = ": Msg & data rates may apply. Reply STOP to opt out, HELP for help."
    with unit_of_work(agency.url) as session:
        agency_name = load_settings(session).agency.name
    assert ask["draft"]["body"].endswith("\n" + agency_name + footer)
    assert ask["draft"]["edited"] is True
    assert ("review", None, None) in timeline(ask)  # "edited the draft"


def test_approve_after_the_slot_passed_takes_the_next_slot(
    agency: Agency, pending: dict[str, Any]
) -> None:
    late = "2026-12-01T17:00:00Z"  # Tuesday 11:00 Chicago: the 10:00 slot has gone
    ask = agency.post(f"/api/v1/asks/{pending['id']}/approve", None, now=late).json()
    assert ask["scheduled_for"].startswith("2026-12-02T16:00:00")


def test_defer_into_quiet_hours_moves_to_the_next_send_slot(
    agency: Agency, pending: dict[str, Any]
) -> None:
    until = "2026-12-03T04:00:00Z"  # 22:00 in Chicago: quiet hours
    response = agency.post(f"/api/v1/asks/{pending['id']}/defer", {"until": until}, now=REVIEWED)
    assert response.status_code == 200, response.text
    ask = response.json()
    assert ask["status"] == "scheduled"
    assert ask["scheduled_for"].startswith("2026-12-03T16:00:00")
    assert any(r["rule"] == "quiet_hours" for r in ask["reasons"])
    review = [e for e in ask["timeline"] if e["kind"] == "review"]
    assert review[-1]["status"] == "deferred" and review[-1]["actor"]


def test_defer_to_an_allowed_time_keeps_that_time(agency: Agency, pending: dict[str, Any]) -> None:
    until = "2026-12-08T20:30:00Z"  # Tuesday 14:30 in Chicago
    ask = agency.post(f"/api/v1/asks/{pending['id']}/defer", {"until": until}, now=REVIEWED).json()
    assert ask["scheduled_for"].startswith("2026-12-08T20:30:00")


def test_decline_keeps_the_reason_and_who(agency: Agency, pending: dict[str, Any]) -> None:
    body = {"reason": "Client is in a dispute with the carrier"}
    ask = agency.post(f"/api/v1/asks/{pending['id']}/decline", body, now=REVIEWED).json()
    assert ask["status"] == "declined"
    last = ask["timeline"][-1]
    assert last["detail"] == "declined: Client is in a dispute with the carrier"
    assert last["actor"] and last["at"].startswith("2026-11-27T15:00:00")


def test_decline_needs_a_reason(agency: Agency, pending: dict[str, Any]) -> None:
    response = agency.post(f"/api/v1/asks/{pending['id']}/decline", {"reason": ""}, now=REVIEWED)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert agency.ask(pending["id"])["status"] == "pending_review"


def test_approving_twice_is_a_conflict_and_changes_nothing(
    agency: Agency, pending: dict[str, Any]
) -> None:
    agency.post(f"/api/v1/asks/{pending['id']}/approve", None, now=REVIEWED)
    before = agency.ask(pending["id"])
    again = agency.post(f"/api/v1/asks/{pending['id']}/approve", None, now=REVIEWED)
    assert again.status_code == 409
    assert again.json()["title"]
    assert agency.ask(pending["id"]) == before


def test_deferring_into_the_past_is_refused(agency: Agency, pending: dict[str, Any]) -> None:
    body = {"until": "2026-11-20T10:00:00Z"}
    response = agency.post(f"/api/v1/asks/{pending['id']}/defer", body, now=REVIEWED)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "until"


def test_an_sms_edit_longer_than_two_segments_is_refused(
    agency: Agency, pending: dict[str, Any]
) -> None:
    edit = {"draft": {"body": "word " * 80}}
    response = agency.post(f"/api/v1/asks/{pending['id']}/approve", edit, now=REVIEWED)
    assert response.status_code == 422
    assert "segments" in response.json()["detail"]
    assert agency.ask(pending["id"])["status"] == "pending_review"


def test_unknown_ask_is_not_found(agency: Agency) -> None:
    response = agency.post("/api/v1/asks/999/approve", None, now=REVIEWED)
    assert response.status_code == 404


def test_the_asks_producer_may_review_it(agency: Agency, pending: dict[str, Any]) -> None:
    token = producer_token(agency, "sam@agency.example")
    response = agency.post(f"/api/v1/asks/{pending['id']}/approve", None, now=REVIEWED, token=token)
    assert response.status_code == 200, response.text
    assert response.json()["timeline"][-2]["actor"] == "Sam Ortiz"


def test_another_producer_may_not_review_it(agency: Agency, pending: dict[str, Any]) -> None:
    token = producer_token(agency, "kim@agency.example")
    response = agency.post(f"/api/v1/asks/{pending['id']}/approve", None, now=REVIEWED, token=token)
    assert response.status_code == 403
    assert agency.ask(pending["id"])["status"] == "pending_review"


def test_a_csr_may_not_review(agency: Agency, pending: dict[str, Any]) -> None:
    token = producer_token(agency, "csr@agency.example", role=Role.csr)
    body = {"reason": "no"}
    response = agency.post(f"/api/v1/asks/{pending['id']}/decline", body, now=REVIEWED, token=token)
    assert response.status_code == 403


def test_list_filters_by_status_and_client(agency: Agency, pending: dict[str, Any]) -> None:
    assert [a["id"] for a in agency.asks(status="pending_review")] == [pending["id"]]
    assert agency.asks(status="scheduled") == []
    assert [a["id"] for a in agency.asks(client_external_id="C-1001")] == [pending["id"]]
    assert agency.asks(client_external_id="C-9999") == []


def test_list_refuses_an_unknown_status(agency: Agency) -> None:
    response = agency.api.get("/api/v1/asks", params={"status": "maybe"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_cli_defer_then_decline_are_reviews_by_the_first_admin(
    agency: Agency, pending: dict[str, Any]
) -> None:
    ask_id = str(pending["id"])
    out = agency.run("asks", "defer", ask_id, "--until", "2026-12-08T20:30:00Z", now=REVIEWED)
    assert out.strip() == f"Ask {ask_id}: scheduled for 2026-12-08T20:30:00+00:00"
    out = agency.run("asks", "decline", ask_id, "--reason", "changed our mind", now=REVIEWED)
    assert out.strip() == f"Ask {ask_id}: declined for 2026-12-08T20:30:00+00:00"
    ask = agency.ask(pending["id"])
    assert ask["status"] == "declined"
    # Without --as the CLI reviews as the first admin, whom `referral init` names Administrator.
    reviews = [
        (e["status"], e["detail"], e["actor"]) for e in ask["timeline"] if e["kind"] == "review"
    ]
    assert reviews == [
        ("deferred", "deferred until 2026-12-08 20:30 UTC (Dec 8, 2:30 PM CST)", "Administrator"),
        ("declined", "declined: changed our mind", "Administrator"),
    ]


def test_cli_approve_as_a_named_producer_with_an_edited_body(
    agency: Agency, pending: dict[str, Any]
) -> None:
    producer_token(agency, "sam@agency.example")
    body = agency.tmp / "body.txt"
    body.write_text("Dana, thanks for trusting us with your car. Know anyone?\n", encoding="utf-8")
    out = agency.run(
        "asks",
        "approve",
        str(pending["id"]),
        "--as",
        "sam@agency.example",
        "--body-file",
        str(body),
        now=REVIEWED,
    )
    assert "scheduled" in out
    ask = agency.ask(pending["id"])
    assert ask["draft"]["body"].startswith("Dana, thanks for trusting us")
    assert [e["actor"] for e in ask["timeline"] if e["kind"] == "review"][-1] == "Sam Ortiz"


def test_cli_refuses_review_of_a_final_ask_with_exit_2(
    agency: Agency, pending: dict[str, Any]
) -> None:
    agency.run("asks", "decline", str(pending["id"]), "--reason", "no", now=REVIEWED)
    out = agency.run("asks", "approve", str(pending["id"]), now=REVIEWED, expect=2)
    assert "declined" in out


def test_cli_show_prints_reasons_and_timeline(agency: Agency, pending: dict[str, Any]) -> None:
    out = agency.run("asks", "show", str(pending["id"]), now=REVIEWED)
    assert "needs_review" in out and "Timeline" in out and "bind_delay" in out


def test_admin_email_is_the_default_cli_reviewer(agency: Agency, pending: dict[str, Any]) -> None:
    agency.run("asks", "approve", str(pending["id"]), now=REVIEWED)
    with unit_of_work(agency.url) as session:
        admin = users.find_by_email(session, email=ADMIN_EMAIL)
        assert admin is not None
        name = admin.name
    ask = agency.ask(pending["id"])
    assert [e["actor"] for e in ask["timeline"] if e["kind"] == "review"][-1] == name


def test_a_template_with_an_unknown_variable_is_refused_when_saved(agency: Agency) -> None:
    response = agency.api.put(
        "/api/v1/templates/policy.bound/any/any/any/sms",
        json={"source": "Hi {{ first_name }}, your SSN is {{ client_ssn }}"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "client_ssn" in response.json()["detail"]
    templates = agency.api.get("/api/v1/templates").json()
    assert not any(t["custom"] for t in templates)


def test_cli_refuses_a_template_with_an_unknown_variable_with_exit_2(agency: Agency) -> None:
    path = agency.tmp / "bad.sms.txt"
    path.write_text("Hi {{ nickname }}!", encoding="utf-8")
    out = agency.run(
        "templates", "set", "policy.bound/any/any/any/sms", str(path), now=REVIEWED, expect=2
    )
    assert "nickname" in out
