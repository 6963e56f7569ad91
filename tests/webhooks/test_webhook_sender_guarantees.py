"""The sender's guarantees with more than one worker and after a crash: two senders on
PostgreSQL never post the same delivery and keep a client's order; a delivery a stopped
sender left ``sending`` is tried again, never lost."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from referral_engine import clock
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.webhooks import sender
from referral_engine.webhooks.models import DeliveryStatus, WebhookDelivery
from referral_engine.webhooks.service import emit
from tests.agency import Agency, bind
from tests.conftest import at
from tests.webhooks.receiver import WebhookReceiver
from tests.webhooks.support import only_delivery, subscribe

BOUND = "2026-12-01T15:00:00Z"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_senders_post_each_delivery_once_and_keep_each_clients_order(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["task.*"]')
    agency.feed(bind(), now=BOUND)
    now = at(BOUND)
    with unit_of_work(agency.url) as session:
        dana = session.scalars(select(Client.id)).one()
        for n in range(40):
            # Every other event is Dana's (kept in order); the rest belong to no client.
            client = dana if n % 2 == 0 else None
            emit(session, type="task.created", data={"n": n}, client_id=client, now=now)

    workers = [
        threading.Thread(
            target=sender.send_due, args=(agency.url,), kwargs={"now": now, "batch": 3}
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    posted = [r.payload["data"]["n"] for r in receiver.delivered() if r.payload]
    assert sorted(posted) == list(range(40)), "each delivery once, none lost"
    assert len({r.webhook_id for r in receiver.received}) == 40
    assert [n for n in posted if n % 2 == 0] == list(range(0, 40, 2)), "Dana's in order"


def test_a_delivery_left_sending_by_a_stopped_sender_is_tried_again(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    receiver.answer_always(500)  # the first pass leaves it retrying, not delivered
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    receiver.answer_always(None)
    first = only_delivery(agency)
    # A sender takes it at its next attempt and stops before recording the answer.
    with unit_of_work(agency.url) as session:
        _, claimed = sender._claim(
            session, now=at(first["next_attempt_at"]), limit=10, outcomes=Counter()
        )
        session.execute(
            update(WebhookDelivery).values(
                sending_started_at=clock.wall() - sender.LEASE - timedelta(seconds=1)
            )
        )
    assert len(claimed) == 1
    assert only_delivery(agency)["status"] == DeliveryStatus.sending

    agency.tick("2026-12-01T15:01:00Z")  # recovery records the lost attempt, then backs off
    recovered = only_delivery(agency)
    assert recovered["status"] == "retrying"
    assert (
        recovered["attempt_log"][-1]["error"] == "the sender stopped before the answer was recorded"
    )
    agency.tick(recovered["next_attempt_at"])
    done = only_delivery(agency)
    assert done["status"] == "delivered"
    assert [a["status_code"] for a in done["attempt_log"]] == [500, None, 204]
    assert len({r.webhook_id for r in receiver.received}) == 1
