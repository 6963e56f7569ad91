"""Asks on a contact's timeline: each decision, review and new time, in plain words."""

from __future__ import annotations

from sqlalchemy.orm import Session

from referral_engine.asks import repository
from referral_engine.contacts.timeline import Entry

TITLES = {
    "signal": "Referral-ready moment",
    "decision": "Ask decided",
    "review": "Ask reviewed",
    "schedule": "Ask scheduled",
}


def for_client(session: Session, client_id: int, *, limit: int | None = None) -> list[Entry]:
    """Ask entries but the individual rules (the decision entry names its rule): the
    newest ``limit`` of them, or all."""
    entries = []
    found = repository.entries_for_client(session, client_id=client_id, newest=limit)
    for entry, ask in found:
        if entry.kind == "rule":
            continue
        title = f"{TITLES.get(entry.kind, entry.kind)} (ask {ask.id})"
        who = f" — {entry.actor}" if entry.kind == "review" and entry.actor else ""
        entries.append(
            Entry(
                at=entry.at,
                title=title,
                detail=entry.detail + who,
                kind="ask",
                href=f"/asks/{ask.id}",
            )
        )
    return entries
