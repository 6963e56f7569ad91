"""Thanking and informing the referrer; recognizing a quarter's top referrers; rewards."""

from __future__ import annotations

from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import referral_engine.handlers  # noqa: F401 - registers the due-work handlers
from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message
from referral_engine.jobs.models import Job
from referral_engine.referrals import recognition, repository
from referral_engine.referrals.recognition import Quarter
from referral_engine.referrals.service import convert_on_bind
from referral_engine.users.models import Role
from referral_engine.worker import HANDLERS
from tests.conftest import at
from tests.referrals.support import (
    new_client_event,
    patch,
    person,
    refer,
    referral_body,
    run_hook,
    tasks_of,
)

HARBOR = {"kind": "partner", "external_id": None, "name": "Harbor Realty"}
BAY = {"kind": "partner", "external_id": None, "name": "Bay Motors"}
COVERAGE_WORDS = ("HO-5521", "1,400", "1400", "home", "HOME", "premium", "policy")


def messages(url: str, kind: str) -> list[Message]:
    with unit_of_work(url) as session:
        query = select(Message).where(Message.kind == kind).order_by(Message.id)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def tasks(api: TestClient, kind: str) -> list[dict[str, Any]]:
    return [t for t in api.get("/api/v1/tasks").json() if t["kind"] == kind]


def prospect(first: str, n: int) -> dict[str, Any]:
    return {
        "first_name": first,
        "last_name": "Test",
        "email": f"{first.lower()}{n}@example.com",
        "mobile": None,
        "company": None,
        "line_of_business": "HOME",
        "postal_code": "60614",
    }


@pytest.fixture
def lee(api: TestClient, dana: dict[str, Any]) -> dict[str, Any]:
    """Lee Park, referred by Dana Reyes (consent to texts, prefers SMS) this morning."""
    return refer(api, referral_body())


# --- thanks ---------------------------------------------------------------------------


def test_a_client_with_consent_is_thanked_by_a_text_in_the_outbox(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    [thanks] = messages(ready_db, "thanks")
    assert (thanks.channel, thanks.to, thanks.status) == ("sms", "+13125550123", "outbox")
    assert thanks.body.startswith("Hi Dana, thank you for introducing Lee")
    assert "Sam" in thanks.body
    assert not any(word in thanks.body for word in COVERAGE_WORDS)
    assert "thank_referrer" not in tasks_of(api, lee["id"])
    assert "Referral – Thanked" in lee["tags"]
    assert [e["kind"] for e in lee["timeline"]][-1] == "message"


def test_a_partner_is_thanked_by_a_task_not_a_message(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    referral = refer(api, referral_body(referred_by=HARBOR))
    assert tasks_of(api, referral["id"])["thank_referrer"]["title"].startswith(
        "Thank Harbor Realty"
    )
    assert messages(ready_db, "thanks") == []


def test_a_client_without_a_usable_channel_is_thanked_by_a_task(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    by_name = {"kind": "client", "external_id": None, "name": "Jo Ames"}
    referral = refer(api, referral_body(referred_by=by_name))
    assert "thank_referrer" in tasks_of(api, referral["id"])
    assert messages(ready_db, "thanks") == []


def test_an_external_source_is_not_thanked(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    external = {"kind": "external", "external_id": None, "name": "Website form"}
    referral = refer(api, referral_body(referred_by=external))
    assert set(tasks_of(api, referral["id"])) == {"priority_contact"}
    assert "Referral – Thanked" not in referral["tags"]


# --- updates ----------------------------------------------------------------------------


def share_outcome(api: TestClient, referral_id: int) -> None:
    """Lee agrees that Dana may hear how it goes (research R34)."""
    body = {"status": "granted", "method": "verbal", "wording": "Yes, keep Dana posted."}
    response = api.post(f"/api/v1/referrals/{referral_id}/consent", json=body)
    assert response.status_code == 201, response.text


def test_the_referrer_hears_of_each_step_lee_allows_without_coverage_details(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    share_outcome(api, lee["id"])
    patch(api, lee["id"], {"status": "contacted"})
    patch(api, lee["id"], {"status": "quoting"})
    converted = {"status": "converted", "policy_number": "HO-5521", "premium": 1400.0}
    referral = patch(api, lee["id"], converted).json()
    bodies = [m.body for m in messages(ready_db, "referral_update")]
    assert [b.split("\n")[0] for b in bodies] == [
        "Hi Dana, good news — we've been in touch with Lee. Thanks again for the"
        " introduction! - Sam",
        "Hi Dana, a quick update: we're putting together options for Lee now. Thanks again! - Sam",
        "Hi Dana, Lee is now a client. Thank you! - Sam",
    ]
    for body in bodies:
        assert not any(word in body for word in COVERAGE_WORDS), body
    assert "Referral – Update Sent" in referral["tags"]
    updates = [e["status"] for e in referral["timeline"] if e["kind"] == "update"]
    assert updates == ["contacted", "quoting", "converted"]


def test_a_status_set_again_sends_no_second_update(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    patch(api, lee["id"], {"status": "contacted"})
    patch(api, lee["id"], {"status": "contacted"})
    assert len(messages(ready_db, "referral_update")) == 1


def test_a_bind_that_converts_the_referral_tells_the_referrer_when_lee_allows_it(
    api: TestClient, ready_db: str, lee: dict[str, Any]
) -> None:
    share_outcome(api, lee["id"])
    response = api.post("/api/v1/events", json=new_client_event("lee-bind"))
    assert response.status_code == 202, response.text
    run_hook(ready_db, "lee-bind", convert_on_bind)
    [update] = messages(ready_db, "referral_update")
    assert "Lee is now a client" in update.body
    assert not any(word in update.body for word in COVERAGE_WORDS)


def test_a_partner_hears_of_progress_through_a_task_for_the_producer(
    api: TestClient, ready_db: str, captured_at: str
) -> None:
    referral = refer(api, referral_body(referred_by=HARBOR))
    share_outcome(api, referral["id"])
    patch(api, referral["id"], {"status": "quoting"})
    task = tasks_of(api, referral["id"])["update_referrer"]
    assert task["title"] == "Update Harbor Realty: we're putting together options for Lee"
    assert not any(word in task["detail"] for word in ("HO-5521", "HOME", "home"))
    assert messages(ready_db, "referral_update") == []


# --- recognition ----------------------------------------------------------------------


@pytest.fixture
def quarter(api: TestClient, dana: dict[str, Any]) -> dict[str, int]:
    """2026-Q4 by hand: Harbor Realty 2 received / 1 converted, Bay Motors 1 / 1, Dana
    Reyes 3 / 0, an external source 4 / 0. Returns a referral id per source."""
    ids: dict[str, int] = {}
    plan = [(HARBOR, 2, 1), (BAY, 1, 1), (referral_body()["referred_by"], 3, 0)]
    n = 0
    for source, received, converted in plan:
        for i in range(received):
            n += 1
            body = referral_body(referred_by=source, prospect=prospect("Kim", n))
            referral = refer(api, body)
            ids[str(source["external_id"] or source["name"])] = referral["id"]
            if i < converted:
                patch(api, referral["id"], {"status": "converted"})
    external = {"kind": "external", "external_id": None, "name": "Website form"}
    for _ in range(4):
        n += 1
        refer(api, referral_body(referred_by=external, prospect=prospect("Kim", n)))
    return ids


def run(api: TestClient, **params: Any) -> Any:
    return api.post("/api/v1/recognition/run", params={"quarter": "2026-Q4", **params})


def test_referrers_rank_by_converted_then_received(
    api: TestClient, quarter: dict[str, int]
) -> None:
    response = run(api, top=2)
    assert response.status_code == 200, response.text
    standings = response.json()["standings"]
    assert [(s["name"], s["converted"], s["received"], s["recognized"]) for s in standings] == [
        ("Harbor Realty", 1, 2, True),
        ("Bay Motors", 1, 1, True),
        ("Dana Reyes", 0, 3, False),
    ]


def test_the_quarters_counts_made_in_the_database_are_the_tally_of_its_referrals(
    api: TestClient, ready_db: str, quarter: dict[str, int]
) -> None:
    patch(api, quarter["C-1001"], {"disputed": True})  # a disputed referral does not count
    start, end = Quarter(2026, 4).bounds(ZoneInfo("America/Chicago"))
    with unit_of_work(ready_db) as session:
        counted = recognition.introductions(session, start=start, end=end)
        referrals = repository.referred_between(session, start=start, end=end)
        tallied = recognition.tally(referrals, start=start, end=end)
    standing = attrgetter("kind", "referrer_id", "name", "received", "converted", "rank")
    assert [standing(s) for s in counted] == [standing(s) for s in tallied]
    assert [(s.name, s.converted, s.received) for s in counted] == [
        ("Harbor Realty", 1, 2),
        ("Bay Motors", 1, 1),
        ("Dana Reyes", 0, 2),
    ]


def test_top_sources_are_tagged_and_get_a_private_thank_you_draft(
    api: TestClient, quarter: dict[str, int]
) -> None:
    run(api, top=2)
    harbor = api.get(f"/api/v1/referrals/{quarter['Harbor Realty']}").json()
    dana = api.get(f"/api/v1/referrals/{quarter['C-1001']}").json()
    assert "Referral – Top Source" in harbor["tags"]
    assert "Referral – Top Source" not in dana["tags"]
    drafts = {t["title"]: t for t in tasks(api, "recognize_referrer")}
    assert set(drafts) == {
        "Send Harbor Realty a private thank-you for 2026-Q4",
        "Send Bay Motors a private thank-you for 2026-Q4",
    }
    detail = drafts["Send Harbor Realty a private thank-you for 2026-Q4"]["detail"]
    assert "A private thank-you from all of us" in detail
    assert "recorded permission" in detail


def test_a_client_top_source_gets_the_draft_through_their_producer(
    api: TestClient, quarter: dict[str, int]
) -> None:
    run(api, top=3)
    [draft] = [t for t in tasks(api, "recognize_referrer") if "Dana" in t["title"]]
    assert draft["assignee"] == "sam@agency.example"


def test_running_a_quarter_twice_changes_nothing(api: TestClient, quarter: dict[str, int]) -> None:
    first = run(api, top=2).json()
    second = run(api, top=2).json()
    assert first == second
    assert len(tasks(api, "recognize_referrer")) == 2
    assert len(tasks(api, "partner_check_in")) == 2
    timeline = api.get(f"/api/v1/referrals/{quarter['Harbor Realty']}").json()["timeline"]
    assert [e["kind"] for e in timeline].count("recognized") == 1


def test_a_top_partner_gets_a_check_in_task_every_month(
    api: TestClient, ready_db: str, quarter: dict[str, int]
) -> None:
    clock.pin(at("2027-01-04T15:00:00Z"))
    run(api, top=1)
    [first] = tasks(api, "partner_check_in")
    assert first["title"] == "Check in with Harbor Realty"
    assert first["due_at"].startswith("2027-02-03T15:00:00")
    with unit_of_work(ready_db) as session:
        job = session.scalars(select(Job).where(Job.kind == "referrals.check_in_partner")).one()
        assert job.run_at == at("2027-02-03T15:00:00Z")
        HANDLERS[job.kind](session, dict(job.payload), job.run_at)
        HANDLERS[job.kind](session, dict(job.payload), job.run_at)  # safe twice
    due = sorted(t["due_at"][:10] for t in tasks(api, "partner_check_in"))
    assert due == ["2027-02-03", "2027-03-05"]


def test_capture_schedules_the_quarters_recognition_at_its_end(
    ready_db: str, lee: dict[str, Any]
) -> None:
    with unit_of_work(ready_db) as session:
        job = session.scalars(select(Job).where(Job.kind == "referrals.recognize_quarter")).one()
        assert job.dedupe_key == "recognize:2026-Q4"
        assert job.run_at == at("2027-01-01T06:00:00Z")  # midnight in Chicago


def test_the_due_work_recognizes_the_quarter(
    api: TestClient, ready_db: str, quarter: dict[str, int]
) -> None:
    with unit_of_work(ready_db) as session:
        job = session.scalars(select(Job).where(Job.kind == "referrals.recognize_quarter")).one()
        assert HANDLERS[job.kind](session, dict(job.payload), job.run_at) == "recognition:2026-Q4"
    assert len(tasks(api, "recognize_referrer")) == 3


def test_recognition_is_for_admins(api: TestClient, ready_db: str, captured_at: str) -> None:
    token = person(ready_db, "pat@agency.example", Role.producer)
    response = api.post(
        "/api/v1/recognition/run",
        params={"quarter": "2026-Q4"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


def test_a_badly_written_quarter_is_refused(api: TestClient, captured_at: str) -> None:
    response = api.post("/api/v1/recognition/run", params={"quarter": "Q4-2026"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "quarter"


# --- rewards ----------------------------------------------------------------------------


def test_a_reward_amount_by_hand_is_checked_and_always_reviewed(
    api: TestClient, lee: dict[str, Any]
) -> None:
    referral = patch(api, lee["id"], {"reward_amount": 25}).json()
    assert referral["reward_amount"] == 25.0
    clock.pin(at("2026-11-24T16:00:00Z"))
    referral = patch(api, lee["id"], {"reward_amount": 50}).json()
    assert referral["reward_amount"] == 50.0
    assert [(r["value"], r["status"]) for r in referral["rewards"]] == [
        (25.0, "declined"),  # replaced by the second amount
        (50.0, "blocked"),  # Dana lives in Illinois: no reward rule is set for IL
    ]
    assert "no reward rule for IL" in referral["rewards"][1]["rule"]
    reviews = [t for t in tasks(api, "reward_review") if t["referral_id"] == lee["id"]]
    assert [t["status"] for t in reviews] == ["done", "open"]
    assert "no reward rule for IL" in reviews[1]["detail"]
