"""Upgrading a database that already holds data: revision 0002 keeps what 0001 stored.

Each backend gets a database of its own, migrated step by step: rows are written at 0001,
then the database is upgraded to the newest revision (and back down for 0002's reverse).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from referral_engine.db import dispose_all, engine_for
from referral_engine.migrate import run
from tests.conftest import PG_SERVER

STORED_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        dispose_all()
        return
    name = f"re_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    dispose_all()
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    run(url, revision, down=down)
    dispose_all()


def filler(column: sa.Column[Any], n: int) -> Any:
    """A value for a required column the test does not care about."""
    kind = column.type.python_type if hasattr(column.type, "python_type") else str
    if kind is bool:
        return False
    if kind in (int, float):
        return 0
    if kind is datetime:
        return STORED_AT
    if kind in (dict, list):
        return kind()
    length = getattr(column.type, "length", None) or 20
    return f"{column.name[:8]}-{n}"[:length]


def insert(connection: sa.Connection, table: sa.Table, n: int, **values: Any) -> None:
    row = {
        c.name: filler(c, n)
        for c in table.columns
        if not c.nullable and c.server_default is None and not c.primary_key
    }
    connection.execute(table.insert().values(id=n, **{**row, **values}))


def test_a_reward_typed_at_0001_becomes_a_blocked_reward_for_review_and_comes_back_down(
    empty_url: str,
) -> None:
    migrate(empty_url, "0001")
    meta = sa.MetaData()
    meta.reflect(engine_for(empty_url))
    with engine_for(empty_url).begin() as connection:
        insert(connection, meta.tables["clients"], 1, external_id="C-1", mobile="+13125550123")
        insert(
            connection,
            meta.tables["referrals"],
            1,
            referred_by_kind="client",
            referred_by_client_id=1,
            reward_amount=50,
        )
        insert(connection, meta.tables["referrals"], 2, referred_by_kind="client")
        insert(connection, meta.tables["referral_entries"], 1, referral_id=1)
        insert(connection, meta.tables["tasks"], 1, referral_id=1)
    dispose_all()

    migrate(empty_url, "head")
    with engine_for(empty_url).connect() as connection:
        rewards = connection.execute(
            sa.text("SELECT referral_id, client_id, value, status, rule FROM rewards")
        ).all()
        clients = connection.execute(sa.text("SELECT external_id, state FROM clients")).all()
        # SQLite rebuilds the referrals table to drop a column: rows that refer to it stay.
        entries = connection.execute(sa.text("SELECT referral_id FROM referral_entries")).all()
        tasks = connection.execute(sa.text("SELECT referral_id FROM tasks")).all()
    assert [(r.referral_id, r.client_id, r.value, r.status) for r in rewards] == [
        (1, 1, 50, "blocked")
    ]
    assert "propose it again" in rewards[0].rule
    assert [tuple(c) for c in clients] == [("C-1", None)]
    assert [tuple(e) for e in entries] == [(1,)] and [tuple(t) for t in tasks] == [(1,)]

    migrate(empty_url, "0001", down=True)
    with engine_for(empty_url).connect() as connection:
        amounts = connection.execute(
            sa.text("SELECT id, reward_amount FROM referrals ORDER BY id")
        ).all()
    assert [(a.id, a.reward_amount and float(a.reward_amount)) for a in amounts] == [
        (1, 50.0),
        (2, None),
    ]
