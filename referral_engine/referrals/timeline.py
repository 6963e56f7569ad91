"""A referral's timeline: who did what to it, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.referrals.models import Referral, ReferralEntry
from referral_engine.users.actor import Actor


def record(
    session: Session,
    referral: Referral,
    *,
    kind: str,
    detail: str,
    now: datetime,
    actor: Actor,
    status: str | None = None,
) -> ReferralEntry:
    entry = ReferralEntry(
        referral_id=referral.id,
        at=now,
        kind=kind,
        status=status,
        detail=detail,
        actor_id=actor.user_id,
        actor=actor.name,
    )
    session.add(entry)
    return entry
