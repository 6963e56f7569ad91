"""After the send: asks a stopped worker left ``sending`` are reconciled or handed to a
person, and a provider's delivery reports are recorded.

Recovery (guarantee 3 of :mod:`referral_engine.delivery.service`): once a ``sending`` ask
is older than the lease, Twilio is asked whether the text left (found: ``sent``; not
found: scheduled again); where the provider cannot say (SMTP) the ask becomes
``delivery_unknown`` with a task for a person — never a second message. A delivery report
with Twilio's error 21610 opts the number out of texts, as a STOP would.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask, AskStatus
from referral_engine.db import unit_of_work
from referral_engine.decisions.rules import Reason
from referral_engine.delivery import repository
from referral_engine.delivery.channels import SendFailed, Sent
from referral_engine.delivery.models import MessageStatus
from referral_engine.delivery.providers import Providers
from referral_engine.delivery.service import CARRIER_OPTED_OUT, Outgoing, record_sent
from referral_engine.settings import provider_settings
from referral_engine.webhooks import changes as webhooks


def recover_stale(
    url: str,
    *,
    now: datetime,
    providers: Providers | None = None,
    stale_after: timedelta | None = None,
) -> Counter[str]:
    """Asks left ``sending`` by a worker that stopped: reconcile or hand to a person."""
    env = provider_settings()
    providers = providers or Providers.from_settings(env)
    if stale_after is None:
        stale_after = timedelta(seconds=env.send_lease_seconds)
    outcomes: Counter[str] = Counter()
    cutoff = clock.wall() - stale_after
    with unit_of_work(url) as session:
        stale = repository.stale_sending(session, before=cutoff)
        for ask in stale:
            outcomes[_reconcile(session, ask, providers=providers, now=now)] += 1
    return outcomes


def _reconcile(session: Session, ask: Ask, *, providers: Providers, now: datetime) -> str:
    from referral_engine.tasks import service as tasks

    message = repository.message_for_ask(session, ask_id=ask.id)
    started = ask.sending_started_at or now
    if ask.channel == "sms" and message is not None and providers.has("sms"):
        try:
            found = providers.sms_sender().find_sent(
                message.to, message.body, since=started - timedelta(minutes=1)
            )
        except SendFailed:
            found = None
            checked = False
        else:
            checked = True
        if found:
            item = Outgoing(
                ask.id, message.id, "sms", message.to, None, message.body, ask.token, started
            )
            record_sent(session, item, Sent(found, "found at the provider"), now=now)
            return "recover:sent"
        if checked:
            ask.status = AskStatus.scheduled
            ask.sending_started_at = None
            asks.record(
                session,
                ask,
                kind="schedule",
                status=AskStatus.scheduled,
                detail="the sender stopped before the provider took the text; sending again",
                now=now,
            )
            return "recover:rescheduled"
    ask.status = AskStatus.delivery_unknown
    ask.sending_started_at = None
    if message is not None:
        message.status = MessageStatus.delivery_unknown
    reason = Reason(
        "delivery_unknown",
        "the sender stopped while handing this ask to the provider; it may or may not have "
        "gone out — check with the client before sending anything again",
    )
    asks.record(session, ask, kind="rule", rule=reason.rule, detail=reason.detail, now=now)
    asks.record(
        session,
        ask,
        kind="decision",
        status=AskStatus.delivery_unknown,
        detail="delivery unknown",
        now=now,
    )
    webhooks.ask_decided(session, ask, now=now)
    tasks.for_delivery_unknown(session, ask=ask, now=now)
    return "recover:delivery_unknown"


STATUS_MAP = {
    "delivered": MessageStatus.delivered,
    "undelivered": MessageStatus.undelivered,
    "failed": MessageStatus.failed,
    "sent": MessageStatus.sent,
}


def record_status(
    session: Session, *, provider_id: str, status: str, error_code: str | None, now: datetime
) -> str:
    """A provider's delivery report for a message it took."""
    message = repository.message_by_provider_id(session, provider_id=provider_id)
    mapped = STATUS_MAP.get(status)
    if message is None or mapped is None:
        return "status:ignored"
    message.status = mapped
    message.status_at = now
    if error_code:
        message.error_code = error_code
    ask = session.get(Ask, message.ask_id) if message.ask_id else None
    if ask is not None and mapped != MessageStatus.sent:
        code = f" (error {error_code})" if error_code else ""
        asks.record(session, ask, kind="status", status=status, detail=f"{status}{code}", now=now)
    if error_code == CARRIER_OPTED_OUT and message.channel == "sms":
        from referral_engine.replies.revocation import carrier_opt_out

        carrier_opt_out(session, number=message.to, now=now)
    return f"status:{status}"
