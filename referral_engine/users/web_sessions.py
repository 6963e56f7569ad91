"""Signed-in browsers, kept in the database so that any of them can be ended at once.

What a caller may rely on:

- :func:`start` makes a session for a person and returns its token (random, 256 bits);
  the browser's cookie carries only that token, signed. Only its SHA-256 is stored.
- A session lasts :data:`LIFETIME` from sign-in (fixed, not sliding: signing in again
  is the way to go on), unless it is ended first. :func:`find` answers None for a token
  that is unknown, ended, expired, or whose person is deactivated.
- :func:`end` ends one session (sign-out); :func:`end_all` ends every session of a
  person, optionally but one (a password change keeps the browser it was made in; a
  deactivation keeps none). An ended token never works again, even replayed.
- ``last_seen_at`` is written at most once per :data:`TOUCH` per session, so reading
  pages costs no write each time.
- :func:`prune` removes rows that ended or expired more than :data:`KEPT_AFTER` ago; it
  runs at every sign-in, so the table holds the live sessions and a day of ended ones.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from referral_engine.users.models import User, WebSession
from referral_engine.users.service import hash_token

LIFETIME = timedelta(days=14)
TOUCH = timedelta(minutes=1)
KEPT_AFTER = timedelta(days=1)


def start(
    session: Session, *, user: User, now: datetime, user_agent: str = "", address: str = ""
) -> str:
    """A new session for ``user``; the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + LIFETIME,
            user_agent=user_agent[:300],
            address=address[:64],
        )
    )
    session.flush()
    return token


def _live(now: datetime) -> ColumnElement[bool]:
    return and_(WebSession.revoked_at.is_(None), WebSession.expires_at > now)


def find(session: Session, *, token: str, now: datetime) -> WebSession | None:
    """The live session of ``token`` whose person is active, or None."""
    if not token:
        return None
    found = session.scalars(
        select(WebSession).where(WebSession.token_hash == hash_token(token), _live(now))
    ).first()
    if found is None:
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        return None
    if now - found.last_seen_at >= TOUCH:
        found.last_seen_at = now
        session.flush()
    return found


def end(session: Session, *, token: str, now: datetime) -> None:
    """End the session of ``token`` (nothing happens for an unknown one)."""
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == hash_token(token), WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_all(session: Session, *, user: User, now: datetime, keep: str | None = None) -> int:
    """End every live session of ``user`` but the one of ``keep``; how many ended."""
    query = update(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
    if keep:
        query = query.where(WebSession.token_hash != hash_token(keep))
    ended = session.execute(query.values(revoked_at=now))
    return int(getattr(ended, "rowcount", 0) or 0)


def live_of(session: Session, *, user: User, now: datetime) -> list[WebSession]:
    """The person's live sessions, the most recently used first."""
    return list(
        session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user.id, _live(now))
            .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
        )
    )


def is_token_of(row: WebSession, token: str) -> bool:
    return row.token_hash == hash_token(token)


def prune(session: Session, *, now: datetime) -> None:
    """Remove sessions that ended or expired more than :data:`KEPT_AFTER` ago."""
    cutoff = now - KEPT_AFTER
    session.execute(
        delete(WebSession).where(
            or_(WebSession.expires_at < cutoff, WebSession.revoked_at < cutoff)
        )
    )
