"""Every query the asks area makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from referral_engine.asks.models import (
    COUNTED_STATUSES,
    OPEN_STATUSES,
    Ask,
    AskEntry,
    AskStatus,
    AskTemplate,
)
from referral_engine.contacts import repository as clients
from referral_engine.contacts.models import Client
from referral_engine.search import Search, ordered, page_of, within


def by_moment(session: Session, *, moment_key: str) -> Ask | None:
    return session.scalars(select(Ask).where(Ask.moment_key == moment_key)).first()


def get(session: Session, ask_id: int, *, for_update: bool = False) -> Ask | None:
    query = select(Ask).where(Ask.id == ask_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).first()


def open_for_client(session: Session, *, client_id: int) -> list[Ask]:
    return list(
        session.scalars(
            select(Ask)
            .where(Ask.client_id == client_id, Ask.status.in_(OPEN_STATUSES))
            .order_by(Ask.id)
        )
    )


def last_counted(session: Session, *, client_id: int, other_than: int | None = None) -> Ask | None:
    """The client's latest ask that counts against the frequency cap."""
    when = func.coalesce(Ask.sent_at, Ask.scheduled_for, Ask.created_at)
    query = select(Ask).where(Ask.client_id == client_id, Ask.status.in_(COUNTED_STATUSES))
    if other_than is not None:
        query = query.where(Ask.id != other_than)
    return session.scalars(query.order_by(when.desc(), Ask.id.desc()).limit(1)).first()


def listing(
    session: Session,
    *,
    status: str | None = None,
    client_external_id: str | None = None,
    producer_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    search: Search | None = None,
) -> list[tuple[Ask, Client]]:
    query = select(Ask, Client).join(Client, Client.id == Ask.client_id)
    if search:
        query = query.where(_ask_matches(session, search))
    if status:
        query = query.where(Ask.status == status)
    if client_external_id:
        query = query.where(Client.external_id == client_external_id)
    if producer_id is not None:
        query = query.where(or_(Ask.producer_id == producer_id, Ask.producer_id.is_(None)))
    query = query.order_by(func.coalesce(Ask.scheduled_for, Ask.created_at), Ask.id)
    return [(a, c) for a, c in session.execute(query.limit(limit).offset(offset)).tuples()]


def entries(session: Session, *, ask_id: int) -> list[AskEntry]:
    session.flush()  # timeline entries are written at the next flush
    return list(
        session.scalars(
            select(AskEntry).where(AskEntry.ask_id == ask_id).order_by(AskEntry.at, AskEntry.id)
        )
    )


def entries_for_client(
    session: Session, *, client_id: int, newest: int | None = None
) -> list[tuple[AskEntry, Ask]]:
    """The client's ask entries but the individual rules, oldest first; only the
    ``newest`` ones when given (newest first then)."""
    session.flush()  # timeline entries are written at the next flush
    query = (
        select(AskEntry, Ask)
        .join(Ask, Ask.id == AskEntry.ask_id)
        .where(Ask.client_id == client_id, AskEntry.kind != "rule")
    )
    if newest is None:
        query = query.order_by(AskEntry.at, AskEntry.id)
    else:
        query = query.order_by(AskEntry.at.desc(), AskEntry.id.desc()).limit(newest)
    return [(e, a) for e, a in session.execute(query).tuples()]


def counts_by_status(session: Session, *, producer_id: int | None = None) -> dict[str, int]:
    """Asks by status: all of them, or (``producer_id``) the ones :func:`listing` shows
    that producer (their own and unassigned asks)."""
    query = select(Ask.status, func.count()).group_by(Ask.status)
    if producer_id is not None:
        query = query.where(or_(Ask.producer_id == producer_id, Ask.producer_id.is_(None)))
    return {str(status): count for status, count in session.execute(query).tuples()}


def templates(session: Session) -> list[AskTemplate]:
    return list(session.scalars(select(AskTemplate).order_by(AskTemplate.key)))


def template(session: Session, *, key: str) -> AskTemplate | None:
    return session.scalars(select(AskTemplate).where(AskTemplate.key == key)).first()


def review_entries_between(
    session: Session, *, start: datetime, end: datetime
) -> Sequence[tuple[str, int]]:
    """Review actions (approved, deferred, declined) taken in [start, end), by action."""
    query = (
        select(AskEntry.status, func.count())
        .where(AskEntry.kind == "review", AskEntry.at >= start, AskEntry.at < end)
        .group_by(AskEntry.status)
    )
    return [(str(s), n) for s, n in session.execute(query).tuples()]


def status_changes_between(
    session: Session, *, start: datetime, end: datetime, statuses: Sequence[AskStatus]
) -> list[tuple[str | None, str | None]]:
    """(status, rule) of every decision entry in [start, end) that set one of ``statuses``."""
    query = select(AskEntry.status, AskEntry.rule).where(
        AskEntry.kind == "decision",
        AskEntry.at >= start,
        AskEntry.at < end,
        AskEntry.status.in_([str(s) for s in statuses]),
    )
    return [(s, r) for s, r in session.execute(query).tuples()]


def texted_before(session: Session, *, client_id: int) -> bool:
    """Whether an SMS ask ever went (or may have gone) to this client."""
    query = select(Ask.id).where(
        Ask.client_id == client_id,
        Ask.channel == "sms",
        Ask.status.in_([AskStatus.sending, AskStatus.sent, AskStatus.delivery_unknown]),
    )
    return session.scalars(query.limit(1)).first() is not None


ASK_SORTS = {
    "created": (Ask.created_at,),
    "goes_out": (Ask.scheduled_for,),
    "client": (Client.last_name, Client.first_name),
    "status": (Ask.status,),
    "channel": (Ask.channel,),
}


def page(
    session: Session,
    *,
    search: Search,
    status: str | None = None,
    channel: str | None = None,
    producer_id: int | None = None,
    sort: str = "created",
    descending: bool = True,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Ask, Client]], int]:
    """One page of asks (search: the client's name, company, email, mobile or id, and the
    policy number) and how many match; ``producer_id``: that producer's and unassigned."""
    where = [_ask_matches(session, search), within(Ask.created_at, since, before)]
    if status:
        where.append(Ask.status == status)
    if channel:
        where.append(Ask.channel == channel)
    if producer_id is not None:
        where.append(or_(Ask.producer_id == producer_id, Ask.producer_id.is_(None)))
    order: list[Any] = [ordered(c, descending) for c in ASK_SORTS[sort]]
    order.append(Ask.id.desc() if descending else Ask.id)
    query = select(Ask, Client).join(Client, Client.id == Ask.client_id).where(*where)
    # Every ask has its client (a foreign key): the count needs no join.
    counted = select(Ask.id).where(*where)
    if sort == "client":
        query = query.order_by(*order)
        return page_of(session, query, key=Ask.id, limit=limit, offset=offset, counted=counted)
    # The page's asks are chosen among the asks alone, then joined to their clients: a
    # page far down does not join every ask it skips.
    chosen = counted.order_by(*order).limit(limit).offset(offset)
    query = query.where(Ask.id.in_(chosen)).order_by(*order)
    return page_of(session, query, key=Ask.id, limit=limit, offset=0, counted=counted)


LISTED_CLIENTS = 5_000
"""Up to this many clients found by a search, their asks are read by client id."""


def _ask_matches(session: Session, search: Search) -> ColumnElement[bool]:
    """Asks to a client found by every term: their name, company, email, id or mobile (any
    format), or a policy number they hold. The clients are found first, in their own
    tables; their asks are then read by ``client_id`` through its index, not by testing
    every ask's client in turn (a search for a name nobody has would read every ask)."""
    if not search:
        return true()
    found: set[int] | None = None
    for term in search.terms():
        ids: set[int] = set(session.scalars(clients.ids_found(term)))
        found = ids if found is None else found & ids
        if not found:
            return false()
    assert found is not None
    if len(found) <= LISTED_CLIENTS:
        return Ask.client_id.in_(sorted(found))
    # A search that finds most clients ("e"): the asks of the few it leaves out are not read.
    rest = set(session.scalars(select(Client.id))) - found
    if len(rest) <= LISTED_CLIENTS:
        return Ask.client_id.not_in(sorted(rest)) if rest else true()
    return and_(*(Ask.client_id.in_(clients.ids_found(term)) for term in search.terms()))
