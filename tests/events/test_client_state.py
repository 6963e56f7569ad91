"""`client.state`: read from a code or a name, refused when it names no US state, and taken
from a US ZIP code when the event has none."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from tests.conftest import run_cli
from tests.factories import event, write_jsonl


def stored_state(url: str) -> str | None:
    with unit_of_work(url) as session:
        return session.scalars(select(Client)).one().state


@pytest.mark.parametrize(
    ("given", "postal_code", "stored"),
    [
        pytest.param("fl", "60601", "FL", id="a-code-in-any-case"),
        pytest.param("Florida", None, "FL", id="a-name"),
        pytest.param(None, "33101", "FL", id="none-given-the-zip-codes"),
        pytest.param(None, "60601-1234", "IL", id="zip-plus-four"),
        pytest.param(None, "M5V 2T6", None, id="not-a-us-zip-no-state"),
        pytest.param("", "98101", "WA", id="blank-is-absent"),
    ],
)
def test_the_clients_state_is_stored(
    api: TestClient, ready_db: str, given: str | None, postal_code: str | None, stored: str | None
) -> None:
    response = api.post(
        "/api/v1/events", json=event(client__state=given, client__postal_code=postal_code)
    )
    assert response.status_code == 202, response.text
    assert stored_state(ready_db) == stored


def test_a_new_zip_code_brings_its_state_and_an_unchanged_one_keeps_the_given_state(
    api: TestClient, ready_db: str
) -> None:
    api.post("/api/v1/events", json=event(client__state="NJ", client__postal_code="10001"))
    same = event(id="again", type="client.updated", policy=None, client__postal_code="10001")
    api.post("/api/v1/events", json=same)
    assert stored_state(ready_db) == "NJ", "the same postal code keeps the source's state"
    moved = event(id="moved", type="client.updated", policy=None, client__postal_code="33101")
    api.post("/api/v1/events", json=moved)
    assert stored_state(ready_db) == "FL"


def test_an_unknown_state_answers_problem_json_naming_the_field(api: TestClient) -> None:
    response = api.post("/api/v1/events", json=event(client__state="ZZ"))
    assert response.status_code == 422
    problem = response.json()
    assert {"field": "client.state"}.items() <= problem["errors"][0].items()
    assert "unknown US state 'ZZ'" in problem["errors"][0]["reason"]


def test_an_imported_line_with_an_unknown_state_is_rejected(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [event(client__state="Ontario")])
    code, out, err = run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic")
    assert "0 accepted, 0 duplicate, 1 rejected" in out + err
    code, out, _ = run_cli(cli, "--db", ready_db, "events", "--rejected", "--format", "json")
    assert "client.state" in out and "unknown US state" in out
