"""The weekly digest to the principal: the week's numbers in a short plain-text email.

``render_digest`` only reads and renders. ``queue_digest`` records the digest as an
outbound message (kind ``digest``) to ``[agency] principal_email``; the sender sends it
like every message (in the outbox when no email provider is configured). The worker
schedules one digest a week, due Monday 07:00 in the agency's zone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.reports import service as reports
from referral_engine.reports.period import week_period
from referral_engine.reports.sources import SourceGrouping, source_report
from referral_engine.tasks.models import Task, TaskStatus

log = logging.getLogger(__name__)

TOP_SOURCES = 3


class NoPrincipal(ValueError):  # noqa: N818 - the name says what is missing
    """``[agency] principal_email`` is not set: the digest has nowhere to go."""


def overdue_tasks(session: Session, *, now: datetime) -> int:
    """Open tasks whose due time has passed at ``now``."""
    query = (
        select(func.count())
        .select_from(Task)
        .where(Task.status == TaskStatus.open, Task.due_at < now)
    )
    return int(session.scalar(query) or 0)


def render_digest(session: Session, week: str, *, now: datetime) -> tuple[str, str]:
    """The digest of ``week`` (ISO week) as (subject, plain text); tasks overdue at ``now``."""
    agency = load_settings(session).agency
    numbers = reports.weekly(session, week=week)
    sources = source_report(
        session,
        period=week_period(numbers.start, reports.agency_zone(session)),
        by=SourceGrouping.referrer,
    )
    lines = [f"{agency.name}: referrals, week {numbers.week}", ""]
    lines += [f"  {label + ':':<22}{numbers[key]:>6,}" for key, label in reports.HEADLINE]
    lines += ["", "Asks not sent, by reason:"]
    reasons = sorted(numbers.suppressed_by_reason.items(), key=lambda item: (-item[1], item[0]))
    lines += [f"  {reason + ':':<22}{count:>6,}" for reason, count in reasons] or ["  none"]
    lines += ["", "Top sources this week:"]
    top = sources.rows[:TOP_SOURCES]
    lines += [
        f"  {row.source} ({row.kind}): {row.received} received, {row.converted} converted"
        for row in top
    ] or ["  no referrals received"]
    lines += ["", f"Overdue tasks: {overdue_tasks(session, now=now):,}"]
    subject = (
        f"Week {numbers.week}: {numbers['asks_sent']} asks sent, "
        f"{numbers['referrals_received']} referrals, {numbers['referrals_converted']} converted"
    )
    return subject, "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DigestSent:
    message_id: int
    to: str
    status: str


def queue_digest(session: Session, *, week: str, now: datetime) -> Message:
    """The week's digest as an email message to the principal, queued for the sender
    (or in the outbox when no email provider is configured)."""
    from referral_engine.delivery.messages import queue

    to = load_settings(session).agency.principal_email
    if not to:
        raise NoPrincipal("set [agency] principal_email to send the digest")
    subject, text = render_digest(session, week, now=now)
    return queue(
        session, kind="digest", channel="email", to=to, subject=subject, body=text, now=now
    )


def send_digest(url: str, *, week: str, now: datetime) -> DigestSent:
    """Queue the digest and run the sender now: sent once, with the guarantees of every
    message (a transient failure is retried by the worker)."""
    from referral_engine.delivery.messages import send_queued

    with unit_of_work(url) as session:
        message = queue_digest(session, week=week, now=now)
        message_id, to = message.id, message.to
    send_queued(url, now=now)
    with unit_of_work(url) as session:
        stored = session.get(Message, message_id)
        assert stored is not None
        return DigestSent(message_id, to, MessageStatus(stored.status))


SEND_DIGEST = "reports.send_digest"


def schedule_weekly_digest(session: Session, *, now: datetime) -> None:
    """Due work for this week's digest: Monday 07:00 (agency zone) after the week ends.
    One job per week (its dedupe key), however often this is called."""
    from datetime import time

    from referral_engine.jobs import service as jobs
    from referral_engine.reports.service import agency_zone, current_week, week_bounds

    if not load_settings(session).agency.principal_email:
        return
    week = current_week(session, now)
    _, end = week_bounds(week, agency_zone(session))
    local_end = end.astimezone(agency_zone(session))
    run_at = datetime.combine(local_end.date(), time(7), agency_zone(session))
    jobs.enqueue(
        session,
        kind=SEND_DIGEST,
        key=f"digest:{week}",
        run_at=run_at.astimezone(end.tzinfo),
        payload={"week": week},
    )
