"""Hold at the edge: oversized bodies, hostile JSON and out-of-range integers answer 4xx
problem+json; an event among them is kept as a rejected input; nothing stored changes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, RawInput
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.events.test_signed_webhooks import hooks, signed  # noqa: F401 - hooks is a fixture
from tests.factories import event

PROBLEM = "application/problem+json"
DEEP = "[" * 100_000 + "]" * 100_000
HUGE_INT = '{"id": "x", "n": ' + "9" * 5000 + "}"


def stored(url: str) -> tuple[int, int]:
    """(events, raw inputs) in the database."""
    with unit_of_work(url) as session:
        events = session.scalar(select(func.count()).select_from(Event)) or 0
        inputs = session.scalar(select(func.count()).select_from(RawInput)) or 0
        return int(events), int(inputs)


def rejected(api: TestClient) -> list[dict[str, Any]]:
    response = api.get("/api/v1/events", params={"outcome": "rejected"})
    assert response.status_code == 200
    return list(response.json())


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = dict(response.json())
    assert body["status"] == status
    return body


@pytest.fixture
def one_event(api: TestClient, ready_db: str) -> tuple[int, int]:
    """An accepted event already stored: nothing below may change it."""
    assert api.post("/api/v1/events", json=event()).status_code == 202
    return stored(ready_db)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (DEEP, "nested more than 32 levels"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested more than 32 levels"),
        (HUGE_INT, "5000 digits"),
        ('{"id": "x", "n": NaN}', "NaN is not a JSON number"),
        ('{"id": "x", "n": 1e999}', "too large"),
        ('{"id": "x", "n": 99999999999999999999}', "20 digits"),
    ],
    ids=["deep-array", "deep-object", "4300-digit-int", "nan", "huge-float", "over-int64"],
)
def test_hostile_json_as_an_event_is_a_kept_rejection(
    api: TestClient, ready_db: str, one_event: tuple[int, int], body: str, reason: str
) -> None:
    response = api.post(
        "/api/v1/events", content=body, headers={"content-type": "application/json"}
    )
    problem = is_problem(response, 422)
    assert reason in problem["detail"]
    events, inputs = stored(ready_db)
    assert (events, inputs) == (one_event[0], one_event[1] + 1)
    [kept] = rejected(api)
    assert reason in kept["reason"]


def test_an_event_over_the_size_limit_is_refused_and_its_start_kept(
    api: TestClient, ready_db: str, one_event: tuple[int, int]
) -> None:
    document = event(id="big")
    document["notes"] = "x" * 2_000_000
    response = api.post("/api/v1/events", content=json.dumps(document))
    problem = is_problem(response, 413)
    assert "at most 1,000,000 bytes" in problem["detail"]
    assert stored(ready_db) == (one_event[0], one_event[1] + 1)
    [kept] = rejected(api)
    assert "too large" in kept["reason"]
    assert kept["body"].startswith('{"') and len(kept["body"]) <= 64_000


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    api: TestClient, ready_db: str
) -> None:
    response = api.post(
        "/api/v1/events",
        content=b"{}",
        headers={"content-length": "50000000", "content-type": "application/json"},
    )
    assert is_problem(response, 413)["type"].endswith("too-large")


def test_the_event_limit_is_a_setting(
    api: TestClient, ready_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referral_engine.web.app import create_app

    monkeypatch.setenv("REFERRAL_MAX_EVENT_BYTES", "2000")
    small = TestClient(create_app(ready_db), headers=dict(api.headers))
    document = event(id="medium")
    document["notes"] = "x" * 3000
    assert small.post("/api/v1/events", content=json.dumps(document)).status_code == 413
    assert api.post("/api/v1/events", content=json.dumps(document)).status_code == 202


def test_a_20_mb_signed_webhook_is_refused_unread_and_not_kept(
    hooks: TestClient,  # noqa: F811 - the fixture
    ready_db: str,
) -> None:
    document = event(id="huge")
    document["notes"] = "x" * 20_000_000
    body = json.dumps(document)
    response = hooks.post("/hooks/events/applied-epic", content=body, headers=signed(body))
    is_problem(response, 413)
    assert stored(ready_db) == (0, 0)


def test_hostile_json_elsewhere_answers_400(api: TestClient, one_event: tuple[int, int]) -> None:
    response = api.post(
        "/api/v1/asks/1/approve", content=DEEP, headers={"content-type": "application/json"}
    )
    assert "nested" in is_problem(response, 400)["detail"]
    response = api.post(
        "/api/v1/asks/1/approve", content=HUGE_INT, headers={"content-type": "application/json"}
    )
    assert "digits" in is_problem(response, 400)["detail"]


def test_a_large_body_elsewhere_answers_413(api: TestClient) -> None:
    response = api.post(
        "/api/v1/asks/1/approve",
        content=b'{"draft": {"body": "' + b"x" * 1_100_000 + b'"}}',
        headers={"content-type": "application/json"},
    )
    is_problem(response, 413)


def test_a_page_form_too_large_answers_the_error_page_and_changes_nothing(api: TestClient) -> None:
    signed_in = api.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    before = stored_settings(api)
    assert before["agency"]["name"]
    response = api.post(
        "/settings/agency",
        data={"agency.name": "Pasted " + "x" * 1_100_000},
        headers={"accept": "text/html"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Too much to send" in response.text and "nothing was saved" in response.text
    assert stored_settings(api) == before


def stored_settings(api: TestClient) -> dict[str, Any]:
    with unit_of_work(api.app.state.db_url) as session:  # type: ignore[attr-defined]
        return load_settings(session).model_dump(mode="json")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/asks/2147483648",
        "/api/v1/asks/9223372036854775808",
        "/api/v1/asks/" + "9" * 5000,
        "/api/v1/referrals?offset=9223372036854775808",
        "/api/v1/events?limit=10&offset=-9223372036854775809",
        "/api/v1/contacts/99999999999999999999/consent",
        "/api/v1/rewards?referral_id=2147483648",
    ],
    ids=[
        "id-2^31",
        "id-2^63",
        "id-5000-digits",
        "offset-2^63",
        "offset-negative",
        "contact-id",
        "query-id",
    ],
)
def test_integers_that_do_not_fit_their_column_answer_422(api: TestClient, url: str) -> None:
    problem = is_problem(api.get(url), 422)
    assert "out of range" in problem["detail"]


def test_the_largest_id_and_offset_that_fit_are_simply_not_found(api: TestClient) -> None:
    is_problem(api.get("/api/v1/asks/2147483647"), 404)
    assert api.get("/api/v1/events", params={"offset": 2**63 - 1}).json() == []


def test_an_unexpected_failure_answers_500_problem_json(
    ready_db: str, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from referral_engine.reports import endpoints as reports
    from referral_engine.web.app import create_app

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(reports.reports, "weekly", broken)
    client = TestClient(
        create_app(ready_db), headers=dict(api.headers), raise_server_exceptions=False
    )
    response = client.get("/api/v1/reports/weekly", params={"week": "2026-W49"})
    problem = is_problem(response, 500)
    assert "secret detail" not in response.text
    assert problem["type"].endswith("internal-error")
