"""Every query the sources area makes: the poll state of each source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from referral_engine.sources.models import SourceState


def states(session: Session) -> dict[str, SourceState]:
    return {s.name: s for s in session.scalars(select(SourceState))}


def state(session: Session, name: str) -> SourceState | None:
    return session.get(SourceState, name)


def ensure_state(session: Session, name: str) -> None:
    """A row for ``name`` (a concurrent creator's row is kept)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SourceState)
        .values(name=name, failures=0, polls=0)
        .on_conflict_do_nothing(index_elements=["name"])
    )


def claim_poll(session: Session, *, name: str, now: datetime, every: timedelta | None) -> bool:
    """Mark ``name`` as polled at ``now`` if it is due (``every`` None: due at once).

    A compare-and-set: of several workers only one claims a source's poll.
    """
    ensure_state(session, name)
    statement = update(SourceState).where(SourceState.name == name)
    if every is not None:
        statement = statement.where(
            or_(SourceState.last_polled_at.is_(None), SourceState.last_polled_at <= now - every)
        )
    result = session.execute(
        statement.values(last_polled_at=now, polls=SourceState.polls + 1),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


def advance_cursor(session: Session, *, name: str, to: datetime) -> str:
    """Move the cursor forward to ``to`` (never back); returns the cursor now stored."""
    ensure_state(session, name)
    current = state(session, name)
    assert current is not None
    stored = datetime.fromisoformat(current.cursor) if current.cursor else None
    if stored is None or to > stored:
        current.cursor = to.astimezone(UTC).isoformat()
        session.flush()
    return str(current.cursor)


def record_poll(session: Session, *, name: str, now: datetime, error: str | None) -> None:
    """The outcome of a poll: a success clears the failure count, an error is kept."""
    ensure_state(session, name)
    current = state(session, name)
    assert current is not None
    if error is None:
        current.last_success_at = now
        current.failures = 0
    else:
        current.last_error_at = now
        current.last_error = error[:2000]
        current.failures = (current.failures or 0) + 1
    session.flush()
