"""Alembic environment: the URL comes from the caller (``referral init``) or REFERRAL_DB."""

from __future__ import annotations

import os
from typing import Any, Literal

import sqlalchemy as sa
from alembic import context

from referral_engine.db import UtcDateTime, is_sqlite, normalize_url
from referral_engine.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return normalize_url(
        config.get_main_option("sqlalchemy.url")
        or os.environ.get("REFERRAL_DB")
        or "sqlite:///./referral.db"
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(_url()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from referral_engine.migrate import migration_connection

    with migration_connection(_url()) as connection:
        _run(connection)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations carry plain SQLAlchemy types, never the package's own wrappers, so an
    # old migration keeps working whatever later happens to referral_engine.db.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, sa.JSON):
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
