"""Sign-in throttling: a run of wrong passwords is refused for a while.

What a caller may rely on:

- A failed password sign-in is stored (:class:`SignInAttempt`) with the email as typed
  (lower-cased; known or not) and the client's address, at the given ``now``.
- :func:`check` refuses (:class:`TooManyAttempts`) once :data:`PER_ACCOUNT` failures for
  the email, or :data:`PER_ADDRESS` failures from the address, fall within the last
  :data:`WINDOW` — whatever the password, the right one included — until enough of them
  are older than the window. The count lives in the database, so every web process sees
  the same one.
- A successful sign-in clears the email's failures. Rows older than the window are
  removed whenever a failure is recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from referral_engine.users.models import SignInAttempt

PER_ACCOUNT = 5
"""Failures for one email within :data:`WINDOW` after which it is refused."""
PER_ADDRESS = 20
"""Failures from one client address within :data:`WINDOW` (several people may share an
office's address, so more than for one account)."""
WINDOW = timedelta(minutes=15)


@dataclass
class TooManyAttempts(Exception):
    """Sign-in refused until ``retry_at``."""

    retry_at: datetime
    now: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil((self.retry_at - self.now).total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))

    def __str__(self) -> str:
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"Too many attempts: try again in {self.minutes} {unit}."


def _key(email: str) -> str:
    return email.strip().lower()[:320]


def _refused_until(
    session: Session, column: InstrumentedAttribute[str], value: str, limit: int, now: datetime
) -> datetime | None:
    """When the failures for ``value`` drop below ``limit`` again (None: they are)."""
    times = session.scalars(
        select(SignInAttempt.failed_at)
        .where(column == value, SignInAttempt.failed_at > now - WINDOW)
        .order_by(SignInAttempt.failed_at.desc())
        .limit(limit)
    ).all()
    if len(times) < limit:
        return None
    return times[-1] + WINDOW


def check(session: Session, *, email: str, address: str, now: datetime) -> None:
    """Raise :class:`TooManyAttempts` when the email or the address is refused now."""
    until = [
        _refused_until(session, SignInAttempt.email, _key(email), PER_ACCOUNT, now),
        _refused_until(session, SignInAttempt.address, address[:64], PER_ADDRESS, now),
    ]
    refused = [instant for instant in until if instant is not None]
    if refused:
        raise TooManyAttempts(retry_at=max(refused), now=now)


def record_failure(session: Session, *, email: str, address: str, now: datetime) -> None:
    session.execute(delete(SignInAttempt).where(SignInAttempt.failed_at <= now - WINDOW))
    session.add(SignInAttempt(email=_key(email), address=address[:64], failed_at=now))
    session.flush()


def record_success(session: Session, *, email: str) -> None:
    session.execute(delete(SignInAttempt).where(SignInAttempt.email == _key(email)))
