"""Replies come back: matched to their ask, read, and routed to a person at once.

A revocation, by keyword or in the client's own words ("no more texts", "No más"), opts
the client out of the channels it names at once, before anything else happens: every
client record with that number (or address) stops, on every sending number the agency
has. Every reply, a referral made on the hosted page and a repeat click each make a task
for the ask's producer with the whole context; a hot reply is due within four business
hours and, when it names someone, drafts a referral — also when it says stop in the same
breath. A complaint stops further asks to the client.

Confirmation: a revocation of texts in the client's own words over SMS gets exactly one
plain text back, as the answer to their own message; a bare carrier keyword gets none
from us (Twilio's Advanced Opt-Out has answered it), and an email revocation gets no
email (see :func:`receive_sms`).
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask, AskStatus
from referral_engine.contacts.models import (
    Client,
    Policy,
)
from referral_engine.decisions.rules import Reason
from referral_engine.delivery import links
from referral_engine.referrals.service import ProspectFacts, capture_from_client
from referral_engine.replies import repository, revocation
from referral_engine.replies.classify import (
    Reading,
    ReplyClass,
    classify,
    keyword,
    strip_quoted,
)
from referral_engine.replies.models import Reply
from referral_engine.tasks import service as tasks
from referral_engine.webhooks import changes as webhooks


@dataclass(frozen=True)
class SmsAnswer:
    """What to text back (None: nothing; the carrier confirms STOP/START itself)."""

    text: str | None
    outcome: str


# -- SMS -------------------------------------------------------------------------------


def receive_sms(session: Session, *, sid: str, sender: str, body: str, now: datetime) -> SmsAnswer:
    """An inbound text (Twilio's webhook, already verified).

    The answer's text goes back as the webhook's TwiML reply. That is how the one
    confirmation of a revocation in the client's own words is sent: it answers their own
    message at once, whatever the hour (quiet hours and send windows govern messages we
    start, not an answer), with no worker and no queue between. It goes out once per
    request, and never twice for one revocation: a redelivered webhook (same MessageSid)
    is answered "duplicate" before anything is read, and a second "stop" finds the client
    opted out already (the client's row is locked while that is decided, so two texts
    arriving together cannot both confirm).
    """
    settings = load_settings(session)
    client = repository.client_by_mobile(session, mobile=sender)
    word = keyword(body)
    if word == "help":
        return SmsAnswer(revocation.help_text(settings.agency), "help")
    if client is not None and word == "opt_out":
        # Twilio has blocked the number and confirmed; we stop every sending number too.
        revocation.revoke(session, client, said=body, arrived_on="sms", sender=sender, now=now)
    elif client is not None and (
        word == "opt_in" or (body.strip().upper() == "YES" and client.sms_opted_out)
    ):
        resumed = revocation.opt_in(session, client, said=body, now=now)
        return SmsAnswer(None, "opt_in" if resumed else "opt_in:no_consent")
    if repository.reply_by_provider_id(session, channel="sms", provider_id=sid):
        return SmsAnswer(None, "duplicate")
    ask = repository.latest_ask_to(session, client_id=client.id, channel="sms") if client else None
    reading = (
        Reading(ReplyClass.opt_out, "STOP keyword", (), 0.0)
        if word == "opt_out"
        else classify(
            body,
            region=settings.agency.phone_region,
            client_name=client.display_name if client else None,
        )
    )
    confirmation = None
    if client is not None and word != "opt_out" and reading.kind == ReplyClass.opt_out:
        revoked = revocation.revoke(
            session, client, said=body, arrived_on="sms", sender=sender, now=now
        )
        if "sms" in revoked:
            confirmation = revocation.confirm_revocation(session, client, to=sender, now=now)
    reply = _store(
        session,
        channel="sms",
        provider_id=sid,
        sender=sender,
        text=body,
        raw=body,
        reading=reading,
        ask=ask,
        client=client,
        now=now,
    )
    route(session, reply, ask=ask, client=client, reading=reading, now=now)
    return SmsAnswer(confirmation, f"reply:{reading.kind}")


# -- email -----------------------------------------------------------------------------


def receive_email(session: Session, *, raw: bytes, now: datetime) -> Reply | None:
    """An email reply (IMAP or an imported .eml); None when it was read before."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    provider_id = str(message.get("Message-ID") or "").strip() or f"sha:{_digest(raw)}"
    if repository.reply_by_provider_id(session, channel="email", provider_id=provider_id):
        return None
    sender = parseaddr(str(message.get("From") or ""))[1].lower()
    ask = _ask_for_email(session, message, sender)
    client = (
        session.get(Client, ask.client_id)
        if ask
        else repository.client_by_email(session, email=sender)
    )
    if ask is None and client is not None:
        ask = repository.latest_ask_to(session, client_id=client.id, channel="email")
    text = strip_quoted(_plain_text(message))
    headers = {k: str(v) for k, v in message.items()}
    settings = load_settings(session)
    subject = str(message.get("Subject") or "").strip()
    unsubscribe = _unsubscribe_token(subject)
    if unsubscribe:
        # The mailto: of List-Unsubscribe: "unsubscribe TOKEN" names the ask exactly.
        ask = repository.ask_by_token(session, token=unsubscribe) or ask
        client = session.get(Client, ask.client_id) if ask else client
    reading = (
        Reading(ReplyClass.opt_out, "unsubscribe request (List-Unsubscribe mailto)", (), 0.0)
        if unsubscribe
        else classify(
            text,
            headers=headers,
            region=settings.agency.phone_region,
            client_name=client.display_name if client else None,
        )
    )
    reply = _store(
        session,
        channel="email",
        provider_id=provider_id,
        sender=sender,
        text=text,
        raw=raw.decode("utf-8", errors="replace"),
        reading=reading,
        ask=ask,
        client=client,
        now=now,
    )
    if unsubscribe and client is not None:
        revocation.opt_out_email(session, client, said=text[:2000] or "unsubscribe", now=now)
    elif reading.kind == ReplyClass.opt_out and client is not None:
        # No confirmation email: the one confirmation the law allows is a text (R5), and
        # an address that has just been revoked gets nothing more from us.
        revocation.revoke(session, client, said=text, arrived_on="email", sender=sender, now=now)
    route(session, reply, ask=ask, client=client, reading=reading, now=now)
    return reply


def _unsubscribe_token(subject: str) -> str | None:
    words = subject.split()
    if len(words) == 2 and words[0].lower() == "unsubscribe":
        return words[1]
    return None


def _ask_for_email(session: Session, message: EmailMessage, sender: str) -> Ask | None:
    for header in ("To", "Delivered-To", "X-Original-To", "Cc"):
        for _, address in email.utils.getaddresses([str(v) for v in message.get_all(header, [])]):
            token = links.token_from_address(address)
            if token:
                found = repository.ask_by_token(session, token=token)
                if found is not None:
                    return found
    references = f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    for part in references.split():
        if part.startswith("<ask-") and "@" in part:
            found = repository.ask_by_token(session, token=part[5:].split("@", 1)[0])
            if found is not None:
                return found
    return None


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    if part.get_content_subtype() == "html":
        from bs4 import BeautifulSoup

        return BeautifulSoup(content, "html.parser").get_text("\n")
    return str(content)


def _digest(raw: bytes) -> str:
    import hashlib

    return hashlib.sha256(raw).hexdigest()[:40]


# -- storing and routing ---------------------------------------------------------------


def _store(
    session: Session,
    *,
    channel: str,
    provider_id: str,
    sender: str,
    text: str,
    raw: str,
    reading: Reading,
    ask: Ask | None,
    client: Client | None,
    now: datetime,
) -> Reply:
    reply = Reply(
        channel=channel,
        provider_id=provider_id[:300],
        ask_id=ask.id if ask else None,
        client_id=client.id if client else None,
        sender=sender[:320],
        text=text,
        raw=raw,
        kind=str(reading.kind),
        why=reading.why,
        prospects=[_prospect_dict(p) for p in reading.prospects],
        received_at=now,
    )
    session.add(reply)
    session.flush()
    webhooks.reply_received(session, reply, now=now)
    if ask is not None:
        asks.record(
            session,
            ask,
            kind="reply",
            status=str(reading.kind),
            detail=f"{channel} reply ({reading.kind}): {reading.why}",
            now=now,
        )
    return reply


def _prospect_dict(prospect: object) -> dict[str, str | None]:
    fields = ("first_name", "last_name", "email", "mobile", "company")
    return {name: getattr(prospect, name, None) for name in fields}


def route(
    session: Session,
    reply: Reply,
    *,
    ask: Ask | None,
    client: Client | None,
    reading: Reading,
    now: datetime,
) -> None:
    """Hand the reply to a person with everything they need; act on complaints."""
    kind = ReplyClass(reading.kind)
    if kind == ReplyClass.auto_reply:
        return  # an out-of-office is not a warm reply: nobody needs to act on it
    if kind == ReplyClass.complaint and client is not None:
        _complaint(session, client, now=now)
    referral = None
    hot = kind == ReplyClass.hot or reading.offers_referral
    if hot and client is not None:
        named = [p for p in reading.prospects if _named(p)]
        if named:
            referral = capture_from_client(
                session,
                prospect=_facts(named[0]),
                client=client,
                ask=ask,
                captured_via="reply",
                now=now,
                reply_id=reply.id,
                notes=f"From the client's reply: “{reply.text[:500]}”",
                needs_confirmation=True,
            )
    who = client.display_name if client else reply.sender
    titles = {
        ReplyClass.hot: f"Hot reply from {who}" + (f": {reading.why}" if reading.why else ""),
        ReplyClass.interested: f"{who} is interested — follow up",
        ReplyClass.complaint: f"Complaint from {who} — call them",
        ReplyClass.opt_out: f"{who} opted out"
        + (" — and offers a referral: call the person they name" if hot else ""),
        ReplyClass.neutral: f"Reply from {who}",
    }
    tasks.create(
        session,
        key=f"reply:{reply.id}",
        kind=f"reply_{kind.value}",
        title=titles.get(kind, f"Reply from {who}"),
        detail=context(session, reply=reply, ask=ask, client=client, reading=reading),
        now=now,
        hot=hot or kind == ReplyClass.complaint,
        assignee_id=tasks.assignee_for(session, ask),
        client_id=client.id if client else None,
        ask_id=ask.id if ask else None,
        reply_id=reply.id,
        referral_id=referral.id if referral else None,
    )


def context(
    session: Session, *, reply: Reply, ask: Ask | None, client: Client | None, reading: Reading
) -> str:
    """The whole story for the person who picks the task up."""
    lines = []
    if client is not None:
        contact = ", ".join(p for p in (client.mobile, client.email) if p)
        lines.append(f"Client: {client.display_name} ({contact})")
    if ask is not None:
        policy = None
        if ask.policy_number:
            from sqlalchemy import select

            policy = session.scalars(
                select(Policy).where(
                    Policy.client_id == ask.client_id, Policy.number == ask.policy_number
                )
            ).first()
        if policy is not None:
            what = " ".join(p for p in (policy.line_of_business, policy.carrier) if p)
            lines.append(f"Policy: {policy.number} {what}".strip())
        lines.append(f"Ask {ask.id} ({ask.trigger}, {ask.channel}): {ask.draft_body}")
    lines.append(f"Reply ({reply.channel}, {reading.kind}): {reply.text}")
    if reading.prospects:
        lines.append("Prospect: " + "; ".join(_facts(p).display for p in reading.prospects))
    return "\n".join(lines)


def _named(prospect: object) -> bool:
    return _facts(prospect).named


def _facts(prospect: object) -> ProspectFacts:
    return ProspectFacts(**_prospect_dict(prospect))


def _complaint(session: Session, client: Client, *, now: datetime) -> None:
    from referral_engine.contacts import service as contacts

    contacts.complaint_received(client, at=now)
    reason = Reason("recent_complaint", "the client complained in a reply")
    for ask in asks.open_asks(session, client_id=client.id):
        asks.set_status(session, ask, status=AskStatus.suppressed, reason=reason, now=now)
