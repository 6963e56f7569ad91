"""Subscribing an agency to a test receiver and reading its deliveries through the API."""

from __future__ import annotations

from typing import Any

from tests.agency import Agency
from tests.webhooks.receiver import WebhookReceiver


def subscribe(
    agency: Agency, receiver: WebhookReceiver, *, name: str = "crm", events: str = '["*"]'
) -> None:
    """``[webhooks.NAME]`` pointing at ``receiver``, loaded by `referral init --config`."""
    agency.configure(
        f'[webhooks.{name}]\nurl = "{receiver.url}"\nsecret = "{receiver.secret}"\n'
        f"events = {events}\n"
    )


def deliveries(agency: Agency, **params: str) -> list[dict[str, Any]]:
    answer = agency.api.get("/api/v1/webhooks/deliveries", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def delivery(agency: Agency, delivery_id: int) -> dict[str, Any]:
    answer = agency.api.get(f"/api/v1/webhooks/deliveries/{delivery_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def only_delivery(agency: Agency, **params: str) -> dict[str, Any]:
    found = deliveries(agency, **params)
    assert len(found) == 1, found
    return delivery(agency, found[0]["id"])
