"""Deciding events a chunk at a time (one transaction and one set-based read for up to 100
events) gives exactly what deciding them one at a time gives: the same asks with the same
statuses, times, reasons, drafts and timelines, the same referrals, the same tasks.

The events are the hard cases for a chunk: several events of one client in one chunk (a
bind, then a complaint; an issue opened around a bind; consent withdrawn after a bind; a
second policy; the same moment reported twice), a referral recorded and its prospect's
bind in the same chunk, and a bind that converts a referral made in an earlier pass.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from referral_engine import worker
from referral_engine.asks.models import Ask, AskEntry
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.events.importer import import_file
from referral_engine.referrals.models import Referral
from referral_engine.tasks.models import Task
from tests.conftest import at
from tests.factories import event, write_jsonl

IMPORTED = at("2026-11-25T22:00:00Z")
DECIDED = at("2026-11-25T23:00:00Z")
LATER = at("2026-11-27T16:00:00Z")


def client(n: int, **facts: Any) -> dict[str, Any]:
    return {
        "external_id": f"C-{n}",
        "first_name": f"Client{n}",
        "last_name": f"Family{n}",
        "email": f"client{n}@example.com",
        "mobile": f"+1312555{n:04d}",
        "postal_code": "60601",
        "client_since": "2019-03-01",
        "consent": {"email": True, "sms": True},
        "preferred_channel": "sms",
        **facts,
    }


def bind(n: int, number: str, *, key: str | None = None, **facts: Any) -> dict[str, Any]:
    return event(
        id=key or f"bind-{n}-{number}",
        client=client(n, **facts),
        policy={**event()["policy"], "number": number},
    )


def other(n: int, kind: str, key: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": key,
        "type": kind,
        "occurred_at": "2026-11-25T16:00:00-06:00",
        "source": "applied-epic",
        "client": {"external_id": f"C-{n}"},
        **fields,
    }


def referral(n: int, first_name: str, last_name: str) -> dict[str, Any]:
    """Client ``n``'s praise, naming a friend they referred."""
    return event(
        id=f"referral-{n}",
        type="feedback.received",
        client=client(n),
        policy=None,
        feedback={"score": 10, "comment": "Great service"},
        referral={
            "prospect": {
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{first_name.lower()}@example.com",
            },
            "referred_by": {"kind": "client", "external_id": f"C-{n}"},
        },
    )


FIRST_PASS = [
    *(bind(n, f"PA-{n}") for n in range(1, 30)),  # fillers: many clients in one chunk
    bind(40, "PA-40a"),
    bind(40, "PA-40b"),  # a second policy of one client in the same chunk
    bind(40, "PA-40b", key="carrier-download-40b"),  # the same moment, another source id
    bind(41, "PA-41"),
    other(41, "complaint.received", "complaint-41"),
    other(42, "issue.opened", "open-42", issue={"id": "T-42", "kind": "billing"}),
    bind(42, "PA-42"),
    bind(43, "PA-43"),
    other(
        43,
        "client.updated",
        "consent-43",
        client={"external_id": "C-43", "consent": {"sms": False}},
    ),
    bind(44, "PA-44"),
    other(
        44,
        "policy.cancelled",
        "cancel-44",
        policy={"number": "PA-44", "transaction": "cancellation"},
    ),
    # Client 45 refers a friend; the friend binds in the same chunk.
    referral(45, "Robin", "Friend"),
    bind(46, "PA-46", email="robin@example.com", first_name="Robin", last_name="Friend"),
    # Client 47 refers someone who binds only in the second pass.
    referral(47, "Kim", "Later"),
]
SECOND_PASS = [
    bind(48, "PA-48", email="kim@example.com", first_name="Kim", last_name="Later"),
    other(42, "issue.resolved", "resolved-42", issue={"id": "T-42", "kind": "billing"}),
    bind(1, "PA-1-second"),
    *(bind(n, f"PB-{n}") for n in range(50, 60)),
]


def state(url: str) -> dict[str, Any]:
    """Everything deciding writes, keyed by what does not depend on row numbering."""
    with unit_of_work(url) as session:
        names = {
            row.id: row.external_id
            for row in session.execute(select(Client.id, Client.external_id))
        }
        asks: dict[str, Any] = {}
        for ask in session.scalars(select(Ask)):
            entries = session.scalars(
                select(AskEntry).where(AskEntry.ask_id == ask.id).order_by(AskEntry.id)
            )
            asks[ask.moment_key.split(":", 1)[1] + "@" + str(names[ask.client_id])] = (
                ask.status,
                ask.channel,
                ask.scheduled_for,
                ask.expires_at,
                ask.reasons,
                ask.draft_subject,
                ask.draft_body,
                [(e.kind, e.rule, e.status, e.detail) for e in entries],
            )
        referrals = sorted(
            (r.first_name, r.last_name, r.status, r.converted_at, r.converted_policy_number)
            for r in session.scalars(select(Referral))
        )
        tasks = sorted((t.kind, t.title, t.due_at) for t in session.scalars(select(Task)))
    return {"asks": asks, "referrals": referrals, "tasks": tasks}


def decide(url: str, tmp: Path, documents: list[dict[str, Any]], *, chunk: int, name: str) -> None:
    path = write_jsonl(tmp / f"{name}.jsonl", documents)
    from referral_engine import clock

    with clock.frozen(IMPORTED):
        import_file(url, path=path, source="applied-epic", mapping=None)
    worker.run_due(url, now=DECIDED if name == "first" else LATER, chunk=chunk)


def test_a_chunk_decides_exactly_as_one_event_at_a_time(
    sqlite_template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="referral_engine.worker")
    urls = {}
    for chunk in (1, 100):
        path = tmp_path / f"chunk-{chunk}.db"
        shutil.copy(sqlite_template, path)
        urls[chunk] = f"sqlite:///{path}"

    for name, documents in (("first", FIRST_PASS), ("second", SECOND_PASS)):
        for chunk, url in urls.items():
            decide(url, tmp_path, documents, chunk=chunk, name=f"{name}")
        one, many = state(urls[1]), state(urls[100])
        assert many == one, name
    # The chunks ran as chunks: none fell back to running its jobs one at a time.
    assert "one at a time" not in caplog.text

    final = state(urls[100])
    statuses = {key.split("@")[1]: value[0] for key, value in final["asks"].items()}
    # The hard cases did what they should, so the comparison compared something.
    assert statuses["C-41"] == "suppressed"  # complaint after the bind
    assert statuses["C-44"] == "suppressed"  # the policy was cancelled
    assert len([k for k in final["asks"] if k.endswith("@C-40")]) == 2  # one ask per moment
    assert [r[2] for r in final["referrals"]] == ["converted", "converted"]
