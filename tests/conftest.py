"""Fixtures: a migrated database per test on SQLite and on PostgreSQL, API clients, the CLI."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from referral_engine import clock, migrate
from referral_engine.cli import app as cli_app
from referral_engine.db import dispose_all, engine_for
from referral_engine.models import Base
from referral_engine.setup import initialize
from tests.smtp_server import smtp_certificate, smtp_server  # noqa: F401 - fixtures
from tests.twilio_double import twilio_double  # noqa: F401 - fixtures

if TYPE_CHECKING:
    from tests.agency import Agency
    from tests.smtp_server import SmtpServer
    from tests.twilio_double import TwilioDouble

PG_SERVER = os.environ.get("REFERRAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_TOKEN = "rk_test_admin_token_0123456789abcdef"
ADMIN_EMAIL = "principal@agency.example"
ADMIN_PASSWORD = "correct horse battery staple"
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _admin_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REFERRAL_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("REFERRAL_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("REFERRAL_ADMIN_PASSWORD", ADMIN_PASSWORD)
    for name in (
        "REFERRAL_NOW",
        "REFERRAL_DB",
        "REFERRAL_SMTP_URL",
        "REFERRAL_TWILIO_ACCOUNT_SID",
        "REFERRAL_TWILIO_AUTH_TOKEN",
        "REFERRAL_TWILIO_FROM",
        "REFERRAL_SECRET_KEY",
        "REFERRAL_ENCRYPTION_KEY",
        "REFERRAL_DKIM_SELECTOR",
        "REFERRAL_DKIM_DOMAIN",
        "REFERRAL_DKIM_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
    clock.pin(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    dispose_all()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test run (and xdist worker), migrated once."""
    name = f"re_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    migrate.upgrade(url)
    yield url
    dispose_all()
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine_for(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "referral.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield url
        engine_for(url).dispose()
    else:
        url = request.getfixturevalue("pg_database")
        _truncate(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty SQLite database (for tests whose subject is not storage)."""
    path = tmp_path / "referral.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    engine_for(url).dispose()


@pytest.fixture
def ready_db(db_url: str) -> str:
    """``db_url`` after `referral init` (settings stored, first admin with ADMIN_TOKEN)."""
    initialize(db_url)
    return db_url


@pytest.fixture
def api(ready_db: str) -> Iterator[TestClient]:
    """An API client signed in with the admin's bearer token."""
    from referral_engine.web.app import create_app

    with TestClient(create_app(ready_db), raise_server_exceptions=True) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        yield client


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def run_cli(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    """Run `referral ARGS`; returns (exit code, stdout, stderr)."""
    result = runner.invoke(cli_app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def at(text: str) -> datetime:
    return clock.parse_instant(text)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def agency(ready_db: str, cli: CliRunner, api: TestClient, tmp_path: Path) -> Iterator[Agency]:
    """An agency fed through `referral import` / `referral tick --now`, read by the API."""
    from tests.agency import Agency

    yield Agency(ready_db, cli, api, tmp_path)
    clock.pin(None)


@pytest.fixture
def wired(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,  # noqa: F811 - the fixture imported above
    twilio_double: TwilioDouble,  # noqa: F811
) -> Agency:
    """An agency whose email goes to the suite's SMTP server and SMS to its Twilio double,
    with a name and a postal address (what an email to a client needs)."""
    from tests.agency import wire_agency

    return wire_agency(agency, monkeypatch, smtp_server, twilio_double)
