"""Use cases of the decision area: what happens when an event arrives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.events.models import Event


def on_event(session: Session, *, event_id: int, now: datetime) -> str | None:
    """React to a stored event; returns a short outcome name for the tick report."""
    event = session.get(Event, event_id)
    if event is None:
        return None
    return f"event:{event.type}"
