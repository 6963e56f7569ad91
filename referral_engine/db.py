"""Engine, sessions and the declarative base.

One engine per database URL, one session factory. SQLite runs in WAL mode with foreign
keys on and a busy timeout so that a web process and a worker can share the file;
PostgreSQL is used as is. Services never commit: the request dependency, the CLI
command and the worker own the transaction (see :func:`unit_of_work`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, func, inspect, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from referral_engine.clock import as_utc

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored as UTC; SQLite's naive values come back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; every instant must be aware")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def engine_for(url: str) -> Engine:
    """The one engine for ``url`` in this process."""
    url = normalize_url(url)
    if url not in _engines:
        if is_sqlite(url):
            engine = create_engine(
                url,
                connect_args={"timeout": 30, "check_same_thread": False},
                hide_parameters=True,  # no client data in error messages and logs
            )
            _tune_sqlite(engine)
        else:
            engine = create_engine(
                url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True
            )
        _engines[url] = engine
    return _engines[url]


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level so that SQLAlchemy's BEGIN below is the only one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    turn = _WriteTurn()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: two writers queue instead of one
        # failing half way with "database is locked" on lock upgrade.
        turn.take(connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        turn.give_back(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exc: Any) -> None:
        turn.give_back(record.info)


class _WriteTurn:
    """The threads of one process take turns at SQLite's write lock, in a queue.

    SQLite lets one writer in at a time; the others retry on its busy handler, which
    sleeps up to 100 ms between tries, so eight concurrent API writers waited seconds
    for a lock that was free most of the time. Here a thread waits on a lock of this
    process instead and starts the moment the previous transaction has handed its
    connection back. Other processes (a worker) still meet at SQLite's own lock.
    A thread already holding the turn (a second session opened inside the first) is
    left to SQLite's busy handler, as before; a turn not handed back within
    ``WAIT`` seconds is not waited for.
    """

    WAIT = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def take(self, info: dict[str, Any]) -> None:
        if info.get(_HOLDS_TURN) or self._owner == threading.get_ident():
            return
        if self._lock.acquire(timeout=self.WAIT):
            self._owner = threading.get_ident()
            info[_HOLDS_TURN] = True

    def give_back(self, info: dict[str, Any]) -> None:
        if info.pop(_HOLDS_TURN, False):
            self._owner = None
            self._lock.release()


_HOLDS_TURN = "referral_engine.holds_write_turn"


def session_factory(url: str) -> sessionmaker[Session]:
    """The one session factory for ``url`` in this process."""
    url = normalize_url(url)
    if url not in _factories:
        factory = sessionmaker(bind=engine_for(url), expire_on_commit=False, autoflush=False)
        if is_sqlite(url):
            event.listen(factory, "before_flush", _number_new_rows)
        _factories[url] = factory
    return _factories[url]


def _number_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    """Give new rows their ids before a SQLite flush, so that they go in as one
    multi-row insert.

    SQLite cannot hand back the ids of a multi-row insert in order, so without ids the
    ORM inserts new rows one statement each (a chunk of 1,000 imported clients was 1,000
    statements). Numbering them here is safe: a SQLite write transaction holds the
    database's write lock from its first statement (BEGIN IMMEDIATE, above), so no other
    writer can take the same numbers, and max + 1 is the id SQLite would choose itself.
    """
    pending: dict[Any, list[Any]] = {}
    for instance in session.new:
        state = inspect(instance)
        keys = state.mapper.primary_key
        if len(keys) == 1 and keys[0].key == "id" and getattr(instance, "id", 0) is None:
            pending.setdefault(state.mapper, []).append(state)
    for mapper, states in pending.items():
        if len(states) < 2:
            continue
        column = mapper.primary_key[0]
        top = session.execute(select(func.max(column))).scalar() or 0
        for offset, state in enumerate(sorted(states, key=lambda s: s.insert_order), start=1):
            state.obj().id = top + offset


@contextmanager
def unit_of_work(url: str) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back when it raises."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def memo(session: Session, key: str, make: Callable[[], T]) -> T:
    """``make()``, read once per transaction of ``session``.

    For what a pass of the worker reads for every job (the agency's settings, its
    templates) and that changes only when a person saves it: the code that saves it
    calls :func:`forget` in the same session, and a commit or rollback forgets it all.
    """
    cache: dict[str, Any] = session.info.setdefault(_MEMO, {})
    if key not in cache:
        cache[key] = make()
    return cast(T, cache[key])


def recall(session: Session, key: str) -> Any:
    """What :func:`memo` holds under ``key`` in this transaction, or None."""
    return session.info.get(_MEMO, {}).get(key)


def forget(session: Session, key: str | None = None) -> None:
    """Drop what :func:`memo` holds under ``key`` (the value was just changed), or
    everything it holds when no key is given."""
    if key is None:
        session.info.pop(_MEMO, None)
    else:
        session.info.get(_MEMO, {}).pop(key, None)


_MEMO = "referral_engine.memo"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_all(session: Session, *_args: Any) -> None:
    session.info.pop(_MEMO, None)


def dispose_all() -> None:
    """Close every engine of this process (tests, and before a process forks)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()


def load_by_id(session: Session, model: type[T], ids: set[int | None]) -> list[T]:
    """The rows of ``model`` with these ids, in one query. A caller that holds the list
    makes :meth:`Session.get` for those ids free while it does (the session's identity
    map keeps only weak references)."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return []
    column = cast(Any, model).id
    return list(session.scalars(select(model).where(column.in_(wanted))))
