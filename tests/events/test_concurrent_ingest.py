"""Idempotency under concurrency: racing processes store an event once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, RawInput
from referral_engine.events.service import RawEvent, ingest_retrying
from tests.factories import event


def test_racing_writers_store_the_same_event_once(ready_db: str) -> None:
    with unit_of_work(ready_db) as session:
        settings = load_settings(session)
    body = json.dumps(event())
    barrier = threading.Barrier(8)

    def post() -> str:
        barrier.wait()
        with unit_of_work(ready_db) as session:
            [result] = ingest_retrying(
                session,
                inputs=[RawEvent.from_json_text(body, channel="api", source="api")],
                settings=settings,
                now=clock.now(),
            )
        return result.outcome.value

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(lambda _: post(), range(8)))
    assert outcomes == ["accepted"] + ["duplicate"] * 7
    with unit_of_work(ready_db) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        assert session.scalar(select(func.count()).select_from(Client)) == 1
        assert session.scalar(select(func.count()).select_from(RawInput)) == 8


def test_racing_batches_with_overlapping_events_store_each_once(ready_db: str) -> None:
    with unit_of_work(ready_db) as session:
        settings = load_settings(session)
    barrier = threading.Barrier(4)

    def batch(offset: int) -> None:
        documents = [
            event(
                id=f"e{i}",
                client__external_id=f"C-{i}",
                client__email=f"c{i}@example.com",
                client__mobile=None,
            )
            for i in range(offset, offset + 40)
        ]
        raws = [
            RawEvent.from_json_text(json.dumps(d), channel="import", source="epic")
            for d in documents
        ]
        barrier.wait()
        with unit_of_work(ready_db) as session:
            ingest_retrying(session, inputs=raws, settings=settings, now=clock.now())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(batch, [0, 20, 40, 60]))
    with unit_of_work(ready_db) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 100
        assert session.scalar(select(func.count()).select_from(Client)) == 100
