"""Polling a source: read what changed since the cursor, ingest it, move the cursor.

What a caller may rely on:

- **Exactly once into ingest.** Every record that makes an event goes through
  :func:`referral_engine.events.service.ingest` as an input of its source (channel
  ``poll``, authenticated as the source), with an id made from the source's own record
  id: a record read again is a duplicate, never a second event.
- **A durable cursor.** Each page is ingested in its own transaction together with the
  cursor move it allows, so a poll that fails half-way keeps what it stored and the next
  poll resumes from there. The cursor never moves backwards.
- **A bounded catch-up.** A poll reads from the cursor, but never from further back than
  ``max_catch_up_days`` (a first poll, or one after a long outage); older changes are
  left to an import.
- **Retries** as :mod:`referral_engine.sources.http` says; a poll that still fails
  records its error (shown by ``referral sources list``) and the next one tries again.
- **One poller per source.** The worker claims a due poll with a compare-and-set on the
  source's row, so several workers never poll one source at once.
- Records that are no moment (a quote, an unrelated change) are counted as skipped and
  not kept; every record that makes an event is kept as its raw input.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.events import service as events
from referral_engine.events.models import Outcome
from referral_engine.settings import AgencySettings, SourceSection
from referral_engine.sources import repository
from referral_engine.sources.http import PollFailed, PollHttp, RetryPolicy
from referral_engine.sources.profiles import Change, Page, SourceConfigError, build_profile

POLL_CHANNEL = "poll"

log = logging.getLogger(__name__)


class UnknownSource(LookupError):
    """No poll source of that name is configured."""


@dataclass
class PollReport:
    """What one poll of one source did."""

    source: str
    since: datetime | None = None
    read: int = 0
    skipped: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    quarantined: int = 0  # an email source: messages kept for a person (a task each)
    pages: int = 0
    waits: list[float] = field(default_factory=list)
    sign_ins: int = 0
    cursor: str | None = None
    error: str | None = None
    note: str | None = None
    ran: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None


def _polled(source: SourceSection) -> bool:
    """A source read on a schedule: a poll source, or an email source with a mailbox."""
    return source.kind == "poll" or (source.kind == "email" and bool(source.imap_url_env))


def poll_sources(url: str) -> list[str]:
    """The names of the sources read on a schedule: poll sources, and email sources
    with a mailbox (``imap_url_env``)."""
    with unit_of_work(url) as session:
        settings = load_settings(session)
    return sorted(n for n, s in settings.sources.items() if _polled(s))


def poll_source(
    url: str,
    *,
    name: str,
    now: datetime,
    due_only: bool = False,
    sleep: Callable[[float], None] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> PollReport:
    """Poll ``name`` once (with ``due_only``: only when ``poll_minutes`` have passed since
    its last poll; otherwise the report says it did not run)."""
    with unit_of_work(url) as session:
        settings = load_settings(session)
        config = settings.sources.get(name)
        if config is None or not _polled(config):
            polls = ", ".join(n for n, s in settings.sources.items() if _polled(s))
            raise UnknownSource(f"no poll source {name!r} (poll sources: {polls or 'none'})")
        every = timedelta(minutes=config.poll_minutes) if due_only else None
        if not repository.claim_poll(session, name=name, now=now, every=every):
            return PollReport(source=name, ran=False)
        state = repository.state(session, name)
        cursor = state.cursor if state else None
    if config.kind == "email":
        return _read_mailbox(url, name, now=now)
    since = _since(cursor, config, now)
    report = PollReport(source=name, since=since, cursor=cursor)
    if cursor and datetime.fromisoformat(cursor) < since:
        report.note = (
            f"the cursor ({cursor}) is older than max_catch_up_days: changes before "
            f"{since.isoformat()} were not read (import them from a report)"
        )
    try:
        _run(url, name, config, settings, report, now=now, sleep=sleep, transport=transport)
    except (PollFailed, SourceConfigError, httpx.HTTPError) as exc:
        report.error = str(exc) or type(exc).__name__
    except Exception as exc:  # a poll must never stop the worker's other work
        log.exception("polling %s failed", name)
        report.error = f"{type(exc).__name__}: {exc}"
    _record_outcome(url, name, report, now)
    return report


def _since(cursor: str | None, config: SourceSection, now: datetime) -> datetime:
    floor = now - timedelta(days=config.max_catch_up_days)
    if cursor:
        at = datetime.fromisoformat(cursor)
        return max(at, floor)
    return floor


def _run(
    url: str,
    name: str,
    config: SourceSection,
    settings: AgencySettings,
    report: PollReport,
    *,
    now: datetime,
    sleep: Callable[[float], None] | None,
    transport: httpx.BaseTransport | None,
) -> None:
    assert report.since is not None
    profile = build_profile(name, config, zone=settings.agency.timezone, now=now)
    policy = RetryPolicy(max_retries=config.max_retries, max_wait=config.max_wait_seconds)
    with httpx.Client(timeout=30.0, transport=transport, follow_redirects=True) as client:
        http = PollHttp(client=client, policy=policy, sign_in=profile.sign_in, sleep=sleep)
        try:
            http.start()
            for page in profile.pages(http, since=report.since):
                report.pages += 1
                _ingest_page(url, name, profile.name, page, settings, report, now)
        finally:
            report.waits, report.sign_ins = http.waits, http.sign_ins


def _ingest_page(
    url: str,
    name: str,
    profile: str,
    page: Page,
    settings: AgencySettings,
    report: PollReport,
    now: datetime,
) -> None:
    changes, cursor = page.changes, page.cursor
    report.read += len(changes)
    raws = [_raw(name, profile, change) for change in changes if change.document is not None]
    report.skipped += len(changes) - len(raws)
    with unit_of_work(url) as session:
        results = events.ingest_retrying(session, inputs=raws, settings=settings, now=now)
        if cursor is not None:
            report.cursor = repository.advance_cursor(session, name=name, to=cursor)
    for result in results:
        if result.outcome == Outcome.accepted:
            report.accepted += 1
        elif result.outcome == Outcome.duplicate:
            report.duplicate += 1
        else:
            report.rejected += 1


def _raw(name: str, profile: str, change: Change) -> events.RawEvent:
    """A record as the input of its source: the record kept as sent, the event it makes."""
    raw = events.RawEvent(
        body=json.dumps(change.record, ensure_ascii=False, default=str),
        channel=POLL_CHANNEL,
        source=name,
        mapping=f"poll:{profile}",
        required_source=name,
        authenticated_as=name,
    )
    raw.parsed = change.document
    raw.errors.extend(change.errors)
    return raw


def _read_mailbox(url: str, name: str, *, now: datetime) -> PollReport:
    """An email source's poll: its mailbox's unseen messages read into events, or
    quarantined for a person (:func:`referral_engine.mail.imap.fetch_mailbox`)."""
    from referral_engine.mail.imap import fetch_mailbox
    from referral_engine.mail.sources import MailSourceError
    from referral_engine.replies.imap import MailboxError

    report = PollReport(source=name, pages=1)
    try:
        outcomes = fetch_mailbox(url, source=name, now=now)
    except (MailSourceError, MailboxError) as exc:
        report.error = str(exc) or type(exc).__name__
    except Exception as exc:  # a poll must never stop the worker's other work
        log.exception("reading the mailbox of %s failed", name)
        report.error = f"{type(exc).__name__}: {exc}"
    else:
        report.read = len(outcomes)
        for item in outcomes:
            field_name = str(item.outcome)
            if hasattr(report, field_name):
                setattr(report, field_name, getattr(report, field_name) + 1)
    _record_outcome(url, name, report, now)
    return report


def _record_outcome(url: str, name: str, report: PollReport, now: datetime) -> None:
    with unit_of_work(url) as session:
        repository.record_poll(session, name=name, now=now, error=report.error)


def poll_due(url: str, *, now: datetime) -> dict[str, int]:
    """Every poll source whose ``poll_minutes`` have passed, polled once: what the worker
    runs each pass. Returns counts by outcome (``poll:NAME:accepted`` …)."""
    counts: dict[str, int] = {}
    for name in poll_sources(url):
        try:
            report = poll_source(url, name=name, now=now, due_only=True)
        except UnknownSource:  # the settings changed under this pass
            continue
        if not report.ran:
            continue
        for outcome in ("accepted", "duplicate", "rejected", "quarantined"):
            if getattr(report, outcome):
                counts[f"poll:{name}:{outcome}"] = getattr(report, outcome)
        if report.error:
            log.warning("polling %s failed: %s", name, report.error)
            counts[f"poll:{name}:failed"] = 1
        else:
            counts[f"poll:{name}:polled"] = 1
    return counts
