"""Messages other than asks (a referrer's thank-you, progress updates, notifications to
staff): the same guarantees.

A message is queued when its channel has a provider (else it waits in the outbox). The
sender claims one queued message at a time (``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
re-checks that the client may still be reached on that channel, refuses a message to a
referred person (:func:`referral_engine.referrals.privacy.recipient_refusal`), keeps a
message to a client about referrals inside their send window and under the 24-hour cap
(:mod:`referral_engine.delivery.pacing`), commits ``sending`` before the provider is
called and records the answer after: sent; a transient failure waits with backoff; a
permanent one fails.
A notification to a staff member (``user_id`` set, no client) has no client consent,
window or referred-person check: it leaves at its ``send_after`` (the person's quiet
nights, :mod:`referral_engine.notifications.rules`), marked ``Auto-Submitted``.
A sender that dies mid-send leaves ``sending``: SMS is reconciled with the provider, an
email becomes ``delivery_unknown`` — never a second copy.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.decisions import rules
from referral_engine.decisions.rules import Rulebook
from referral_engine.decisions.send_windows import client_window
from referral_engine.delivery import pacing
from referral_engine.delivery.channels import SendFailed, Sent
from referral_engine.delivery.links import mailbox
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.delivery.providers import Providers
from referral_engine.delivery.service import CARRIER_OPTED_OUT, MAX_ATTEMPTS, backoff
from referral_engine.referrals import privacy
from referral_engine.settings import provider_settings


def queued_or_outbox(channel: str) -> MessageStatus:
    """Queued when the channel has a provider; else the outbox (never sent)."""
    has = Providers.from_settings(provider_settings()).has(channel)
    return MessageStatus.queued if has else MessageStatus.outbox


def queue(
    session: Session,
    *,
    kind: str,
    channel: str,
    to: str,
    subject: str | None,
    body: str,
    now: datetime,
    client_id: int | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
) -> Message:
    """Store a message for the sender to send from ``now`` (queued, or kept in the
    outbox when ``channel`` has no provider): to a client (``client_id``), a staff member
    (``user_id``) or an address of the agency's (neither)."""
    message = Message(
        client_id=client_id,
        user_id=user_id,
        dedupe_key=dedupe_key,
        kind=kind,
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        status=queued_or_outbox(channel),
        attempts=0,
        send_after=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def send_queued(url: str, *, now: datetime, providers: Providers | None = None) -> Counter[str]:
    providers = providers or Providers.from_settings(provider_settings())
    outcomes: Counter[str] = Counter()
    while True:
        with unit_of_work(url) as session:
            claimed = _claim(session, now=now, providers=providers, outcomes=outcomes)
        if claimed is None:
            return outcomes
        outcomes[_transmit(url, claimed, providers=providers, now=now)] += 1


def _claim(
    session: Session, *, now: datetime, providers: Providers, outcomes: Counter[str]
) -> int | None:
    query = (
        select(Message)
        .where(
            Message.status == MessageStatus.queued,
            or_(Message.send_after.is_(None), Message.send_after <= now),
        )
        .order_by(Message.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    book: Rulebook | None = None
    while (message := session.scalars(query).first()) is not None:
        client = session.get(Client, message.client_id) if message.client_id else None
        if client is not None and _refused(client, message.channel):
            message.status, message.error = MessageStatus.failed, "the client may not be reached"
            message.status_at = now
            outcomes["message:not_sent"] += 1
            session.flush()
            continue
        referred = (
            None  # a staff member's own notification: they are no referred person
            if message.user_id is not None
            else privacy.recipient_refusal(
                session, channel=message.channel, to=message.to, client=client
            )
        )
        if referred is not None:
            # A referred person: nobody can consent for them (research R35).
            message.status, message.error = MessageStatus.failed, referred
            message.status_at = now
            outcomes["message:not_sent_referred_person"] += 1
            session.flush()
            continue
        if client is not None and message.kind in pacing.REFERRAL_KINDS:
            book = book or Rulebook.from_settings(load_settings(session))
            waiting = pacing.hold(session, client=client, book=book, now=now, message_id=message.id)
            if waiting is not None:
                # The send window (quiet hours, business days, the law's hours for the
                # client's state and area code) or the 24-hour cap: later, never dropped.
                message.send_after = waiting.until
                outcomes[f"message:waiting_for_{waiting.reason.rule}"] += 1
                session.flush()
                continue
        elif message.channel == "sms" and client is not None:
            book = book or Rulebook.from_settings(load_settings(session))
            allowed = client_window(book, client)[0].earliest_allowed(now)
            if allowed > now:
                message.send_after = allowed  # not about referrals: the window only
                outcomes["message:waiting"] += 1
                session.flush()
                continue
        message.status = MessageStatus.sending
        message.status_at = now  # when it began to leave: it counts against the 24-hour cap
        message.sending_started_at = clock.wall()
        message.attempts += 1
        session.flush()
        return message.id
    return None


def _refused(client: Client, channel: str) -> bool:
    return rules.channel_refusal(rules.ClientFacts.contact(client), channel) is not None


def _transmit(url: str, message_id: int, *, providers: Providers, now: datetime) -> str:
    with unit_of_work(url) as session:
        message = session.get(Message, message_id)
        assert message is not None
        channel, to, body = message.channel, message.to, message.body
        email = _compose(session, message, now=now) if channel == "email" else None
    try:
        if email is not None:
            sent = providers.email_sender().send(email)
        else:
            sent = providers.sms_sender().send(
                to=to, body=body, status_callback=providers.status_callback_url
            )
    except SendFailed as failure:
        with unit_of_work(url) as session:
            return _failed(session, message_id, failure, now=now)
    with unit_of_work(url) as session:
        _sent(session, message_id, sent, now=now)
    return "message:sent"


def _compose(session: Session, message: Message, *, now: datetime) -> EmailMessage:
    settings = load_settings(session)
    env = provider_settings()
    mail_from = env.mail_from or f"{settings.agency.name} <asks@localhost>"
    _, domain = mailbox(mail_from)
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to
    email["Subject"] = message.subject or f"A note from {settings.agency.name}"
    email["Date"] = format_datetime(now)
    email["Message-ID"] = make_msgid(idstring=f"message-{message.id}", domain=domain or None)
    if message.user_id is not None:
        # A notification to a staff member (RFC 3834): no auto-replies, no list footer.
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        return email
    footer = f"\n\n--\n{settings.agency.name}\n{settings.agency.postal_address}".rstrip()
    email.set_content(message.body + footer)
    return email


def _sent(session: Session, message_id: int, sent: Sent, *, now: datetime) -> None:
    message = session.get(Message, message_id)
    assert message is not None
    message.status, message.provider_id = MessageStatus.sent, sent.provider_id
    message.sent_at = message.status_at = now
    message.sending_started_at = None


def _failed(session: Session, message_id: int, failure: SendFailed, *, now: datetime) -> str:
    message = session.get(Message, message_id)
    assert message is not None
    message.error, message.error_code = failure.reason, failure.code
    message.sending_started_at = None
    if failure.transient and message.attempts < MAX_ATTEMPTS:
        message.status = MessageStatus.queued
        message.send_after = now + backoff(message.attempts)
        return "message:retry"
    message.status, message.status_at = MessageStatus.failed, now
    if failure.code == CARRIER_OPTED_OUT and message.channel == "sms":
        from referral_engine.replies.revocation import carrier_opt_out

        carrier_opt_out(session, number=message.to, now=now)
    return "message:failed"


def recover_stale_messages(
    url: str, *, now: datetime, providers: Providers | None = None
) -> Counter[str]:
    """Messages a stopped sender left ``sending``: found at the provider, sent again, or
    flagged ``delivery_unknown`` (email) — never sent twice."""
    env = provider_settings()
    providers = providers or Providers.from_settings(env)
    cutoff = clock.wall() - timedelta(seconds=env.send_lease_seconds)
    outcomes: Counter[str] = Counter()
    with unit_of_work(url) as session:
        stale = session.scalars(
            select(Message).where(
                Message.status == MessageStatus.sending,
                Message.ask_id.is_(None),
                Message.sending_started_at < cutoff,
            )
        ).all()
        for message in stale:
            started = message.sending_started_at or now
            message.sending_started_at = None
            if message.channel == "sms" and providers.has("sms"):
                try:
                    found = providers.sms_sender().find_sent(
                        message.to, message.body, since=started - timedelta(minutes=1)
                    )
                except SendFailed:
                    message.status = MessageStatus.delivery_unknown
                    outcomes["message:delivery_unknown"] += 1
                    continue
                if found:
                    message.status, message.provider_id = MessageStatus.sent, found
                    message.sent_at = message.status_at = now
                    outcomes["message:recovered"] += 1
                else:
                    message.status = MessageStatus.queued
                    outcomes["message:requeued"] += 1
                continue
            message.status = MessageStatus.delivery_unknown
            outcomes["message:delivery_unknown"] += 1
    return outcomes


def record_answer(
    session: Session, *, client_id: int | None, kind: str, to: str, body: str, now: datetime
) -> Message:
    """A text that went out as the answer to the client's own text (the TwiML reply of
    Twilio's inbound webhook), not through the sender: recorded as sent, so the client's
    history shows what they were told and when."""
    message = Message(
        client_id=client_id,
        kind=kind,
        channel="sms",
        to=to,
        body=body,
        status=MessageStatus.sent,
        created_at=now,
        sent_at=now,
        status_at=now,
    )
    session.add(message)
    session.flush()
    return message
