"""Engine, sessions and the declarative base.

One engine per database URL, one session factory. SQLite runs in WAL mode with foreign
keys on and a busy timeout so that a web process and a worker can share the file;
PostgreSQL is used as is. Services never commit: the request dependency, the CLI
command and the worker own the transaction (see :func:`unit_of_work`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from referral_engine.clock import as_utc

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

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: two writers queue instead of one
        # failing half way with "database is locked" on lock upgrade.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(url: str) -> sessionmaker[Session]:
    """The one session factory for ``url`` in this process."""
    url = normalize_url(url)
    if url not in _factories:
        _factories[url] = sessionmaker(
            bind=engine_for(url), expire_on_commit=False, autoflush=False
        )
    return _factories[url]


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


def dispose_all() -> None:
    """Close every engine of this process (tests, and before a process forks)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()
