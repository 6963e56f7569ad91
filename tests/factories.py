"""Canonical events for tests, shaped exactly like INTERFACE.md's example."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLE: dict[str, Any] = {
    "id": "epic-778812-bind",
    "type": "policy.bound",
    "occurred_at": "2026-11-25T15:30:00-06:00",
    "source": "applied-epic",
    "client": {
        "external_id": "C-1001",
        "first_name": "Dana",
        "last_name": "Reyes",
        "company": None,
        "email": "dana@example.com",
        "mobile": "+13125550123",
        "postal_code": "60601",
        "timezone": None,
        "client_since": "2019-03-01",
        "consent": {"email": True, "sms": True},
        "preferred_channel": "sms",
        "sensitive": False,
    },
    "policy": {
        "number": "PA-778812",
        "line_of_business": "AUTOP",
        "carrier": "Progressive",
        "premium": 1820.00,
        "commission": 218.40,
        "effective_date": "2026-12-01",
        "transaction": "new",
    },
    "producer": {"name": "Sam Ortiz", "email": "sam@agency.example"},
    "feedback": None,
    "referral": None,
}


def event(**overrides: Any) -> dict[str, Any]:
    """The INTERFACE.md example with top-level keys replaced; ``client__x`` sets client.x."""
    document = copy.deepcopy(EXAMPLE)
    for key, value in overrides.items():
        if "__" in key:
            part, field = key.split("__", 1)
            document[part][field] = value
        else:
            document[key] = value
    return document


def write_jsonl(path: Path, documents: list[dict[str, Any] | str]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(document if isinstance(document, str) else json.dumps(document))
            handle.write("\n")
    return path
