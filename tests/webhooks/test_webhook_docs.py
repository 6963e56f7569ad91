"""docs/webhooks.md follows the code: every event type sent is in its table and has an
example payload (the examples are valid JSON)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from referral_engine.webhooks.types import EVENT_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"^```json\n(.*?)^```", TEXT, re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_event_type_is_in_the_table(event_type: str) -> None:
    assert re.search(rf"^\| `{re.escape(event_type)}` \|", TEXT, re.MULTILINE), event_type


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_event_type_has_an_example_payload(event_type: str) -> None:
    shown = [json.loads(block)["type"] for block in EXAMPLES]
    family = {"task.done": "task.created", "referral.confirmed": "referral.created"}
    assert family.get(event_type, event_type) in shown, f"no example of {event_type}"
