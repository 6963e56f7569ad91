"""The webhook sender: posts due deliveries, signed, and records every attempt.

Guarantees (docs/webhooks.md says the same):

1. A due delivery is claimed in its own committed transaction (``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, so several workers never post the same delivery at once) and
   marked ``sending``; the POST happens outside any transaction; its answer is recorded
   in a second one, with the attempt.
2. A 2xx answer delivers. Any other answer, a timeout or a refused connection is
   retried: 30 s, 2 min, 10 min, 1 h, 4 h, then every 8 h, with a last attempt three
   days after the first; refused then, the delivery has ``failed``.
3. Every attempt carries the event's own ``webhook-id`` and the same body; only
   ``webhook-timestamp`` and the signature are fresh (receivers reject stale ones).
4. Per client and subscriber, deliveries go in the order their events happened: a
   later one is not posted while an earlier one is pending, being sent or waiting to
   be retried (a person's resend is the exception: it goes at once).
5. A subscriber that does not answer at all (refused connection, timeout) is not tried
   again in the same pass: its other due deliveries wait for the next pass untouched
   (no attempt counted), so one dead subscriber costs a pass one timeout, not one per
   delivery, and never holds up the asks.
6. A sender stopped mid-POST leaves the delivery ``sending``; after :data:`LEASE` it is
   retried. So a subscriber may see an event twice, never zero times before it fails:
   it dedupes on ``webhook-id``.
7. A subscriber may be a :class:`Writer` instead of a URL: a source that writes back
   (:mod:`referral_engine.sources.writeback`). Its deliveries are claimed, ordered,
   retried and recorded exactly as above; only the POST is replaced by the writer's
   ``write``, which answers the same :class:`Answer`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy.orm import Session
from standardwebhooks import Webhook

from referral_engine import __version__, clock
from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.webhooks import repository
from referral_engine.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from referral_engine.webhooks.types import GIVE_UP, is_success, next_attempt

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = f"ReferralEngine-Webhooks/{__version__}"


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, with all the POST needs (read before the claim commits)."""

    delivery_id: int
    subscriber: str
    # The claim started the three days (a first try, or the first after a resend).
    starts_clock: bool
    message_id: str
    body: str
    url: str
    secret: str
    # Which attempt this is (1: the first; a retry or a resend is later).
    attempt: int = 1


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and is_success(self.status_code)

    @property
    def unanswered(self) -> bool:
        """No answer at all: the subscriber is down or unreachable."""
        return self.status_code is None


class Writer(Protocol):
    """Performs a subscriber's deliveries instead of a POST (a source's write-back)."""

    def write(self, item: Outgoing) -> Answer:
        """Perform ``item`` once; never raises for the peer's failures."""
        ...


def writers_for(url: str, client: httpx.Client) -> dict[str, Writer]:
    """The subscribers that are writers for this pass, by name (sources that write back)."""
    from referral_engine.sources import writeback

    with unit_of_work(url) as session:
        settings = load_settings(session)
    return dict(writeback.writers(settings, db_url=url, client=client))


def send_due(
    url: str, *, now: datetime, batch: int = 20, http: httpx.Client | None = None
) -> Counter[str]:
    """Post every delivery due at ``now`` (and those each success lets go in its
    client's order); returns what happened (``webhook:delivered``, …)."""
    outcomes = recover_stale(url, now=now)
    client = http
    writers: dict[str, Writer] | None = None
    down: set[str] = set()  # subscribers that did not answer in this pass
    try:
        while True:
            with unit_of_work(url) as session:
                found, claimed = _claim(session, now=now, limit=batch, outcomes=outcomes, skip=down)
            if not found:
                return outcomes
            if claimed and client is None:
                client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)
            for item in claimed:
                assert client is not None
                if item.subscriber in down:
                    with unit_of_work(url) as session:
                        release(session, item)
                    outcomes["webhook:waiting_for_subscriber"] += 1
                    continue
                if item.url:
                    answer = post(client, item)
                else:
                    writers = writers if writers is not None else writers_for(url, client)
                    answer = _write(writers, item)
                if answer.unanswered:
                    down.add(item.subscriber)
                with unit_of_work(url) as session:
                    outcomes[record(session, item.delivery_id, answer, now=now)] += 1
    finally:
        if http is None and client is not None:
            client.close()


def _claim(
    session: Session,
    *,
    now: datetime,
    limit: int,
    outcomes: Counter[str],
    skip: set[str] | None = None,
) -> tuple[int, list[Outgoing]]:
    """Take up to ``limit`` due deliveries, none to the ``skip`` subscribers: (how many
    were due, those to post)."""
    settings = load_settings(session)
    hooks = settings.webhooks
    claimed: list[Outgoing] = []
    due = repository.due(session, now=now, limit=limit, skip=skip or set())
    for delivery in due:
        hook = hooks.get(delivery.subscriber)
        source = settings.sources.get(delivery.subscriber)
        writes = source is not None and source.write_back
        if hook is None and not writes:
            delivery.status = DeliveryStatus.failed
            delivery.last_error = (
                f"[sources.{delivery.subscriber}] does not write back any more"
                if source is not None
                else f"no [webhooks.{delivery.subscriber}] in the settings any more"
            )
            outcomes["webhook:no_subscriber"] += 1
            continue
        event = repository.event_of(session, delivery)
        delivery.status = DeliveryStatus.sending
        delivery.sending_started_at = clock.wall()
        delivery.attempts += 1
        starts_clock = delivery.give_up_at is None
        if starts_clock:
            delivery.give_up_at = now + GIVE_UP
        claimed.append(
            Outgoing(
                delivery.id,
                delivery.subscriber,
                starts_clock,
                event.message_id,
                event.body,
                hook.url if hook else "",  # no URL: a writer performs it
                hook.secret if hook else "",
                delivery.attempts,
            )
        )
    session.flush()
    return len(due), claimed


def signed_headers(item: Outgoing, *, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt at ``at`` (the wall clock: receivers
    check the timestamp against theirs)."""
    signature = Webhook(item.secret).sign(item.message_id, at, item.body)
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": item.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def post(client: httpx.Client, item: Outgoing) -> Answer:
    """POST ``item`` once; never raises for the network's or the subscriber's failures."""
    headers = signed_headers(item, at=clock.wall())
    started = time.monotonic()
    try:
        response = client.post(item.url, content=item.body.encode("utf-8"), headers=headers)
    except httpx.HTTPError as exc:
        took = int((time.monotonic() - started) * 1000)
        return Answer(None, f"{type(exc).__name__}: {exc}"[:500], took)
    except Exception as exc:  # a bad URL or a bug must not leave the delivery "sending"
        log.exception("posting webhook %s failed unexpectedly", item.message_id)
        took = int((time.monotonic() - started) * 1000)
        return Answer(None, f"unexpected error: {type(exc).__name__}"[:500], took)
    took = int((time.monotonic() - started) * 1000)
    if is_success(response.status_code):
        return Answer(response.status_code, None, took)
    said = " ".join(response.text.split())[:300]
    error = f"HTTP {response.status_code}" + (f": {said}" if said else "")
    return Answer(response.status_code, error, took)


def _write(writers: dict[str, Writer], item: Outgoing) -> Answer:
    writer = writers.get(item.subscriber)
    if writer is None:  # the settings changed between the claim and this pass's writers
        return Answer(None, f"{item.subscriber} does not write back any more", 0)
    try:
        return writer.write(item)
    except Exception as exc:  # a bug must not leave the delivery "sending"
        log.exception("writing %s for %s failed unexpectedly", item.message_id, item.subscriber)
        return Answer(None, f"unexpected error: {type(exc).__name__}"[:500], 0)


def release(session: Session, item: Outgoing) -> None:
    """Hand back a claimed delivery untried, as it was (its subscriber is down this pass)."""
    delivery = session.get(WebhookDelivery, item.delivery_id)
    assert delivery is not None
    delivery.attempts -= 1
    delivery.status = DeliveryStatus.retrying if delivery.attempts else DeliveryStatus.pending
    delivery.sending_started_at = None
    if item.starts_clock:
        delivery.give_up_at = None


def record(session: Session, delivery_id: int, answer: Answer, *, now: datetime) -> str:
    """Store one attempt's answer: delivered, retried later, or failed."""
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
    )
    delivery.sending_started_at = None
    delivery.last_attempt_at = now
    delivery.last_status_code = answer.status_code
    delivery.last_error = answer.error
    if answer.delivered:
        delivery.status = DeliveryStatus.delivered
        delivery.delivered_at = now
        return "webhook:delivered"
    return _retry_or_fail(delivery, now=now)


def _retry_or_fail(delivery: WebhookDelivery, *, now: datetime) -> str:
    give_up_at = delivery.give_up_at or now
    later = next_attempt(attempts=delivery.attempts, failed_at=now, give_up_at=give_up_at)
    if later is None:
        delivery.status = DeliveryStatus.failed
        return "webhook:failed"
    delivery.status = DeliveryStatus.retrying
    delivery.next_attempt_at = later
    return "webhook:retry"


def recover_stale(url: str, *, now: datetime) -> Counter[str]:
    """Deliveries a stopped sender left ``sending`` for longer than :data:`LEASE`: the
    attempt is recorded as unanswered and retried (or failed past its three days)."""
    outcomes: Counter[str] = Counter()
    with unit_of_work(url) as session:
        for delivery in repository.stale_sending(session, before=clock.wall() - LEASE):
            error = "the sender stopped before the answer was recorded"
            session.add(WebhookAttempt(delivery_id=delivery.id, at=now, error=error))
            delivery.sending_started_at = None
            delivery.last_attempt_at = now
            delivery.last_status_code = None
            delivery.last_error = error
            outcomes[_retry_or_fail(delivery, now=now).replace("retry", "recovered")] += 1
    return outcomes
