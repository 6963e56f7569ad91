"""Counting the SQL statements a piece of work runs (for tests that a list page costs a
fixed number of queries, however many rows it shows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from referral_engine.db import engine_for


@contextmanager
def statements(db_url: str) -> Iterator[list[str]]:
    """The statements run on ``db_url``'s engine inside the block, in order."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    engine = engine_for(db_url)
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
