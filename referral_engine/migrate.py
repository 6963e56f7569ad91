"""Create or migrate a database to the newest schema with Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from referral_engine.db import engine_for, normalize_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


@contextmanager
def migration_connection(url: str) -> Iterator[Connection]:
    """One transaction to migrate in.

    On SQLite, Alembic's batch mode changes a table by copying it into a new one and
    dropping the old; with foreign keys enforced, that DROP would delete (or null) every
    row that refers to the old table. So foreign keys are off while migrating — set before
    the transaction, where SQLite honours it — and checked before the commit: a migration
    that left a dangling reference fails and changes nothing.
    """
    with engine_for(url).connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        assert raw is not None
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if dangling:
                        raise RuntimeError(f"the migration left dangling references: {dangling}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def run(url: str, revision: str = "head", *, down: bool = False) -> None:
    """Migrate the database at ``url`` up (or down) to ``revision``."""
    config = alembic_config(url)
    with migration_connection(url) as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the newest revision (idempotent)."""
    run(url, "head")
