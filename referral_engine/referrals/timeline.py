"""A referral's timeline: who did what to it, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.contacts.timeline import Entry
from referral_engine.referrals import repository
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


def made_by_client(session: Session, client_id: int, *, limit: int) -> list[Entry]:
    """The referrals the client made, for their contact's timeline (each links to its
    own page)."""
    entries = []
    for referral in repository.made_by_client(session, client_id=client_id, limit=limit):
        prospect = " ".join(p for p in (referral.first_name, referral.last_name) if p)
        who = prospect or referral.company or referral.email or f"referral {referral.id}"
        status = str(referral.status).replace("_", " ")
        entries.append(
            Entry(
                at=referral.created_at,
                title=f"Referred {who}",
                detail=f"referral {referral.id} · {status} · via {referral.captured_via}",
                kind="referral",
                href=f"/referrals/{referral.id}",
            )
        )
    return entries
