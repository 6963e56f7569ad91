"""Thanking the referrer and keeping them informed: a message where one may go, a task
for a person otherwise.

How each source kind is thanked and updated is a table (:data:`THANKS_BY_SOURCE`,
:data:`UPDATES_BY_SOURCE`): ``"message"`` queues an outbound message to a referring
client who has a usable channel (an address or number, recorded consent, not opted
out: the same rule as an ask's channel) and falls back to a task for the
producer when they have none; ``"task"`` always makes the task (a partner: the
relationship is the producer's); ``"none"`` does nothing.

Messages are written with status ``outbox``: the sender (``delivery/service.py``) sends
asks only, so a thank-you or an update waits in the outbox, shown in the UI, until the
sender learns to send referrer messages. They never carry the prospect's line of
business, premium or policy number (see :mod:`referral_engine.referrals.wording`).

What the referrer hears is the referred person's to decide
(:mod:`referral_engine.referrals.privacy`): without their consent only "we reached out —
thank you", once, when the referral is first contacted; with it, each of contacted,
quoting and converted. Each update goes to the referrer once per referral, however often
the status is set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.contacts.models import Client
from referral_engine.decisions import rules as decision_rules
from referral_engine.delivery.messages import queue
from referral_engine.delivery.models import Message
from referral_engine.referrals import priority, privacy, repository, rules, wording
from referral_engine.referrals.models import Partner, Referral, ReferralStatus
from referral_engine.referrals.timeline import record
from referral_engine.tasks import service as tasks
from referral_engine.users.actor import Actor
from referral_engine.users.models import User

THANKS_BY_SOURCE: dict[str, str] = {"client": "message", "partner": "task", "external": "none"}
"""How a referrer is thanked, by ``referred_by_kind`` (the defaults)."""
UPDATES_BY_SOURCE: dict[str, str] = {"client": "message", "partner": "task", "external": "none"}
"""How a referrer hears of progress, by ``referred_by_kind`` (the defaults)."""

THANKS = "thanks"  # Message.kind
UPDATE = "referral_update"  # Message.kind
UPDATE_REFERRER = "update_referrer"  # Task.kind
INFORM_ON = (ReferralStatus.contacted, ReferralStatus.quoting, ReferralStatus.converted)
UPDATE_WITHIN_BUSINESS_HOURS = 8
_SAID = {
    privacy.REACHED_OUT: "we reached out to {name} — thank you",
    ReferralStatus.contacted: "we've been in touch with {name}",
    ReferralStatus.quoting: "we're putting together options for {name}",
    ReferralStatus.converted: "{name} is now a client",
}


def usable_channel(client: Client) -> tuple[str, str] | None:
    """(channel, address) to message ``client`` on, the preferred channel first; None
    when no channel may be used."""
    # The same consent rules as an ask's channel choice.
    choice = decision_rules.choose_channel(decision_rules.ClientFacts.contact(client))
    if choice.needs_consent:
        return None  # nothing automatic without recorded consent: a person thanks them
    channel = choice.channel
    if channel == "email" and client.email:
        return "email", client.email
    if channel == "sms" and client.mobile:
        return "sms", client.mobile
    return None


def prospect_first_name(referral: Referral) -> str:
    return wording.tidy(referral.first_name or referral.company) or "your friend"


def words_for(
    session: Session, referral: Referral, *, referrer: Client | None, writer: User | None
) -> wording.Words:
    """The names a message about ``referral`` uses; ``writer`` signs it."""
    agency = wording.tidy(load_settings(session).agency.name) or "our agency"
    producer = wording.tidy(writer.name if writer else "") or agency
    first = referrer.first_name if referrer else (referral.referred_by_name or "").split(" ")[0]
    return wording.Words(
        first_name=wording.tidy(first),
        prospect_first_name=prospect_first_name(referral),
        producer_name=producer,
        producer_first_name=producer.split(" ")[0],
        agency_name=agency,
    )


def _referrer(session: Session, referral: Referral) -> Client | None:
    if referral.referred_by_client_id is None:
        return None
    return session.get(Client, referral.referred_by_client_id)


def _writer(session: Session, referrer: Client | None) -> User | None:
    return priority.producer_of(session, referrer) or tasks.principal(session)


def _queue(
    session: Session,
    client: Client,
    *,
    kind: str,
    channel: str,
    to: str,
    text: wording.Text,
    now: datetime,
) -> Message:
    return queue(
        session,
        kind=kind,
        client_id=client.id,
        channel=channel,
        to=to,
        subject=text.subject,
        body=text.body,
        now=now,
    )


def thank(
    session: Session,
    referral: Referral,
    *,
    referrer: Client | None,
    fallback: User | None,
    now: datetime,
    actor: Actor,
) -> Message | None:
    """Thank whoever made ``referral`` as :data:`THANKS_BY_SOURCE` says; returns the
    message queued, if one was. Tagged "Referral – Thanked" either way."""
    how = THANKS_BY_SOURCE.get(referral.referred_by_kind, "none")
    if how == "none":
        return None
    channel = usable_channel(referrer) if (how == "message" and referrer) else None
    if referrer is None or channel is None:
        priority.thank_referrer(
            session, referral, referrer=referrer, fallback=fallback, now=now, actor=actor
        )
        return None
    words = words_for(session, referral, referrer=referrer, writer=_writer(session, referrer))
    message = _queue(
        session,
        referrer,
        kind=THANKS,
        channel=channel[0],
        to=channel[1],
        text=wording.render("thanks", words, channel=channel[0]),
        now=now,
    )
    referral.tags = rules.merged(referral.tags, [rules.THANKED])
    record(
        session,
        referral,
        kind="message",
        detail=f"thank-you message to {priority.referrer_name(referral)} by {channel[0]}"
        f" (message {message.id}, in the outbox); tagged {rules.THANKED}",
        now=now,
        actor=actor,
    )
    return message


def inform(
    session: Session, referral: Referral, *, status: ReferralStatus, now: datetime, actor: Actor
) -> Message | None:
    """Tell the referrer ``referral`` reached ``status`` as :data:`UPDATES_BY_SOURCE`
    says and as the referred person allows (:func:`privacy.update_for`); each update
    once. Returns the message queued."""
    if status not in INFORM_ON:
        return None
    how = UPDATES_BY_SOURCE.get(referral.referred_by_kind, "none")
    if how == "none":
        return None
    news = privacy.update_for(status, shared=privacy.outcome_shared(session, referral, now=now))
    if news is None or repository.has_entry(
        session, referral_id=referral.id, kind="update", status=news
    ):
        return None
    referrer = _referrer(session, referral)
    writer = _writer(session, referrer)
    words = words_for(session, referral, referrer=referrer, writer=writer)
    channel = usable_channel(referrer) if (how == "message" and referrer) else None
    if referrer is None or channel is None:
        _update_task(session, referral, news=news, referrer=referrer, words=words, now=now)
        record(
            session,
            referral,
            kind="update",
            status=news,
            detail=f"update task: tell {priority.referrer_name(referral)} "
            + _SAID[news].format(name=words.prospect_first_name),
            now=now,
            actor=actor,
        )
        return None
    text = wording.render(f"update.{news}", words, channel=channel[0])
    message = _queue(
        session, referrer, kind=UPDATE, channel=channel[0], to=channel[1], text=text, now=now
    )
    referral.tags = rules.merged(referral.tags, [rules.UPDATE_SENT])
    record(
        session,
        referral,
        kind="update",
        status=news,
        detail=f"update to {priority.referrer_name(referral)} by {channel[0]} ({news};"
        f" message {message.id}, in the outbox); tagged {rules.UPDATE_SENT}",
        now=now,
        actor=actor,
    )
    return message


def _update_task(
    session: Session,
    referral: Referral,
    *,
    news: str,
    referrer: Client | None,
    words: wording.Words,
    now: datetime,
) -> None:
    partner = (
        session.get(Partner, referral.referred_by_partner_id)
        if referral.referred_by_partner_id
        else None
    )
    owner = priority.producer_of(session, referrer) or tasks.principal(session)
    who = priority.referrer_name(referral)
    contact = ""
    if partner is not None:
        contact = ", ".join(p for p in (partner.phone, partner.email) if p)
    elif referrer is not None:
        contact = ", ".join(p for p in (referrer.mobile, referrer.email) if p)
    draft = wording.render(f"update.{news}", words, channel="email")
    prospect = words.prospect_first_name
    if news == privacy.REACHED_OUT:
        limits = (
            f"Say only that we reached out: whether {prospect} quoted, bought or was declined,"
            f" and anything about their coverage, is {prospect}'s to share (GLBA, NAIC #672)"
            f" unless {prospect} agrees we may tell — record that on the referral"
        )
    else:
        limits = f"{prospect} agreed we may share how it goes; still no coverage details"
    tasks.create(
        session,
        key=f"referral-update:{referral.id}:{news}",
        kind=UPDATE_REFERRER,
        title=f"Update {who}: " + _SAID[news].format(name=prospect),
        detail=f"{who}{f' ({contact})' if contact else ''} introduced "
        f"{prospect}. Let them know. {limits}. A draft:\n\n{draft.body}",
        now=now,
        within_hours=UPDATE_WITHIN_BUSINESS_HOURS,
        assignee_id=owner.id if owner else None,
        client_id=referrer.id if referrer else None,
        referral_id=referral.id,
    )


def who_is_told(
    session: Session, referral: Referral, *, now: datetime
) -> dict[ReferralStatus, str]:
    """For each status whose setting would queue the referrer a message (not a task for a
    person, not nothing): the referrer's first name, for a button that says so ("Mark
    converted and tell Reese"). The same rule as :func:`inform`, without its effects."""
    return who_is_told_of(session, [referral], now=now).get(referral.id, {})


def who_is_told_of(
    session: Session, referrals: list[Referral], *, now: datetime
) -> dict[int, dict[ReferralStatus, str]]:
    """:func:`who_is_told` for a list's referrals, by referral id, in a fixed number of
    queries (the referrers, the consents to share, the updates already sent)."""
    told_by_message = [
        r
        for r in referrals
        if UPDATES_BY_SOURCE.get(r.referred_by_kind, "none") == "message"
        and r.referred_by_client_id is not None
    ]
    if not told_by_message:
        return {}
    ids = {r.referred_by_client_id for r in told_by_message}
    referrers = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(ids)))}
    shared = privacy.sharing(session, told_by_message, now=now)
    sent = repository.entries_of(
        session, referral_ids=[r.id for r in told_by_message], kind="update"
    )
    answer: dict[int, dict[ReferralStatus, str]] = {}
    for referral in told_by_message:
        referrer = referrers.get(referral.referred_by_client_id or 0)
        if referrer is None or usable_channel(referrer) is None:
            continue
        name = wording.tidy(referrer.first_name) or "the referrer"
        told: dict[ReferralStatus, str] = {}
        for status in INFORM_ON:
            news = privacy.update_for(status, shared=referral.id in shared)
            if news is not None and (referral.id, news) not in sent:
                told[status] = name
        if told:
            answer[referral.id] = told
    return answer
