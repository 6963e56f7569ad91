"""POST /api/v1/events and the raw-input log, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from referral_engine.contacts.models import Client, Policy
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, RawInput
from tests.factories import event


def count(url: str, model: type) -> int:
    with unit_of_work(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_new_event_is_accepted(api: TestClient) -> None:
    response = api.post("/api/v1/events", json=event())
    assert response.status_code == 202
    assert response.json() == {"event_id": "epic-778812-bind", "status": "accepted"}


def test_a_repeated_event_is_a_duplicate_and_changes_nothing(
    api: TestClient, ready_db: str
) -> None:
    api.post("/api/v1/events", json=event())
    changed = event(client__first_name="Changed")
    response = api.post("/api/v1/events", json=changed)
    assert response.status_code == 202
    assert response.json()["status"] == "duplicate"
    assert count(ready_db, Event) == 1
    with unit_of_work(ready_db) as session:
        assert session.scalars(select(Client)).one().first_name == "Dana"


def test_the_same_id_from_another_source_is_another_event(api: TestClient, ready_db: str) -> None:
    api.post("/api/v1/events", json=event())
    response = api.post("/api/v1/events", json=event(source="hawksoft"))
    assert response.json()["status"] == "accepted"
    assert count(ready_db, Event) == 2


def test_an_event_creates_its_client_and_policy(api: TestClient, ready_db: str) -> None:
    api.post("/api/v1/events", json=event(client__mobile="(312) 555-0123"))
    with unit_of_work(ready_db) as session:
        client = session.scalars(select(Client)).one()
        policy = session.scalars(select(Policy)).one()
    assert (client.external_id, client.mobile, client.consent_sms) == (
        "C-1001",
        "+13125550123",
        True,
    )
    assert (policy.number, policy.line_of_business, policy.segment) == (
        "PA-778812",
        "AUTOP",
        "personal",
    )


def test_a_client_is_found_again_by_email_when_no_external_id_is_sent(
    api: TestClient, ready_db: str
) -> None:
    first = event(client__external_id=None)
    api.post("/api/v1/events", json=first)
    api.post(
        "/api/v1/events", json=event(id="second", client__external_id=None, client__mobile=None)
    )
    assert count(ready_db, Client) == 1


def test_a_client_is_found_again_by_mobile(api: TestClient, ready_db: str) -> None:
    api.post("/api/v1/events", json=event(client__external_id=None, client__email=None))
    api.post(
        "/api/v1/events",
        json=event(
            id="second", client__external_id=None, client__email=None, client__mobile="312-555-0123"
        ),
    )
    assert count(ready_db, Client) == 1


def test_bad_input_answers_problem_json_naming_the_field(api: TestClient) -> None:
    response = api.post("/api/v1/events", json=event(client__email="dana@"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"] == "Invalid event"
    assert {"field": "client.email"}.items() <= problem["errors"][0].items()
    assert "email" in problem["errors"][0]["reason"]


def test_bad_input_is_kept_raw_and_changes_nothing(api: TestClient, ready_db: str) -> None:
    api.post("/api/v1/events", json=event())
    body = '{"id": "epic-778812-bind", "type": "policy.bound", "client": {"email": "nope"'
    response = api.post(
        "/api/v1/events", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]
    with unit_of_work(ready_db) as session:
        rows = session.scalars(select(RawInput).order_by(RawInput.id)).all()
        assert [r.outcome for r in rows] == ["accepted", "rejected"]
        assert rows[1].body == body
        assert session.scalars(select(Client)).one().email == "dana@example.com"
    assert count(ready_db, Event) == 1


def test_rejected_inputs_can_be_listed(api: TestClient) -> None:
    api.post("/api/v1/events", json=event(client__mobile="12"))
    listed = api.get("/api/v1/events", params={"outcome": "rejected"}).json()
    assert len(listed) == 1
    assert listed[0]["errors"][0]["field"] == "client.mobile"


def test_no_token_is_refused_with_problem_json(api: TestClient) -> None:
    response = api.post("/api/v1/events", json=event(), headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_refused(api: TestClient, ready_db: str) -> None:
    response = api.post(
        "/api/v1/events", json=event(), headers={"Authorization": "Bearer rk_not_a_token"}
    )
    assert response.status_code == 401
    assert count(ready_db, Event) == 0


def test_an_accepted_event_makes_due_work(api: TestClient, ready_db: str) -> None:
    from referral_engine.jobs.models import Job

    api.post("/api/v1/events", json=event())
    api.post("/api/v1/events", json=event())
    with unit_of_work(ready_db) as session:
        assert [j.kind for j in session.scalars(select(Job))] == ["events.process_event"]


def test_openapi_documents_the_event_body(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/events"]["post"]["requestBody"]
    assert "client" in body["content"]["application/json"]["schema"]["properties"]
