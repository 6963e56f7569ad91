"""POST /api/v1/events:batch: up to 1,000 events in one request, each accepted, a
duplicate or rejected on its own; a batch that cannot be read is kept and refused."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import event
from tests.web.test_edge import is_problem, rejected, stored


def batch(api: TestClient, items: Any) -> Any:
    return api.post("/api/v1/events:batch", content=json.dumps(items))


def test_each_event_of_a_batch_has_its_own_outcome_in_order(api: TestClient, ready_db: str) -> None:
    good = [event(id=f"bind-{n}", client__external_id=f"C-{n}") for n in range(3)]
    bad = event(id="bad", client__email="not-an-email")
    response = batch(api, [good[0], good[1], good[0], bad, "nonsense", good[2]])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [(r["index"], r["status"]) for r in answer["results"]] == [
        (0, "accepted"),
        (1, "accepted"),
        (2, "duplicate"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "accepted"),
    ]
    assert (answer["accepted"], answer["duplicate"], answer["rejected"]) == (3, 1, 2)
    assert answer["results"][3]["errors"][0]["field"] == "client.email"
    assert answer["results"][4]["errors"][0]["reason"] == "an event must be a JSON object"
    assert stored(ready_db) == (3, 6)  # every input kept, three events
    assert {r["body"] for r in rejected(api)} == {json.dumps(bad), '"nonsense"'}


def test_a_batch_is_the_same_as_its_events_one_by_one(api: TestClient, ready_db: str) -> None:
    documents = [event(id=f"bind-{n}", client__external_id=f"C-{n}") for n in range(20)]
    assert batch(api, documents).json()["accepted"] == 20
    again = [api.post("/api/v1/events", json=d).json()["status"] for d in documents]
    assert again == ["duplicate"] * 20


def test_a_batch_that_cannot_be_read_is_kept_and_refused(api: TestClient, ready_db: str) -> None:
    for body, status, reason in [
        ('{"id": "x"}', 422, "a batch is a JSON array"),
        ("[" * 50 + "]" * 50, 422, "nested"),
        (json.dumps([{}] * 1001), 422, "at most 1,000 events"),
    ]:
        response = api.post("/api/v1/events:batch", content=body)
        assert reason in is_problem(response, status)["detail"]
    assert stored(ready_db) == (0, 3)


def test_a_batch_over_ten_megabytes_is_refused_and_its_start_kept(
    api: TestClient, ready_db: str
) -> None:
    document = event()
    document["notes"] = "x" * 11_000_000
    response = api.post("/api/v1/events:batch", content=json.dumps([document]))
    assert "at most 10,000,000 bytes" in is_problem(response, 413)["detail"]
    [kept] = rejected(api)
    assert "too large" in kept["reason"] and len(kept["body"]) <= 64_000


def test_a_batch_of_a_thousand_events_under_the_limit_is_taken(
    api: TestClient, ready_db: str
) -> None:
    documents = [event(id=f"bind-{n}", client__external_id=f"C-{n}") for n in range(1000)]
    response = batch(api, documents)
    assert response.status_code == 200
    assert response.json()["accepted"] == 1000
