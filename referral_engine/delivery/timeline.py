"""Messages on a contact's timeline: each email or text to the client, with its channel,
status and time (sent, or queued when it has not gone yet)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from referral_engine.contacts.timeline import Entry
from referral_engine.delivery import repository

KINDS = {
    "ask": "Ask",
    "thanks": "Thank-you",
    "help": "Help answer",
    "opt_out_confirm": "Opt-out confirmation",
    "reply": "Reply",
}
CHANNELS = {"email": "email", "sms": "text"}
STATES = {"outbox": "kept in the outbox", "delivery_unknown": "delivery unknown"}


def sent_to_client(session: Session, client_id: int, *, limit: int) -> list[Entry]:
    entries = []
    for message in repository.sent_to_client(session, client_id=client_id, limit=limit):
        what = KINDS.get(message.kind, message.kind.replace("_", " ").capitalize())
        channel = CHANNELS.get(message.channel, message.channel)
        status = STATES.get(str(message.status), str(message.status))
        parts = [f"to {message.to}", status]
        if message.subject:
            parts.insert(0, f"“{message.subject}”")
        entries.append(
            Entry(
                at=message.sent_at or message.created_at,
                title=f"{what} {channel} {status}",
                detail=" · ".join(parts),
                kind="message",
                href=f"/asks/{message.ask_id}" if message.ask_id else None,
            )
        )
    return entries
