"""The sender: due asks go out exactly once, or are flagged for a person.

Guarantees (docs/operations.md says the same):

1. A due ask is claimed in its own committed transaction — on PostgreSQL with
   ``FOR UPDATE SKIP LOCKED``, so several workers never claim the same ask — and marked
   ``sending`` with the instant before the provider is called.
2. The provider is called outside any transaction; its answer is recorded in a second
   transaction: ``sent``, back to ``scheduled`` with backoff (transient failure), or
   ``failed`` with the reason (permanent failure, never retried).
3. A worker killed between 1 and 2 leaves the ask ``sending``. Once that is older than the
   lease, recovery asks the provider where it can (Twilio lists messages sent to a
   number): found means ``sent``, not found means it never left and is scheduled again.
   Where it cannot (SMTP), the ask becomes ``delivery_unknown`` with a task for a person —
   never a second message.

So a message may be lost only to a person's attention, never sent twice. Just before the
claim, the client's send window and the 24-hour message cap are checked again
(:mod:`referral_engine.delivery.pacing`): an ask they keep back is scheduled later, with
the reason, never dropped.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings, secret_key
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask, AskStatus
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.decisions import rules
from referral_engine.decisions.rules import Reason, Rulebook
from referral_engine.decisions.send_windows import client_window
from referral_engine.delivery import links, pacing, repository
from referral_engine.delivery.channels import SendFailed, Sent
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.delivery.providers import Providers
from referral_engine.settings import AgencySettings, ProviderSettings, provider_settings
from referral_engine.webhooks import changes as webhooks

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 6
CARRIER_OPTED_OUT = "21610"  # Twilio: the number sent STOP to the carrier


@dataclass(frozen=True)
class Outgoing:
    """A claimed ask, ready to hand to its provider (composed before the claim commits)."""

    ask_id: int
    message_id: int
    channel: str
    to: str
    subject: str | None
    body: str
    token: str
    started_at: datetime


def backoff(attempt: int) -> timedelta:
    """5 min, 10, 20, 40, 80… capped at 6 hours."""
    return min(timedelta(minutes=5 * 2 ** max(attempt - 1, 0)), timedelta(hours=6))


def send_due(
    url: str, *, now: datetime, providers: Providers | None = None, batch: int = 20
) -> Counter[str]:
    """Send every ask due at ``now``; returns what happened ("send:sent", …)."""
    providers = providers or Providers.from_settings(provider_settings())
    outcomes: Counter[str] = Counter()
    while True:
        with unit_of_work(url) as session:
            claimed, decided = _claim(session, now=now, providers=providers, batch=batch)
        outcomes.update(decided)
        if not claimed:
            return outcomes
        for item in claimed:
            outcomes[_transmit(url, item, providers=providers, now=now)] += 1


def _claim(
    session: Session, *, now: datetime, providers: Providers, batch: int
) -> tuple[list[Outgoing], Counter[str]]:
    settings = load_settings(session)
    book = Rulebook.from_settings(settings)
    claimed: list[Outgoing] = []
    decided: Counter[str] = Counter()
    for ask in repository.due_asks(session, now=now, limit=batch):
        client = session.get(Client, ask.client_id)
        assert client is not None
        outcome = _refusal(session, ask, client, settings, book, now)
        if outcome:
            decided[outcome] += 1
            continue
        assert ask.channel is not None
        to = client.email if ask.channel == "email" else client.mobile
        assert to is not None
        subject, body = ask.draft_subject, ask.draft_body
        if not providers.has(ask.channel):
            _to_outbox(session, ask, to=to, now=now)
            decided["send:outbox"] += 1
            continue
        waiting = pacing.hold(session, client=client, book=book, now=now, ask_id=ask.id)
        if waiting is not None:
            pacing.postpone(session, ask, waiting, now=now)
            decided[f"send:waiting_for_{waiting.reason.rule}"] += 1
            continue
        started = clock.wall()
        message = repository.message_for_ask(session, ask_id=ask.id) or Message(
            ask_id=ask.id,
            client_id=client.id,
            kind="ask",
            channel=ask.channel,
            to=to,
            subject=subject,
            body=body,
            status=MessageStatus.sending,
            attempts=0,
            created_at=now,
        )
        message.status = MessageStatus.sending
        message.status_at = now  # when it began to leave: it counts against the 24-hour cap
        message.attempts += 1
        session.add(message)
        ask.status = AskStatus.sending
        ask.sending_started_at = started
        ask.send_attempts += 1
        ask.updated_at = now
        session.flush()
        claimed.append(
            Outgoing(ask.id, message.id, ask.channel, to, subject, body, ask.token, started)
        )
        # One at a time: an ask is marked "sending" only just before its own provider
        # call, so a sender that dies leaves at most one ask in doubt, not a batch.
        break
    return claimed, decided


def _refusal(
    session: Session,
    ask: Ask,
    client: Client,
    settings: AgencySettings,
    book: Rulebook,
    now: datetime,
) -> str | None:
    """Why a due ask must not go out now (it is updated to say so), or None."""
    from referral_engine.decisions.service import client_facts

    facts = client_facts(session, client, now=now, other_than=ask.id)
    if ask.channel is None or rules.channel_refusal(facts, ask.channel) is not None:
        reason = rules.channel_refusal(facts, ask.channel or "email") or Reason(
            "no_consent", "no channel"
        )
        asks.set_status(session, ask, status=AskStatus.suppressed, reason=reason, now=now)
        return "send:suppressed"
    complaint = rules.complaint_reason(facts, book, now)
    if complaint:
        asks.set_status(session, ask, status=AskStatus.suppressed, reason=complaint, now=now)
        return "send:suppressed"
    if ask.channel == "email" and not settings.agency.postal_address.strip():
        window, _ = client_window(book, client)
        later = window.next_slot(now + timedelta(hours=1))
        reason = Reason(
            "postal_address",
            "no email goes out while the agency's postal address is unset (CAN-SPAM): "
            "set [agency] postal_address",
        )
        if not any(r["rule"] == "postal_address" for r in ask.reasons):
            asks.record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
            ask.reasons = [*ask.reasons, reason.as_dict()]
        ask.scheduled_for = later
        return "send:waiting_for_postal_address"
    return None


def _to_outbox(session: Session, ask: Ask, *, to: str, now: datetime) -> None:
    session.add(
        Message(
            ask_id=ask.id,
            client_id=ask.client_id,
            kind="ask",
            channel=ask.channel or "email",
            to=to,
            subject=ask.draft_subject,
            body=ask.draft_body,
            status=MessageStatus.outbox,
            attempts=0,
            created_at=now,
        )
    )
    ask.status = AskStatus.outbox
    ask.updated_at = now
    asks.record(
        session,
        ask,
        kind="status",
        status=AskStatus.outbox,
        detail=f"no {ask.channel} provider is configured: kept in the outbox, not sent",
        now=now,
    )
    webhooks.ask_outbox(session, ask, to=to, now=now)


def _transmit(url: str, item: Outgoing, *, providers: Providers, now: datetime) -> str:
    try:
        sent = _call_provider(url, item, providers=providers, now=now)
    except SendFailed as failure:
        with unit_of_work(url) as session:
            return _record_failure(session, item, failure, now=now)
    except Exception as exc:  # a bug must not leave the ask "sending" for ever
        log.exception("sending ask %s failed unexpectedly", item.ask_id)
        unexpected = SendFailed(f"unexpected error: {type(exc).__name__}", transient=True)
        with unit_of_work(url) as session:
            return _record_failure(session, item, unexpected, now=now)
    with unit_of_work(url) as session:
        record_sent(session, item, sent, now=now)
    return "send:sent"


def _call_provider(url: str, item: Outgoing, *, providers: Providers, now: datetime) -> Sent:
    if item.channel == "sms":
        return providers.sms_sender().send(
            to=item.to, body=item.body, status_callback=providers.status_callback_url
        )
    with unit_of_work(url) as session:
        message = compose_email(session, item, env=providers.env, now=now)
    return providers.email_sender().send(message)


def compose_email(session: Session, item: Outgoing, *, env: ProviderSettings, now: datetime):  # type: ignore[no-untyped-def]
    from referral_engine.delivery.email import AskEmail, compose

    settings = load_settings(session)
    key = secret_key(session)
    mail_from = env.mail_from or f"{settings.agency.name} <asks@localhost>"
    local, domain = links.mailbox(mail_from)
    return compose(
        AskEmail(
            to=item.to,
            mail_from=mail_from,
            reply_to=links.reply_to(mail_from, item.token),
            subject=item.subject or f"A note from {settings.agency.name}",
            body=item.body,
            unsubscribe_url=links.unsubscribe_url(env.public_url, item.token, key),
            unsubscribe_mailto=f"{local}@{domain}?subject=unsubscribe%20{item.token}",
            postal_address=settings.agency.postal_address,
            agency_name=settings.agency.name,
            message_id_domain=domain or "localhost",
            ask_token=item.token,
            link=links.refer_url(env.public_url, item.token, key),
        ),
        now=now,
    )


def record_sent(session: Session, item: Outgoing, sent: Sent, *, now: datetime) -> None:
    ask = session.get(Ask, item.ask_id)
    message = session.get(Message, item.message_id)
    assert ask is not None and message is not None
    ask.status = AskStatus.sent
    ask.sent_at = now
    ask.sending_started_at = None
    ask.updated_at = now
    message.status = MessageStatus.sent
    message.provider_id = sent.provider_id
    message.sent_at = now
    message.status_at = now
    asks.record(
        session,
        ask,
        kind="status",
        status=AskStatus.sent,
        detail=f"sent by {item.channel} ({sent.provider_id})",
        now=now,
    )
    webhooks.ask_sent(session, ask, now=now)


def _record_failure(session: Session, item: Outgoing, failure: SendFailed, *, now: datetime) -> str:
    ask = session.get(Ask, item.ask_id)
    message = session.get(Message, item.message_id)
    assert ask is not None and message is not None
    message.error, message.error_code = failure.reason, failure.code
    ask.sending_started_at = None
    client = session.get(Client, ask.client_id)
    assert client is not None
    if failure.transient and ask.send_attempts < MAX_ATTEMPTS:
        book = Rulebook.from_settings(load_settings(session))
        window, _ = client_window(book, client)
        retry_at = window.earliest_allowed(now + backoff(ask.send_attempts))
        message.status = MessageStatus.sending
        ask.status = AskStatus.scheduled
        ask.scheduled_for = retry_at
        ask.updated_at = now
        asks.record(
            session,
            ask,
            kind="schedule",
            status=AskStatus.scheduled,
            detail=f"{item.channel} provider failed for now ({_code(failure)}{failure.reason}); "
            f"attempt {ask.send_attempts} of {MAX_ATTEMPTS}, retrying "
            f"{retry_at:%Y-%m-%d %H:%M} UTC",
            now=now,
        )
        return "send:retry"
    message.status = MessageStatus.failed
    message.status_at = now
    why = "permanent failure" if not failure.transient else f"gave up after {MAX_ATTEMPTS}"
    reason = Reason("delivery_failed", f"{why}: {_code(failure)}{failure.reason}")
    asks.set_status(session, ask, status=AskStatus.failed, reason=reason, now=now)
    if failure.code == CARRIER_OPTED_OUT:
        from referral_engine.replies.revocation import carrier_opt_out

        carrier_opt_out(session, number=item.to, now=now)
    return "send:failed"


def _code(failure: SendFailed) -> str:
    return f"{failure.code} " if failure.code else ""
