"""Every query the events area makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import insert as insert_statement
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from referral_engine.events.models import Event, Outcome, RawInput, WebhookMessage
from referral_engine.search import Search, matching, ordered, page_of, within


def existing_keys(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (source, id) pairs among ``keys`` already stored."""
    by_source: dict[str, set[str]] = {}
    for source, external_id in keys:
        by_source.setdefault(source, set()).add(external_id)
    found: set[tuple[str, str]] = set()
    # One `source = … AND external_id IN (…)` per source: a row-value IN list is not
    # planned as an index lookup on PostgreSQL and turns imports quadratic.
    for source, ids in by_source.items():
        rows = session.execute(
            select(Event.external_id).where(
                Event.source == source, Event.external_id.in_(sorted(ids))
            )
        )
        found.update((source, r[0]) for r in rows)
    return found


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert events, skipping any (source, id) already stored; returns the new ids by key."""
    if not rows:
        return {}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # executemany through the connection: SQLAlchemy batches it into multi-row
    # INSERT ... RETURNING ("insertmanyvalues") with a cached compiled statement.
    statement = (
        insert(Event)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(Event.id, Event.source, Event.external_id)
    )
    result = session.connection().execute(statement, list(rows))
    return {(r.source, r.external_id): r.id for r in result}


def insert_raw_inputs(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert_statement(RawInput), list(rows))


def webhook_message_seen(session: Session, *, source: str, message_id: str) -> bool:
    query = select(WebhookMessage.id).where(
        WebhookMessage.source == source, WebhookMessage.message_id == message_id
    )
    return session.scalars(query.limit(1)).first() is not None


def claim_webhook_message(session: Session, *, source: str, message_id: str, now: Any) -> bool:
    """Record a webhook message id; False when it was seen before (a replay)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(WebhookMessage)
        .values(source=source, message_id=message_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["source", "message_id"])
        .returning(WebhookMessage.id)
    )
    return session.execute(statement).first() is not None


def rejected_inputs(
    session: Session,
    *,
    source: str | None = None,
    include_reprocessed: bool = False,
    limit: int | None = None,
) -> list[RawInput]:
    query = select(RawInput).where(RawInput.outcome == Outcome.rejected)
    if source:
        query = query.where(RawInput.source == source)
    if not include_reprocessed:
        query = query.where(RawInput.reprocessed_at.is_(None))
    query = query.order_by(RawInput.id)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def raw_inputs(
    session: Session, *, outcome: str | None, source: str | None, limit: int, offset: int = 0
) -> list[RawInput]:
    query = select(RawInput)
    if outcome:
        query = query.where(RawInput.outcome == outcome)
    if source:
        query = query.where(RawInput.source == source)
    return list(session.scalars(query.order_by(RawInput.id.desc()).limit(limit).offset(offset)))


def event_by_key(session: Session, *, source: str, external_id: str) -> Event | None:
    return session.scalars(
        select(Event).where(Event.source == source, Event.external_id == external_id)
    ).first()


def tallies_by_source(session: Session) -> list[tuple[str, str, int, Any]]:
    """(source, outcome, inputs, latest received_at) for every source and outcome."""
    query = select(
        RawInput.source, RawInput.outcome, func.count(), func.max(RawInput.received_at)
    ).group_by(RawInput.source, RawInput.outcome)
    return [(r[0], str(r[1]), int(r[2]), r[3]) for r in session.execute(query)]


def latest_input(session: Session, *, source: str, outcome: Outcome) -> RawInput | None:
    """The source's newest input with that outcome (an index lookup)."""
    query = (
        select(RawInput)
        .where(RawInput.source == source, RawInput.outcome == outcome)
        .order_by(RawInput.received_at.desc(), RawInput.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def event_instants(session: Session, event_id: int) -> tuple[Any, Any] | None:
    """(occurred_at, received_at) of one event."""
    row = session.execute(
        select(Event.occurred_at, Event.received_at).where(Event.id == event_id)
    ).first()
    return (row[0], row[1]) if row else None


RAW_INPUT_SORTS = {
    "received": (RawInput.received_at,),
    "source": (RawInput.source,),
    "outcome": (RawInput.outcome,),
}


def raw_input_page(
    session: Session,
    *,
    search: Search,
    outcome: str | None = None,
    source: str | None = None,
    sort: str = "received",
    descending: bool = True,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[RawInput], int]:
    """One page of raw inputs, newest first by default, and how many match. Search: the
    source, the event id, the file name, the reason."""
    query = select(RawInput).where(
        matching(
            search,
            text=[RawInput.source, RawInput.event_key, RawInput.file_name, RawInput.reason],
        )
    )
    if outcome:
        query = query.where(RawInput.outcome == outcome)
    if source:
        query = query.where(RawInput.source == source)
    query = query.where(within(RawInput.received_at, since, before))
    order = [ordered(c, descending) for c in RAW_INPUT_SORTS[sort]]
    query = query.order_by(*order, RawInput.id.desc() if descending else RawInput.id)
    found, total = page_of(session, query, key=RawInput.id, limit=limit, offset=offset)
    return [row for (row,) in found], total
