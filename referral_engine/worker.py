"""The worker: claims due work and runs it, one transaction per job.

Guarantees (see docs/operations.md): a job is leased in its own committed transaction
before it runs, so two workers never run it at once; a job's effects and its "done"
mark commit together, so a worker killed mid-job leaves the job to be retried after
its lease runs out, and every handler is written to be safe to run twice.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import referral_engine.handlers  # noqa: F401 - importing it registers every area's handlers
from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.jobs import service as jobs
from referral_engine.jobs.registry import HANDLERS, PREPARERS, RetryLater, handles

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from referral_engine.delivery.providers import Providers

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one pass over the due work did."""

    ran: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    retried: int = 0

    @property
    def total(self) -> int:
        return sum(self.ran.values())

    def merge(self, other: TickReport) -> None:
        self.ran.update(other.ran)
        self.outcomes.update(other.outcomes)
        self.failed += other.failed
        self.retried += other.retried


def run_due(
    url: str,
    *,
    now: datetime | None = None,
    batch: int = 500,
    chunk: int = 100,
    max_batches: int = 10_000,
    providers: Providers | None = None,
) -> TickReport:
    """Run every job due at ``now`` (including work that running it makes due), then return.

    Jobs are leased ``batch`` at a time and run ``chunk`` to a transaction (see
    :func:`_run_chunk`).
    """
    report = TickReport()
    _schedule_rounds(url, now or clock.now())
    polled = _poll_sources(url, now or clock.now())
    report.outcomes.update(polled)
    report.ran["sources.poll"] += sum(
        count for key, count in polled.items() if key.endswith((":polled", ":failed"))
    )
    if not report.ran["sources.poll"]:
        del report.ran["sources.poll"]
    for _ in range(max_batches):
        at = now or clock.now()
        with unit_of_work(url) as session:
            claimed = jobs.claim_due(session, now=at, limit=batch)
        if not claimed:
            break
        for start in range(0, len(claimed), max(chunk, 1)):
            report.merge(_run_chunk(url, claimed[start : start + chunk], at))
    report.merge(_send(url, now or clock.now(), providers))
    return report


def _schedule_rounds(url: str, now: datetime) -> None:
    """Recurring work of ``now``'s hour: the review round (digests, expiry warnings)."""
    from referral_engine.notifications.reviews import schedule_round

    with unit_of_work(url) as session:
        schedule_round(session, now=now)


def _poll_sources(url: str, now: datetime) -> Counter[str]:
    """Poll sources whose ``poll_minutes`` have passed (their events are then due work)."""
    from referral_engine.sources.poller import poll_due

    return Counter(poll_due(url, now=now))


def _run_chunk(url: str, chunk: list[jobs.DueJob], now: datetime) -> TickReport:
    """Run leased jobs in one transaction: their effects and their "done" marks commit
    together, after one set-based read of what they need (the kinds' preparers).

    When any of them fails, the transaction is rolled back whole and each job of the
    chunk runs again alone (:func:`_run_one`): the failing one fails (and is retried)
    by itself, the others are done as if the chunk had never been tried.
    """
    if len(chunk) == 1:
        return _run_one(url, chunk[0], now)
    report = TickReport()
    try:
        with unit_of_work(url) as session:
            by_kind: dict[str, list[dict[str, Any]]] = {}
            for job in chunk:
                by_kind.setdefault(job.kind, []).append(job.payload)
            for kind, payloads in by_kind.items():
                if kind in PREPARERS:
                    PREPARERS[kind](session, payloads)
            for job in chunk:
                _handle(session, job, now, report)
                session.flush()  # the next job's queries see this one's changes
            jobs.finish_many(session, job_ids=[job.id for job in chunk], now=now)
    except Exception:  # one job of the chunk failed: run them one by one
        log.info("a job of a chunk of %s failed; running them one at a time", len(chunk))
        report = TickReport()
        for job in chunk:
            report.merge(_run_one(url, job, now))
    return report


def _handle(session: Session, job: jobs.DueJob, now: datetime, report: TickReport) -> None:
    """Run ``job``'s handler in ``session`` and count it in ``report`` (the caller
    commits, and counts nothing when the transaction does not commit)."""
    handler = HANDLERS.get(job.kind)
    if handler is None:
        raise LookupError(f"no handler for due work {job.kind!r}")
    outcome = handler(session, job.payload, now)
    report.ran[job.kind] += 1
    if outcome:
        report.outcomes[outcome] += 1


def _poll_mailbox(url: str, now: datetime) -> Counter[str]:
    """Email replies from REFERRAL_IMAP_URL, when one is configured."""
    from referral_engine.replies.imap import MailboxError
    from referral_engine.replies.mailbox import poll_mailbox
    from referral_engine.settings import provider_settings

    if not provider_settings().imap_url:
        return Counter()
    try:
        return Counter({"mailbox:replies_read": poll_mailbox(url, now=now)})
    except (MailboxError, ValueError):
        log.exception("reading the replies mailbox failed; trying again next pass")
        return Counter({"mailbox:failed": 1})


def _send(url: str, now: datetime, providers: Providers | None) -> TickReport:
    """Due asks out through their providers, and asks a stopped sender left behind; then
    due webhook deliveries (after the sends, so this pass's ``ask.sent`` goes too)."""
    from referral_engine.delivery.messages import recover_stale_messages, send_queued
    from referral_engine.delivery.reconcile import recover_stale
    from referral_engine.delivery.service import send_due
    from referral_engine.reports.digest import schedule_weekly_digest
    from referral_engine.webhooks.sender import send_due as send_webhooks

    report = TickReport()
    with unit_of_work(url) as session:
        schedule_weekly_digest(session, now=now)
    report.outcomes.update(_poll_mailbox(url, now))
    report.outcomes.update(recover_stale(url, now=now, providers=providers))
    report.outcomes.update(send_due(url, now=now, providers=providers))
    report.outcomes.update(recover_stale_messages(url, now=now, providers=providers))
    report.outcomes.update(send_queued(url, now=now, providers=providers))
    report.ran["delivery.send_due"] += sum(report.outcomes.values())
    webhooks = send_webhooks(url, now=now)
    report.outcomes.update(webhooks)
    if webhooks:
        report.ran["webhooks.send_due"] += sum(webhooks.values())
    return report


def _run_one(url: str, job: jobs.DueJob, now: datetime) -> TickReport:
    report = TickReport()
    try:
        with unit_of_work(url) as session:
            ran = TickReport()
            _handle(session, job, now, ran)
            jobs.finish(session, job_id=job.id, now=now)
        report.merge(ran)
    except RetryLater as later:
        with unit_of_work(url) as session:
            jobs.retry_later(session, job_id=job.id, run_at=later.at, error=str(later))
        report.retried += 1
    except Exception as exc:  # a failing job must not stop the others
        log.exception("due work %s #%s failed", job.kind, job.id)
        with unit_of_work(url) as session:
            if job.attempts >= 5:
                jobs.give_up(session, job_id=job.id, now=now, error=repr(exc))
            else:
                delay = timedelta(minutes=2**job.attempts)
                jobs.retry_later(session, job_id=job.id, run_at=now + delay, error=repr(exc))
        report.failed += 1
    return report


def run_forever(
    url: str, *, poll_seconds: float = 5.0, stop: threading.Event | None = None
) -> None:
    """Run due work until ``stop`` is set (or forever): what `referral worker` does."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            report = run_due(url)
            if report.total:
                log.info("ran %s", dict(report.ran))
        except Exception:
            log.exception("worker pass failed; trying again")
        stop.wait(poll_seconds)


def start_in_thread(
    url: str, *, poll_seconds: float = 5.0
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever,
        args=(url,),
        kwargs={"poll_seconds": poll_seconds, "stop": stop},
        name="referral-worker",
        daemon=True,
    )
    thread.start()
    return thread, stop


__all__ = [
    "HANDLERS",
    "PREPARERS",
    "RetryLater",
    "TickReport",
    "handles",
    "run_due",
    "run_forever",
    "start_in_thread",
]
