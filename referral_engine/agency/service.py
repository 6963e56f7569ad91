"""Reading and writing the agency's settings document."""

from __future__ import annotations

import json
import secrets
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency import crypto
from referral_engine.agency.models import AgencySettingsRow
from referral_engine.db import forget, memo
from referral_engine.events.schemas import NormalizeContext
from referral_engine.settings import AgencySettings

SETTINGS = "agency_settings"


def load_settings(session: Session) -> AgencySettings:
    """The stored settings, or the defaults before ``referral init --config`` ran (read
    once per transaction: the worker decides a whole batch of events with one read)."""
    return memo(session, SETTINGS, lambda: _read_settings(session))


def _read_settings(session: Session) -> AgencySettings:
    document = session.scalars(select(AgencySettingsRow.document).limit(1)).first()
    return _parsed(json.dumps(crypto.unseal_document(document or {}), sort_keys=True))


@lru_cache(maxsize=16)
def _parsed(document: str) -> AgencySettings:
    """Settings parsed once per process for each stored document (validating them takes
    about 2 ms, and every request and every batch of the worker reads them). The
    object is shared: callers read it and never change it (``merged`` makes a new one)."""
    return AgencySettings.from_mapping(json.loads(document), stored=True)


def save_settings(session: Session, *, settings: AgencySettings) -> AgencySettings:
    """Store ``settings`` as the agency's settings (validated already by the model);
    its secrets encrypted when ``REFERRAL_ENCRYPTION_KEY`` is set (:mod:`.crypto`)."""
    row = session.scalars(select(AgencySettingsRow).limit(1)).first()
    document = crypto.seal_document(settings.model_dump(mode="json"))
    if row is None:
        session.add(
            AgencySettingsRow(
                document=document,
                updated_at=clock.now(),
                secret_key=crypto.seal(secrets.token_urlsafe(32)),
            )
        )
    else:
        row.document = document
        row.updated_at = clock.now()
    session.flush()
    forget(session)  # the settings, and all that was derived from them
    return settings


def update_settings(session: Session, *, changes: dict[str, Any]) -> AgencySettings:
    """Apply the keys in ``changes`` (TOML-shaped) over the stored settings."""
    return save_settings(session, settings=load_settings(session).merged(changes))


def normalize_context(settings: AgencySettings) -> NormalizeContext:
    return NormalizeContext(
        phone_region=settings.agency.phone_region,
        timezone=settings.agency.timezone,
        lines_of_business=dict(settings.lines_of_business),
    )


def secret_key(session: Session) -> str:
    """This installation's signing key (REFERRAL_SECRET_KEY overrides the stored one).
    Stored encrypted when ``REFERRAL_ENCRYPTION_KEY`` is set: a key stored plain before
    is encrypted the first time it is read with the encryption key set."""
    from referral_engine.settings import provider_settings

    configured = provider_settings().secret_key
    if configured:
        return configured
    row = session.scalars(select(AgencySettingsRow).limit(1)).first()
    if row is None:
        save_settings(session, settings=AgencySettings())
        row = session.scalars(select(AgencySettingsRow).limit(1)).one()
    if not row.secret_key:
        row.secret_key = crypto.seal(secrets.token_urlsafe(32))
        session.flush()
    key = crypto.unseal(row.secret_key)
    if crypto.seal(row.secret_key) != row.secret_key:
        row.secret_key = crypto.seal(key)
        session.flush()
    return key


def reseal_secret_key(session: Session) -> None:
    """Store the signing key encrypted with the first of the keys now set (``referral
    init`` runs this: after a key rotation, nothing is left under the old key)."""
    row = session.scalars(select(AgencySettingsRow).limit(1)).first()
    if row is not None and row.secret_key and crypto.enabled():
        row.secret_key = crypto.seal(crypto.unseal(row.secret_key))
        session.flush()
