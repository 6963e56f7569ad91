"""Every query the delivery area makes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask, AskStatus
from referral_engine.contacts.models import Client
from referral_engine.delivery.models import Click, Message, MessageStatus, ReferSubmission
from referral_engine.search import Search, matching, ordered, page_of, within


def due_asks(session: Session, *, now: datetime, limit: int) -> list[Ask]:
    """Scheduled asks whose time has come, locked for this worker.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED``: a second worker skips the rows this one
    holds; on SQLite the write transaction (BEGIN IMMEDIATE) serializes workers.
    """
    query = (
        select(Ask)
        .where(Ask.status == AskStatus.scheduled, Ask.scheduled_for <= now)
        .order_by(Ask.scheduled_for, Ask.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def stale_sending(session: Session, *, before: datetime) -> list[Ask]:
    query = select(Ask).where(Ask.status == AskStatus.sending, Ask.sending_started_at < before)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query.order_by(Ask.id)))


def message_for_ask(session: Session, *, ask_id: int) -> Message | None:
    return session.scalars(
        select(Message).where(Message.ask_id == ask_id, Message.kind == "ask").limit(1)
    ).first()


def message_by_provider_id(session: Session, *, provider_id: str) -> Message | None:
    return session.scalars(select(Message).where(Message.provider_id == provider_id)).first()


def messages(
    session: Session, *, status: str | None, limit: int, offset: int, recipient: str = "all"
) -> list[Message]:
    """Outbound messages, newest first; ``recipient`` ``clients`` leaves out notifications
    to staff, ``staff`` lists only those."""
    query = select(Message)
    if status:
        query = query.where(Message.status == status)
    if recipient == "clients":
        query = query.where(Message.user_id.is_(None))
    elif recipient == "staff":
        query = query.where(Message.user_id.is_not(None))
    return list(session.scalars(query.order_by(Message.id.desc()).limit(limit).offset(offset)))


def outbox(session: Session) -> list[Message]:
    """Messages to clients kept in the outbox, oldest first (staff notices: see
    :func:`staff_outbox_count`)."""
    query = select(Message).where(Message.status == MessageStatus.outbox, Message.user_id.is_(None))
    return list(session.scalars(query.order_by(Message.id)))


def staff_outbox_count(session: Session) -> int:
    """Notices to staff (tasks, digests, invitations) kept in the outbox, unsent."""
    query = select(func.count()).where(
        Message.status == MessageStatus.outbox, Message.user_id.is_not(None)
    )
    return int(session.scalar(query) or 0)


def outbox_asks(session: Session, *, channels: Collection[str]) -> list[Ask]:
    """Asks kept in the outbox on ``channels``, oldest first, locked for this transaction
    (PostgreSQL): two principals pressing "send them" release each ask once."""
    query = (
        select(Ask)
        .where(Ask.status == AskStatus.outbox, Ask.channel.in_(list(channels)))
        .order_by(Ask.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list(session.scalars(query))


def count_outbox_asks(session: Session, *, channels: Collection[str], now: datetime) -> int:
    """Asks in the outbox on ``channels`` still inside their warmth window at ``now``."""
    query = select(func.count()).where(
        Ask.status == AskStatus.outbox,
        Ask.channel.in_(list(channels)),
        Ask.expires_at > now,
    )
    return int(session.scalar(query) or 0)


def clients_by_id(session: Session, *, ids: Collection[int]) -> dict[int, Client]:
    return {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(list(ids))))}


def clicks(session: Session, *, ask_id: int) -> list[Click]:
    return list(session.scalars(select(Click).where(Click.ask_id == ask_id).order_by(Click.id)))


def lock_client(session: Session, *, client_id: int) -> None:
    """Hold the client's row until the transaction ends (PostgreSQL; SQLite's write
    transaction already serializes senders): two senders counting the same client's
    messages take turns, so both cannot take the last place under the 24-hour cap."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Client.id).where(Client.id == client_id).with_for_update())


def send_instants(
    session: Session,
    *,
    client_id: int,
    kinds: Collection[str],
    since: datetime,
    other_than_ask: int | None = None,
    other_than_message: int | None = None,
) -> list[datetime]:
    """When each message of ``kinds`` to the client left after ``since``: a sent one at its
    ``sent_at``; one still ``sending`` or ``delivery_unknown`` (it may have left) at its
    claim (``status_at``, else ``created_at``). Queued, outbox and never-sent failed
    messages do not count."""
    query = select(Message).where(
        Message.client_id == client_id,
        Message.kind.in_(list(kinds)),
        or_(
            Message.sent_at.is_not(None),
            Message.status.in_([MessageStatus.sending, MessageStatus.delivery_unknown]),
        ),
    )
    if other_than_ask is not None:
        query = query.where(or_(Message.ask_id.is_(None), Message.ask_id != other_than_ask))
    if other_than_message is not None:
        query = query.where(Message.id != other_than_message)
    instants = (m.sent_at or m.status_at or m.created_at for m in session.scalars(query))
    return sorted(t for t in instants if t > since)


def refer_submissions(
    session: Session, *, since: datetime, ask_id: int | None = None, address: str | None = None
) -> list[datetime]:
    """When referrals were sent through the introduce page since ``since``: for one ask's
    link, or from one client address (oldest first)."""
    query = select(ReferSubmission.at).where(ReferSubmission.at > since)
    if ask_id is not None:
        query = query.where(ReferSubmission.ask_id == ask_id)
    if address is not None:
        query = query.where(ReferSubmission.address == address)
    return list(session.scalars(query.order_by(ReferSubmission.at)))


def forget_refer_submissions(session: Session, *, before: datetime) -> None:
    session.execute(delete(ReferSubmission).where(ReferSubmission.at <= before))


def sent_to_client(session: Session, *, client_id: int, limit: int) -> list[Message]:
    """The newest ``limit`` messages to the client (sent, waiting or failed), newest first."""
    when = func.coalesce(Message.sent_at, Message.created_at)
    query = (
        select(Message)
        .where(Message.client_id == client_id)
        .order_by(when.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


OUTBOX_SORTS = {
    "created": (Message.created_at,),
    "channel": (Message.channel,),
    "to": (Message.to,),
}


def outbox_page(
    session: Session,
    *,
    search: Search,
    channel: str | None = None,
    producer_id: int | None = None,
    sort: str = "created",
    descending: bool = True,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Message], int]:
    """One page of messages to clients kept in the outbox, and how many match. Search:
    the address or number (any format), the subject, the client's name. ``producer_id``:
    only asks that producer may mark sent (their own and unassigned)."""
    query = (
        select(Message)
        .outerjoin(Ask, Ask.id == Message.ask_id)
        .outerjoin(Client, Client.id == Message.client_id)
        .where(Message.status == MessageStatus.outbox, Message.user_id.is_(None))
    )
    query = query.where(
        matching(
            search,
            text=[Message.to, Message.subject, Client.first_name, Client.last_name],
            phones=[Message.to],
        )
    )
    if channel:
        query = query.where(Message.channel == channel)
    if producer_id is not None:
        query = query.where(
            Message.ask_id.is_not(None),
            or_(Ask.producer_id == producer_id, Ask.producer_id.is_(None)),
        )
    query = query.where(within(Message.created_at, since, before))
    order = [ordered(c, descending) for c in OUTBOX_SORTS[sort]]
    query = query.order_by(*order, Message.id.desc() if descending else Message.id)
    found, total = page_of(session, query, key=Message.id, limit=limit, offset=offset)
    return [message for (message,) in found], total
