"""How many referrals the introduce-someone page takes, so a leaked or forwarded link
cannot flood the agency with made-up people.

What a caller may rely on:

- :func:`check` refuses (:class:`TooManyReferrals`) a submission when the ask's link
  already took ``[links] referrals_per_link_per_day`` referrals in the last 24 hours, or
  the client address sent ``[links] referrals_per_address_per_hour`` in the last hour.
  The counts live in the database (``refer_submissions``), so every web process agrees.
- :func:`record` counts an accepted submission at ``now`` and removes rows older than a
  day (the longest window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from referral_engine.delivery import repository
from referral_engine.delivery.models import ReferSubmission
from referral_engine.settings import LinksSection

PER_LINK_WINDOW = timedelta(days=1)
PER_ADDRESS_WINDOW = timedelta(hours=1)


@dataclass
class TooManyReferrals(Exception):
    """Refused until ``retry_at``."""

    retry_at: datetime
    now: datetime

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil((self.retry_at - self.now).total_seconds()))

    def __str__(self) -> str:
        minutes = max(1, math.ceil(self.retry_after_seconds / 60))
        wait = f"{minutes} minutes" if minutes < 120 else f"{math.ceil(minutes / 60)} hours"
        return (
            "Thank you — we have already received several introductions from this link. "
            f"Please try again in about {wait}, or call us."
        )


def check(
    session: Session, *, ask_id: int, address: str, limits: LinksSection, now: datetime
) -> None:
    """Refuse when either count is at its limit (see the module)."""
    counted = (
        (
            PER_LINK_WINDOW,
            limits.referrals_per_link_per_day,
            repository.refer_submissions(session, since=now - PER_LINK_WINDOW, ask_id=ask_id),
        ),
        (
            PER_ADDRESS_WINDOW,
            limits.referrals_per_address_per_hour,
            repository.refer_submissions(session, since=now - PER_ADDRESS_WINDOW, address=address),
        ),
    )
    for window, limit, times in counted:
        if len(times) >= limit:
            # The wait: until enough of them fall out of the window.
            raise TooManyReferrals(retry_at=times[len(times) - limit] + window, now=now)


def record(session: Session, *, ask_id: int, address: str, now: datetime) -> None:
    repository.forget_refer_submissions(session, before=now - PER_LINK_WINDOW)
    session.add(ReferSubmission(ask_id=ask_id, address=address[:64], at=now))
    session.flush()
