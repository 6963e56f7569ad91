"""Signed, unguessable links in asks: the tracked link, the unsubscribe link, Reply-To.

Each ask has a random token (128 bits). Links carry it signed with this installation's
key and a purpose, so a token seen in one link cannot be replayed as another kind.
"""

from __future__ import annotations

from email.utils import parseaddr

from itsdangerous import BadSignature, Signer

TRACK = "track"
UNSUBSCRIBE = "unsubscribe"
REFER = "refer"


def sign(token: str, *, purpose: str, key: str) -> str:
    return Signer(key, salt=f"referral-engine.{purpose}").sign(token).decode()


def unsign(value: str, *, purpose: str, key: str) -> str | None:
    """The ask token in a signed link value, or None when the signature does not hold."""
    try:
        return Signer(key, salt=f"referral-engine.{purpose}").unsign(value).decode()
    except BadSignature:
        return None


def tracked_url(public_url: str, token: str, key: str) -> str:
    return f"{public_url.rstrip('/')}/r/{sign(token, purpose=TRACK, key=key)}"


def refer_url(public_url: str, token: str, key: str) -> str:
    return f"{public_url.rstrip('/')}/refer/{sign(token, purpose=REFER, key=key)}"


def unsubscribe_url(public_url: str, token: str, key: str) -> str:
    return f"{public_url.rstrip('/')}/u/{sign(token, purpose=UNSUBSCRIBE, key=key)}"


def mailbox(mail_from: str) -> tuple[str, str]:
    """(local part, domain) of the sender address."""
    address = parseaddr(mail_from)[1] or mail_from
    local, _, domain = address.partition("@")
    return local, domain


def reply_to(mail_from: str, token: str) -> str:
    """``asks+TOKEN@domain``: a reply lands in the same mailbox and names its ask."""
    local, domain = mailbox(mail_from)
    return f"{local}+{token}@{domain}"


def token_from_address(address: str) -> str | None:
    """The ask token in a plus-address (``asks+TOKEN@domain``), if any."""
    local = parseaddr(address)[1].partition("@")[0]
    if "+" not in local:
        return None
    return local.split("+", 1)[1] or None
