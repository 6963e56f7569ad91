"""Users, passwords (argon2) and API tokens (stored only as hashes).

A token authenticates while it is not revoked and its user is active; its ``last_used_at``
is refreshed at most once an hour (a write on every API call would cost the hot paths).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.users.models import ApiToken, Role, User

_hasher = PasswordHasher()


TOKEN_TOUCH = timedelta(hours=1)
HINT_LENGTH = 8


class UnknownUser(LookupError):
    """No active user with that email or token."""


@dataclass(frozen=True)
class Credentials:
    """What ``referral init`` prints once: nothing here is stored in clear."""

    email: str
    password: str
    token: str
    created: bool


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "rk_" + secrets.token_urlsafe(32)


def find_by_email(session: Session, *, email: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    senior: bool = False,
) -> User:
    user = User(
        email=email.lower(),
        name=name,
        role=role,
        password_hash=_hasher.hash(password) if password else None,
        senior=senior,
        active=True,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    user.password_hash = _hasher.hash(password)
    session.flush()


def mint_token(
    session: Session,
    *,
    user: User,
    name: str,
    now: datetime,
    token: str | None = None,
    sources: list[str] | None = None,
) -> tuple[ApiToken, str]:
    """A new API token for ``user``: the row (hash and hint only) and the clear token,
    which the caller shows once. A given ``token`` already stored is returned as is.
    ``sources`` limits the events it may post to those sources (None: any unsigned one)."""
    token = token or new_token()
    existing = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).first()
    if existing is not None:
        return existing, token
    row = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(token),
        hint=token[:HINT_LENGTH],
        created_at=now,
        sources=sorted(set(sources)) if sources is not None else None,
    )
    session.add(row)
    session.flush()
    return row, token


def issue_token(session: Session, *, user: User, name: str, token: str | None = None) -> str:
    """Create an API token for ``user``; the clear token is returned once, never stored."""
    return mint_token(session, user=user, name=name, now=clock.now(), token=token)[1]


def user_for_token(session: Session, *, token: str) -> User:
    """The active user behind an unrevoked token, or :class:`UnknownUser`."""
    return token_holder(session, token=token)[0]


def token_holder(session: Session, *, token: str) -> tuple[User, ApiToken]:
    """The active user behind an unrevoked token and the token's row (its source scope),
    or :class:`UnknownUser`."""
    row = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_token(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
        )
    ).first()
    if row is None:
        raise UnknownUser("unknown or revoked API token")
    user, api_token = row
    now = clock.now()
    if api_token.last_used_at is None or now - api_token.last_used_at >= TOKEN_TOUCH:
        api_token.last_used_at = now
        session.flush()
    return user, api_token


@functools.cache
def _dummy_hash() -> str:
    """A hash no password is known for: verified against when the email is unknown."""
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The active user with that email and password, or :class:`UnknownUser`.

    The password is verified exactly once whether or not the email is known (against a
    stand-in hash when it is not), so the answer time does not tell them apart."""
    user = find_by_email(session, email=email)
    stored = user.password_hash if user is not None and user.active else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except VerificationError as exc:
        raise UnknownUser("wrong email or password") from exc
    if user is None or not stored:
        raise UnknownUser("wrong email or password")
    if _hasher.check_needs_rehash(stored):
        set_password(session, user=user, password=password)
    return user


def ensure_admin(
    session: Session, *, email: str | None, password: str | None, token: str | None
) -> Credentials:
    """The first admin: created once; on later runs a given password or token is set."""
    admin = session.scalars(
        select(User).where(User.role == Role.admin).order_by(User.id).limit(1)
    ).first()
    created = admin is None
    if admin is None:
        email = email or "admin@localhost"
        password = password or secrets.token_urlsafe(12)
        admin = create_user(
            session, email=email, name="Administrator", role=Role.admin, password=password
        )
    else:
        if password:
            set_password(session, user=admin, password=password)
        email = admin.email
    if created or token:
        token = issue_token(session, user=admin, name="init", token=token)
    return Credentials(email=email, password=password or "", token=token or "", created=created)


def find_or_create_producer(
    session: Session, *, email: str | None, name: str | None
) -> User | None:
    """The staff member an event names as producer, created (without a password) if new."""
    if not email:
        return None
    user = find_by_email(session, email=email)
    if user is None:
        user = create_user(session, email=email, name=name or email, role=Role.producer)
    return user


class UnknownToken(LookupError):
    """No such token of this user."""


def tokens_of(session: Session, *, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they say when)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, *, user: User, token_id: int, now: datetime) -> ApiToken:
    """Revoke one of ``user``'s tokens: it stops authenticating at once. Revoking a
    revoked token keeps its first revocation time."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise UnknownToken(f"{user.email} has no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
    return token


def revoke_all_tokens(session: Session, *, user: User, now: datetime) -> int:
    """Revoke every live token of ``user``; returns how many."""
    live = [t for t in tokens_of(session, user=user) if t.revoked_at is None]
    for token in live:
        token.revoked_at = now
    session.flush()
    return len(live)
