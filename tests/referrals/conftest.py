"""Referral fixtures: the clock at capture time, a client with a producer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from referral_engine import clock
from tests.conftest import at
from tests.factories import event
from tests.referrals.support import CAPTURED


@pytest.fixture
def captured_at() -> Iterator[str]:
    """The clock pinned at capture time; tests move it with ``clock.pin``."""
    clock.pin(at(CAPTURED))
    yield CAPTURED
    clock.pin(None)


@pytest.fixture
def dana(api: TestClient, captured_at: str) -> dict[str, Any]:
    """Dana Reyes (C-1001), a client whose producer is Sam Ortiz, known from a bind."""
    response = api.post("/api/v1/events", json=event())
    assert response.status_code == 202, response.text
    return dict(event()["client"])


@pytest.fixture
def unreachable_dana(api: TestClient, captured_at: str) -> dict[str, Any]:
    """Dana Reyes with neither email nor SMS usable: she is thanked by a task, not a message."""
    document = event(client__consent={"email": False, "sms": False})
    response = api.post("/api/v1/events", json=document)
    assert response.status_code == 202, response.text
    return dict(document["client"])
