"""A contact's timeline: everything that happened with a client, newest first.

Events about the client come from here; other areas add theirs through
``TIMELINE_PROVIDERS`` (the asks' decisions and reviews, the referrals the client made,
the messages sent to them). Each provider answers its ``limit`` newest entries, so a page
of the merged timeline never loads a client's whole history."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.events.models import Event

EVENT_TITLES = {
    "policy.bound": "Policy bound",
    "policy.renewed": "Policy renewed",
    "policy.cancelled": "Policy cancelled",
    "feedback.received": "Feedback received",
    "project.completed": "Project completed",
    "support.resolved": "Support issue resolved",
    "account.upgraded": "Account upgraded",
    "issue.opened": "Issue opened",
    "issue.resolved": "Issue resolved",
    "complaint.received": "Complaint received",
    "client.updated": "Client details updated",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    title: str
    detail: str
    kind: str
    href: str | None = None  # where the entry's own page is (a referral, an ask)


def event_detail(event: Event) -> str:
    payload = event.payload
    parts = [f"from {event.source} ({event.external_id})"]
    policy = payload.get("policy") or {}
    if policy.get("number"):
        parts.append(f"policy {policy['number']} {policy.get('line_of_business') or ''}".strip())
    feedback = payload.get("feedback") or {}
    if feedback.get("score") is not None:
        parts.append(f"score {feedback['score']}/10")
    if feedback.get("text"):
        parts.append(f"“{feedback['text'][:200]}”")
    issue = payload.get("issue") or {}
    if issue.get("id"):
        parts.append(f"{issue.get('kind', 'issue')} {issue['id']}")
    return " · ".join(parts)


def for_client(
    session: Session, *, client_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[Entry], bool]:
    """Entries ``offset`` to ``offset + limit`` of the timeline from every area that
    records one, newest first, and whether older ones follow."""
    wanted = offset + limit + 1
    entries = [
        Entry(
            at=e.occurred_at,
            title=EVENT_TITLES.get(e.type, e.type),
            detail=event_detail(e),
            kind="event",
        )
        for e in session.scalars(
            select(Event)
            .where(Event.client_id == client_id)
            .order_by(Event.occurred_at.desc(), Event.id.desc())
            .limit(wanted)
        )
    ]
    for path in TIMELINE_PROVIDERS:
        module, _, name = path.partition(":")
        provider = getattr(importlib.import_module(module), name)
        entries.extend(provider(session, client_id, limit=wanted))
    ordered = sorted(entries, key=lambda e: e.at, reverse=True)
    return ordered[offset : offset + limit], len(ordered) > offset + limit


# Other areas' entries: "module:function" taking (session, client_id, *, limit) ->
# list[Entry], the newest ``limit`` of them.
# Named here rather than imported so that the contacts area depends on none of them.
TIMELINE_PROVIDERS: list[str] = [
    "referral_engine.asks.timeline:for_client",
    "referral_engine.referrals.timeline:made_by_client",
    "referral_engine.delivery.timeline:sent_to_client",
]
