"""Helpers for the referral tests: people, request bodies, API calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from referral_engine import clock
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event
from referral_engine.referrals.models import Referral
from referral_engine.referrals.service import ProspectFacts, capture_from_client
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.conftest import at
from tests.factories import event

CAPTURED = "2026-11-24T15:00:00Z"  # Tuesday 9:00 in Chicago


def person(url: str, email: str, role: Role, *, senior: bool = False) -> str:
    """A user of the agency; returns an API token for them."""
    with unit_of_work(url) as session:
        user = users.find_by_email(session, email=email) or users.create_user(
            session,
            email=email,
            name=email.split("@")[0].title(),
            role=role,
            password=None,
            senior=senior,
        )
        return users.issue_token(session, user=user, name="test")


def referral_body(**overrides: Any) -> dict[str, Any]:
    """Lee Park, referred by Dana Reyes (C-1001); ``referred_by`` etc. replaced whole."""
    body: dict[str, Any] = {
        "prospect": {
            "first_name": "Lee",
            "last_name": "Park",
            "email": "lee.park@example.com",
            "mobile": "+13125550188",
            "company": None,
            "line_of_business": "HOME",
            "postal_code": "60614",
        },
        "referred_by": {"kind": "client", "external_id": "C-1001", "name": None},
        "ask_id": None,
        "tags": [],
        "notes": "",
    }
    body.update(overrides)
    return body


def refer(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/referrals", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def patch(
    api: TestClient, referral_id: int, body: dict[str, Any], *, token: str | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return api.patch(f"/api/v1/referrals/{referral_id}", json=body, headers=headers)


def tasks_of(api: TestClient, referral_id: int) -> dict[str, dict[str, Any]]:
    """The referral's tasks by kind."""
    found = api.get("/api/v1/tasks").json()
    return {t["kind"]: t for t in found if t["referral_id"] == referral_id}


def new_client_event(
    event_id: str, *, event_type: str = "policy.bound", **client: Any
) -> dict[str, Any]:
    """An event for a new client Lee Park (C-2002) binding a home policy, with ``client``
    fields replaced (``None`` removes one)."""
    document = event(
        id=event_id,
        type=event_type,
        policy={
            "number": "HO-5521",
            "line_of_business": "HOME",
            "carrier": "Travelers",
            "premium": 1400.0,
            "commission": 168.0,
            "effective_date": "2026-12-01",
            "transaction": "new",
        },
    )
    document["client"] = {
        "external_id": "C-2002",
        "first_name": "Lee",
        "last_name": "Park",
        "email": "lee.park@example.com",
        "mobile": "+13125550188",
        "postal_code": "60614",
        "consent": {"email": True, "sms": True},
    }
    document["client"].update(client)
    return document


def run_hook(
    url: str, event_id: str, hook: Callable[..., Referral | None], *, now: str = CAPTURED
) -> int | None:
    """Call a referral hook on a stored event in one unit of work (as the decision step
    will); returns the referral's id."""
    with unit_of_work(url) as session:
        stored = session.scalars(select(Event).where(Event.external_id == event_id)).one()
        client = session.get(Client, stored.client_id)
        assert client is not None
        referral = hook(session, event=stored, client=client, now=at(now))
        return referral.id if referral else None


def draft(url: str) -> int:
    """Maria, drafted at ``clock.now()`` from a reply of Dana Reyes (C-1001) as the reply
    reader does: waiting for a person to confirm it. Returns its id."""
    with unit_of_work(url) as session:
        dana = session.scalars(select(Client).where(Client.external_id == "C-1001")).one()
        referral = capture_from_client(
            session,
            prospect=ProspectFacts(first_name="Maria", mobile="+13125550142"),
            client=dana,
            ask=None,
            captured_via="reply",
            now=clock.now(),
            needs_confirmation=True,
        )
        return referral.id
