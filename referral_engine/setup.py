"""Installation: migrate, load settings, first admin; serving the app."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect

from referral_engine import migrate
from referral_engine.agency.service import (
    load_settings,
    reseal_secret_key,
    save_settings,
    secret_key,
)
from referral_engine.db import engine_for, normalize_url, unit_of_work
from referral_engine.settings import AgencySettings
from referral_engine.users.passwords import check_password
from referral_engine.users.service import Credentials, ensure_admin


class SchemaMissing(RuntimeError):
    """The database has not been initialized with `referral init`."""


@dataclass(frozen=True)
class InitResult:
    db_display: str
    credentials: Credentials
    settings: AgencySettings


def initialize(url: str, *, config: Path | None = None) -> InitResult:
    """Create or migrate the database, load settings from ``config``, ensure an admin.

    A ``REFERRAL_ADMIN_PASSWORD`` the password policy refuses raises
    :class:`~referral_engine.users.passwords.WeakPassword` before anything is written.
    """
    url = normalize_url(url)
    raw = AgencySettings.read_toml(config) if config else None
    admin_password = os.environ.get("REFERRAL_ADMIN_PASSWORD")
    if admin_password:
        check_password(admin_password)
    migrate.upgrade(url)
    with unit_of_work(url) as session:
        if raw is not None:
            # Re-running init updates: keys the file leaves out keep their stored values.
            save_settings(session, settings=load_settings(session).merged(raw))
        else:
            save_settings(session, settings=load_settings(session))
        secret_key(session)
        reseal_secret_key(session)  # the settings' secrets were sealed by save_settings
        credentials = ensure_admin(
            session,
            email=os.environ.get("REFERRAL_ADMIN_EMAIL"),
            password=admin_password,
            token=os.environ.get("REFERRAL_ADMIN_TOKEN"),
        )
        settings = load_settings(session)
    return InitResult(db_display=_display(url), credentials=credentials, settings=settings)


def _display(url: str) -> str:
    # Never print a password that may be in the URL.
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


def require_schema(url: str) -> None:
    """Migrate an initialized database; refuse (exit 2 upstream) one never initialized."""
    url = normalize_url(url)
    if "events" not in inspect(engine_for(url)).get_table_names():
        from referral_engine.console import fail

        fail(f"no Referral Engine database at {_display(url)}: run `referral init` first")
    migrate.upgrade(url)


def serve_app(url: str, *, host: str, port: int, worker: bool) -> None:
    import uvicorn

    from referral_engine.web.app import create_app
    from referral_engine.worker import start_in_thread

    require_schema(url)
    app = create_app(url)
    if worker:
        start_in_thread(normalize_url(url))
    # No access log: request lines carry search terms and tokens (client names, links).
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
