"""The weekly digest to the principal: the week's numbers in a short plain-text email.

``render_digest`` only reads and renders. ``send_digest`` records the digest as an
outbound message (kind ``digest``) to ``[agency] principal_email`` and, when an email
provider is configured, hands it to that provider; without one it stays in the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.delivery.channels import SendFailed
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.delivery.providers import Providers
from referral_engine.reports import service as reports
from referral_engine.reports.period import week_period
from referral_engine.reports.sources import SourceGrouping, source_report
from referral_engine.settings import provider_settings
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


def send_digest(url: str, *, week: str, now: datetime) -> DigestSent:
    """Record the digest as a message to the principal, then send it by email if a
    provider is configured (once; a failure is recorded on the message, not retried)."""
    providers = Providers.from_settings(provider_settings())
    with unit_of_work(url) as session:
        to = load_settings(session).agency.principal_email
        if not to:
            raise NoPrincipal("set [agency] principal_email to send the digest")
        subject, text = render_digest(session, week, now=now)
        sending = providers.has("email")
        message = Message(
            kind="digest",
            channel="email",
            to=to,
            subject=subject,
            body=text,
            status=MessageStatus.sending if sending else MessageStatus.outbox,
            attempts=1 if sending else 0,
            created_at=now,
            status_at=now,
        )
        session.add(message)
        session.flush()
        message_id = message.id
    if not sending:
        return DigestSent(message_id, to, MessageStatus.outbox)
    status, provider_id, error = _transmit(providers, to=to, subject=subject, text=text)
    with unit_of_work(url) as session:
        stored = session.get(Message, message_id)
        assert stored is not None
        stored.status, stored.provider_id, stored.error = status, provider_id, error
        stored.status_at = now
        stored.sent_at = now if status == MessageStatus.sent else None
    return DigestSent(message_id, to, status)


def _transmit(
    providers: Providers, *, to: str, subject: str, text: str
) -> tuple[MessageStatus, str | None, str | None]:
    mail_from = providers.env.mail_from or "digest@localhost"
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = mail_from, to, subject
    email["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2].strip("> ") or None)
    email.set_content(text)
    try:
        sent = providers.email_sender().send(email)
    except SendFailed as failure:
        log.warning("the digest to %s was not sent: %s", to, failure.reason)
        return MessageStatus.failed, None, failure.reason
    return MessageStatus.sent, sent.provider_id, None
