"""Secrets encrypted at rest: the signing key and webhook secrets in the database.

What a caller may rely on:

- With ``REFERRAL_ENCRYPTION_KEY`` set (a Fernet key; several, separated by commas, while
  rotating — the first encrypts, any of them decrypts), :func:`seal` stores a secret as
  ``enc:v1:`` followed by a Fernet token (AES-128-CBC and HMAC-SHA256, from the
  ``cryptography`` package). Without it, secrets are stored as they are.
- :func:`unseal` reads either form: a plain value as it is (a database from before the
  key was set; it is sealed on the next save — ``referral init`` saves everything), a
  sealed one with the key. A sealed value with no key, or no matching key, raises
  :class:`SecretUnreadable`, whose message says what to set: nothing is guessed.
- What is sealed: the agency's signing key (``agency_settings.secret_key``), each
  source's ``webhook_secret`` and each subscriber's ``secret`` in the settings document
  (:data:`SECRET_FIELDS`).
"""

from __future__ import annotations

import copy
import functools
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "enc:v1:"
SECRET_FIELDS = (("sources", "webhook_secret"), ("webhooks", "secret"))
"""(section, key): the tables of ``section`` whose ``key`` is a secret."""
ENV = "REFERRAL_ENCRYPTION_KEY"


class SecretUnreadable(RuntimeError):
    """A stored secret is encrypted and cannot be decrypted with the keys at hand."""


class BadEncryptionKey(ValueError):
    """``REFERRAL_ENCRYPTION_KEY`` is not a Fernet key (or a list of them)."""


def new_key() -> str:
    """A fresh key for ``REFERRAL_ENCRYPTION_KEY``."""
    return Fernet.generate_key().decode()


def _cipher() -> MultiFernet | None:
    return _cipher_for(os.environ.get(ENV, ""))


@functools.lru_cache(maxsize=4)
def _cipher_for(setting: str) -> MultiFernet | None:
    keys = [k.strip() for k in setting.split(",") if k.strip()]
    if not keys:
        return None
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise BadEncryptionKey(
            f"{ENV} must be a Fernet key (32 random bytes, url-safe base64, 44 characters), "
            "or several separated by commas; make one with `referral secrets new-key`"
        ) from exc


def enabled() -> bool:
    """Whether secrets are encrypted when stored (the key is set)."""
    return _cipher() is not None


def seal(value: str) -> str:
    """``value`` as stored: encrypted when the key is set (and it is not already)."""
    cipher = _cipher()
    if cipher is None or not value or value.startswith(PREFIX):
        return value
    return PREFIX + cipher.encrypt(value.encode()).decode()


def unseal(value: str) -> str:
    """The secret in a stored ``value`` (see the module)."""
    if not value.startswith(PREFIX):
        return value
    cipher = _cipher()
    if cipher is None:
        raise SecretUnreadable(
            f"stored secrets are encrypted: set {ENV} to the key they were encrypted with"
        )
    try:
        return cipher.decrypt(value.removeprefix(PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            f"a stored secret does not decrypt with {ENV}: set the key it was encrypted "
            "with (during a rotation, the new key first, then the old one)"
        ) from exc


def _map_secrets(document: dict[str, Any], change: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    for section, key in SECRET_FIELDS:
        for table in (out.get(section) or {}).values():
            if isinstance(table, dict) and isinstance(table.get(key), str):
                table[key] = change(table[key])
    return out


def seal_document(document: dict[str, Any]) -> dict[str, Any]:
    """The settings document with its secrets sealed."""
    return _map_secrets(document, seal)


def unseal_document(document: dict[str, Any]) -> dict[str, Any]:
    """The settings document with its secrets readable."""
    return _map_secrets(document, unseal)
