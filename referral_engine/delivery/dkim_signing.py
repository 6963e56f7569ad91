"""DKIM signatures for outgoing email (``dkimpy``): receivers can check that a message
comes from the agency's domain and that its signed headers are unchanged.

Configured by ``REFERRAL_DKIM_SELECTOR``, ``REFERRAL_DKIM_KEY_FILE`` and optionally
``REFERRAL_DKIM_DOMAIN`` (default: the domain of each message's From address); the
public key is published at ``SELECTOR._domainkey.DOMAIN`` (docs/email-checklist.md).

What a caller may rely on:

- :meth:`DkimSigner.from_settings` reads and checks everything before any mail is sent:
  a missing variable, a file that cannot be read, a key that is not an unencrypted PEM
  RSA private key (PKCS#1 or PKCS#8) of at least 1024 bits, or a selector or domain that
  is not a DNS name raises :class:`DkimConfigError`, whose message names the variable and
  the file but never quotes the key.
- :meth:`DkimSigner.sign` takes the exact bytes that go to the server and returns them
  with a ``DKIM-Signature`` header in front: ``rsa-sha256``, ``c=relaxed/relaxed``,
  ``h=`` :data:`SIGNED_HEADERS` (a header the message lacks is signed as absent, so it
  cannot be added later) followed by :data:`OVERSIGNED` (so a second copy of those
  cannot be added either). RFC 8058 asks for both List-Unsubscribe headers in ``h=``.
- The bytes must go out unchanged after :meth:`DkimSigner.sign`: the SMTP adapter signs
  the very bytes it hands to ``sendmail``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

from referral_engine.settings import ProviderSettings

MIN_KEY_BITS = 1024  # receivers ignore shorter keys (dkimpy's verify as well)

SIGNED_HEADERS = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
)
#: Listed once more than they occur: a relay or attacker cannot prepend a second one.
OVERSIGNED = ("From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post")

_DNS_NAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*"
)


class DkimConfigError(ValueError):
    """DKIM settings that cannot be used; the message names the variable and why."""


@dataclass(frozen=True)
class DkimSigner:
    """Signs with ``private_key`` as ``selector`` for ``domain`` (``None``: the From
    address's domain of each message)."""

    selector: str
    domain: str | None
    private_key: bytes = field(repr=False)

    @classmethod
    def from_settings(cls, env: ProviderSettings) -> DkimSigner | None:
        """The signer the environment configures, ``None`` when no DKIM variable is set."""
        if not env.dkim_configured:
            return None
        if not env.dkim_selector:
            raise DkimConfigError("REFERRAL_DKIM_SELECTOR is unset; DKIM needs a selector")
        if not env.dkim_key_file:
            raise DkimConfigError("REFERRAL_DKIM_KEY_FILE is unset; DKIM needs a private key")
        if not _DNS_NAME.fullmatch(env.dkim_selector):
            raise DkimConfigError(f"REFERRAL_DKIM_SELECTOR {env.dkim_selector!r} is not a DNS name")
        if env.dkim_domain and not _DNS_NAME.fullmatch(env.dkim_domain):
            raise DkimConfigError(f"REFERRAL_DKIM_DOMAIN {env.dkim_domain!r} is not a DNS name")
        signer = cls(
            selector=env.dkim_selector,
            domain=env.dkim_domain.lower() or None,
            private_key=read_key(Path(env.dkim_key_file)),
        )
        try:
            signer.sign(b"From: check@example.com\r\n\r\n", from_domain="example.com")
        except dkim.DKIMException:
            raise DkimConfigError(
                f"REFERRAL_DKIM_KEY_FILE: the key in {env.dkim_key_file} cannot sign"
            ) from None
        return signer

    def sign(self, message: bytes, *, from_domain: str) -> bytes:
        """``message`` (CRLF line ends, as it will be sent) with its signature in front."""
        domain = self.domain or from_domain.lower()
        signature = dkim.sign(
            message,
            self.selector.encode("ascii"),
            domain.encode("idna"),
            self.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[name.lower().encode("ascii") for name in signed_header_names()],
            linesep=b"\r\n",
        )
        return signature + message


def signed_header_names() -> list[str]:
    """The ``h=`` list, in order."""
    return [*SIGNED_HEADERS, *OVERSIGNED]


def read_key(path: Path) -> bytes:
    """The PEM RSA private key in ``path``, checked; :class:`DkimConfigError` otherwise."""
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise DkimConfigError(
            f"REFERRAL_DKIM_KEY_FILE: cannot read {path}: {exc.strerror or exc}"
        ) from None
    # dkimpy finds the PEM body by "--\n": a key saved with CRLF line ends would not parse.
    key = key.replace(b"\r\n", b"\n")
    try:
        bits = parse_pem_private_key(key)["modulus"].bit_length()
    except (UnparsableKeyError, ValueError, IndexError, TypeError):
        # Never chain or quote the parser's error: it may echo part of the key.
        raise DkimConfigError(
            f"REFERRAL_DKIM_KEY_FILE: {path} is not an unencrypted PEM RSA private key"
            " (PKCS#1 'BEGIN RSA PRIVATE KEY' or PKCS#8 'BEGIN PRIVATE KEY')"
        ) from None
    if bits < MIN_KEY_BITS:
        raise DkimConfigError(
            f"REFERRAL_DKIM_KEY_FILE: the key in {path} has {bits} bits;"
            f" receivers need at least {MIN_KEY_BITS} (2048 recommended)"
        )
    return key
