"""Two years of an agency's life, generated in bulk: the rows every report reads.

``build(writer, events=N, end=...)`` writes N events over the two years before ``end``
and what the product makes of them, in about these proportions per 1,000 events:

- 165 clients (1.3 policies and 1.6 channel consents each), 24 producers, 6 CSRs, one
  partner per 5,000 events (written first, by :mod:`report_book`);
- 1,025 raw inputs from 5 sources (2 % duplicates, 0.5 % rejected);
- about 460 asks, one per referral-ready moment not left out, 4 to 6 timeline entries
  each: those older than two weeks sent, suppressed (with the rule), in the outbox,
  expired, declined or failed; the last two weeks' still pending review, scheduled or
  held;
- about 40 replies to the asks sent (hot, interested, neutral, opt-out, complaint,
  auto-reply), a task for each one a person reads;
- about 18 referrals (from hot replies, partners, clients' pages, external sources),
  each with its contact SLA, contact and thank-you tasks, and its path through
  contacted, quoted and converted (premium and commission) or not converted;
  rewards and publicity permissions for some of their referrers.

Nothing happens after ``end``. Seeded: the same arguments build the same book.
"""

from __future__ import annotations

import json
import random
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from report_book import (
    BIND_TRANSACTIONS,
    CHANNELS,
    ENGINE,
    EVENT_TYPES,
    MOMENTS,
    NEW_ASK,
    OLD_ASK,
    REPLY_KINDS,
    RULES,
    SOURCES,
    SPAN,
    SUPPRESSED_BY,
    Book,
    Chunk,
    Row,
    Writer,
    consent,
    name_of,
    pick,
    write_people,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
EVENTS_PER_CHUNK = 10_000
DIRECT_REFERRALS_PER_EVENT = 0.012


def build(
    writer: Writer, *, events: int, end: datetime, admin_id: int = 1, seed: int = 11
) -> dict[str, int]:
    """Write the book through ``writer``; returns the rows written per table. User ids
    follow ``admin_id`` (the admin `referral init` made); every other table starts at 1."""
    book = Book(
        events=events,
        end=end,
        rng=random.Random(seed),
        clients=max(50, events * 165 // 1000),
        partners=max(5, events // 5000),
        producers=list(range(admin_id + 1, admin_id + 25)),
        ids={"users": admin_id},
    )
    write_people(book, writer)
    recent_asks: deque[Row] = deque(maxlen=500)
    for first in range(0, events, EVENTS_PER_CHUNK):
        chunk = Chunk()
        count = min(EVENTS_PER_CHUNK, events - first)
        for k in range(first, first + count):
            at = book.start + SPAN * ((k + book.rng.random()) / events)
            _event(book, chunk, at, recent_asks)
        window = (
            book.start + SPAN * (first / events),
            book.start + SPAN * ((first + count) / events),
        )
        for _ in range(_about(book.rng, count * DIRECT_REFERRALS_PER_EVENT)):
            _direct_referral(book, chunk, window, recent_asks)
        chunk.write(writer, book.counts)
    return dict(sorted(book.counts.items()))


def _about(rng: random.Random, mean: float) -> int:
    return max(0, round(rng.gauss(mean, mean**0.5)))


# -- events and raw inputs ---------------------------------------------------------------


def _event(book: Book, chunk: Chunk, at: datetime, recent_asks: deque[Row]) -> None:
    rng = book.rng
    kind = pick(rng, EVENT_TYPES)
    client = book.client_at(at)
    policy_k = 1 + (client % 3 == 0 and rng.random() < 0.5)
    line, segment = book.line_of(client, policy_k)
    policy_event = kind.startswith("policy.")
    transaction = pick(rng, BIND_TRANSACTIONS) if kind == "policy.bound" else None
    if kind == "policy.renewed":
        transaction = "renewal"
    event_id = book.next_id("events")
    source = SOURCES[event_id % len(SOURCES)]
    external_id = f"{kind}-{event_id}"
    received = min(book.end, book.later(at, timedelta(minutes=1), 2 * HOUR))
    payload = _payload(book, kind, external_id, source, at, client, line, transaction)
    event = {
        "id": event_id,
        "source": source,
        "external_id": external_id,
        "type": kind,
        "occurred_at": at,
        "received_at": received,
        "client_id": client,
        "policy_number": book.policy_number(client, policy_k) if policy_event else None,
        "transaction": transaction,
        "line_of_business": line if policy_event else None,
        "segment": segment if policy_event else None,
        "payload": payload,
    }
    chunk.add("events", event)
    _raw_inputs(book, chunk, event)
    warm = kind != "feedback.received" or rng.random() < 0.6
    if kind in MOMENTS and transaction not in ("change",) and warm and rng.random() < 0.6:
        _ask(book, chunk, event, recent_asks)


def _payload(
    book: Book,
    kind: str,
    external_id: str,
    source: str,
    at: datetime,
    client: int,
    line: str,
    transaction: str | None,
) -> dict[str, Any]:
    first, last = name_of(client)
    document: dict[str, Any] = {
        "id": external_id,
        "type": kind,
        "occurred_at": at.isoformat(),
        "source": source,
        "client": {
            "external_id": f"C-{client}",
            "first_name": first,
            "last_name": last,
            "email": f"client{client}@example.com",
            "consent": {"email": True, "sms": client % 2 == 0},
        },
        "producer": {"email": f"producer{book.producer_of(client)}@agency.example"},
    }
    if kind.startswith("policy."):
        document["policy"] = {"line_of_business": line, "transaction": transaction}
    return document


def _raw_inputs(book: Book, chunk: Chunk, event: Row) -> None:
    rng = book.rng
    body = json.dumps(event["payload"])
    channel = CHANNELS.get(event["source"], "webhook")
    received = event["received_at"]
    chunk.add("raw_inputs", _raw(book, event, body, channel, received, "accepted"))
    if rng.random() < 0.02:
        again = min(book.end, received + timedelta(minutes=rng.randint(1, 90)))
        chunk.add("raw_inputs", _raw(book, event, body, channel, again, "duplicate"))
    if rng.random() < 0.005:
        chunk.add("raw_inputs", _raw(book, None, body[:80], "import", received, "rejected"))


def _raw(book: Book, event: Row | None, body: str, channel: str, at: datetime, outcome: str) -> Row:
    rejected = outcome == "rejected"
    return {
        "id": book.next_id("raw_inputs"),
        "received_at": at,
        "channel": channel,
        "source": event["source"] if event else SOURCES[3],
        "body": body,
        "mapping": "book-of-business" if channel == "import" else None,
        "file_name": "book.csv" if channel == "import" else None,
        "line_no": book.ids["raw_inputs"] % 5000 if channel == "import" else None,
        "outcome": outcome,
        "reason": "policy.premium: not a number" if rejected else None,
        "errors": [{"field": "policy.premium", "reason": "not a number"}] if rejected else None,
        "event_key": event["external_id"] if event else None,
        "event_id": event["id"] if event else None,
        "reprocessed_at": None,
    }


# -- asks and their timelines ------------------------------------------------------------


def _ask(book: Book, chunk: Chunk, event: Row, recent_asks: deque[Row]) -> None:
    rng = book.rng
    at, created = event["occurred_at"], min(book.end, event["received_at"] + timedelta(minutes=5))
    young = book.end - at < 14 * DAY
    status = pick(rng, NEW_ASK if young else OLD_ASK)
    send_at = book.later(created, 2 * DAY, 5 * DAY)
    if status in ("sent", "outbox", "failed", "delivery_unknown") and send_at > book.end:
        status = "scheduled"
    client = event["client_id"]
    ask_id = book.next_id("asks")
    rule = pick(rng, SUPPRESSED_BY) if status == "suppressed" else rng.choice(RULES)
    ask = {
        "id": ask_id,
        "client_id": client,
        "trigger_event_id": event["id"],
        "moment_key": f"{client}:{event['type']}:{event['id']}",
        "trigger": event["type"],
        "moment_at": at,
        "evidence": f"{event['type']} {event['policy_number'] or ''}".strip(),
        "status": status,
        "channel": "sms" if rng.random() < 0.3 else "email",
        "scheduled_for": send_at if status in _SCHEDULED else None,
        "expires_at": at + 14 * DAY,
        "sent_at": send_at if status in ("sent", "delivery_unknown") else None,
        "token": f"tok{ask_id:012d}",
        "sending_started_at": send_at if status == "delivery_unknown" else None,
        "send_attempts": int(status in ("sent", "delivery_unknown", "failed")),
        "producer_id": book.producer_of(client),
        "policy_number": event["policy_number"],
        "line_of_business": event["line_of_business"],
        "segment": event["segment"],
        "premium": 400 + client % 9000 if event["policy_number"] else None,
        "draft_subject": "Thank you for trusting us",
        "draft_body": "Hi,\n\nThank you for trusting us. Do you know anyone who ...",
        "draft_template": f"{event['type']}/personal/any/any/email",
        "draft_edited": False,
        "reasons": [{"rule": rule, "detail": f"{rule}: as the rules said"}],
        "created_at": created,
        "updated_at": min(book.end, send_at),
    }
    chunk.add("asks", ask)
    _timeline(book, chunk, ask, rule)
    if ask["sent_at"] is not None:
        recent_asks.append(ask)
        if rng.random() < 0.15:
            _reply(book, chunk, ask)


def _first_decision(book: Book, status: str) -> str:
    if status in ("pending_review", "held", "suppressed", "scheduled"):
        return status
    if status == "declined":
        return "pending_review"
    if status == "expired":
        return "held"
    return "pending_review" if book.rng.random() < 0.3 else "scheduled"


_SCHEDULED = ("scheduled", "sent", "outbox", "failed", "delivery_unknown")
_DECIDING_RULE = {"pending_review": "needs_review", "held": "open_issue"}
_FINAL = ("sent", "outbox", "failed", "delivery_unknown", "expired")


def _timeline(book: Book, chunk: Chunk, ask: Row, rule: str) -> None:
    """signal, the rules, the decision, a review when one was needed, the final status."""
    created, status = ask["created_at"], ask["status"]
    decision = _first_decision(book, status)
    deciding = rule if decision == "suppressed" else _DECIDING_RULE.get(decision)
    _entry(book, chunk, ask, created, "signal", None, None, ask["evidence"])
    for name in {rule, book.rng.choice(RULES)}:
        _entry(book, chunk, ask, created, "rule", name, None, f"{name}: as the rules said")
    _entry(book, chunk, ask, created, "decision", deciding, decision, f"decided: {decision}")
    if decision == "pending_review" and status != "pending_review":
        verdict = "declined" if status == "declined" else "approved"
        at = created + 6 * HOUR
        _entry(book, chunk, ask, min(at, book.end), "review", None, verdict, verdict)
    if status in _FINAL:
        at = ask["expires_at"] if status == "expired" else ask["scheduled_for"]
        why = "warmth_expired" if status == "expired" else None
        _entry(book, chunk, ask, at, "status", why, status, f"status: {status}")


def _entry(
    book: Book,
    chunk: Chunk,
    ask: Row,
    at: datetime,
    kind: str,
    rule: str | None,
    status: str | None,
    detail: str,
) -> None:
    chunk.add(
        "ask_entries",
        {
            "id": book.next_id("ask_entries"),
            "ask_id": ask["id"],
            "at": at,
            "kind": kind,
            "rule": rule,
            "detail": detail,
            "status": status,
            "actor_id": None,
            "actor": ENGINE,
        },
    )


# -- replies -----------------------------------------------------------------------------


def _reply(book: Book, chunk: Chunk, ask: Row) -> None:
    rng = book.rng
    received = book.later(ask["sent_at"], timedelta(minutes=10), 72 * HOUR)
    if received > book.end:
        return
    kind = pick(rng, REPLY_KINDS)
    reply_id = book.next_id("replies")
    client = ask["client_id"]
    prospect = name_of(rng.randint(10**7, 10**8))
    chunk.add(
        "replies",
        {
            "id": reply_id,
            "channel": ask["channel"],
            "provider_id": f"<reply-{reply_id}@mail.example.com>",
            "ask_id": ask["id"],
            "client_id": client,
            "sender": f"client{client}@example.com",
            "text": "Yes! My neighbor just bought a house" if kind == "hot" else "Thanks!",
            "raw": "From: client\n\nThanks!",
            "kind": kind,
            "why": f"read as {kind}",
            "prospects": [{"first_name": prospect[0]}] if kind == "hot" else [],
            "received_at": received,
        },
    )
    _entry(book, chunk, ask, received, "reply", None, kind, f"reply: {kind}")
    if kind == "opt_out":
        _entry(book, chunk, ask, received, "status", "opted_out", "opted_out", "opted out")
    if kind != "auto_reply":
        _task(
            book,
            chunk,
            f"reply:{reply_id}",
            f"reply_{kind}",
            received,
            client=client,
            ask_id=ask["id"],
            reply_id=reply_id,
            hot=kind == "hot",
        )
    if kind == "hot" and rng.random() < 0.75:
        _referral(
            book,
            chunk,
            received + 10 * timedelta(minutes=1),
            "reply",
            client=client,
            ask=ask,
            reply_id=reply_id,
        )


def _task(
    book: Book,
    chunk: Chunk,
    key: str,
    kind: str,
    created: datetime,
    *,
    client: int | None = None,
    ask_id: int | None = None,
    reply_id: int | None = None,
    referral_id: int | None = None,
    hot: bool = False,
    done_at: datetime | None = None,
    due: timedelta = DAY,
) -> int:
    task_id = book.next_id("tasks")
    if done_at is None and book.end - created > 3 * DAY:
        done_at = book.later(created, HOUR, due)
    chunk.add(
        "tasks",
        {
            "id": task_id,
            "key": key,
            "kind": kind,
            "priority": "hot" if hot else "normal",
            "title": f"{kind.replace('_', ' ')}",
            "detail": "",
            "status": "done" if done_at else "open",
            "assignee_id": book.producer_of(client or task_id),
            "client_id": client,
            "ask_id": ask_id,
            "reply_id": reply_id,
            "referral_id": referral_id,
            "due_at": created + due,
            "escalated_at": None,
            "escalated_to_id": None,
            "created_at": created,
            "done_at": done_at,
            "done_by": "producer" if done_at else None,
        },
    )
    return task_id


# -- referrals ---------------------------------------------------------------------------


def _direct_referral(
    book: Book, chunk: Chunk, window: tuple[datetime, datetime], recent_asks: deque[Row]
) -> None:
    """A referral that did not come from a reply: a partner's, a client's page, external."""
    rng = book.rng
    created = min(book.end, window[0] + (window[1] - window[0]) * rng.random())
    source = rng.random()
    if source < 0.45:
        _referral(book, chunk, created, "api", partner=rng.randint(1, book.partners))
    elif source < 0.9:
        ask = rng.choice(recent_asks) if recent_asks and rng.random() < 0.5 else None
        client = ask["client_id"] if ask else book.client_at(created)
        _referral(book, chunk, created, "page", client=client, ask=ask)
    else:
        _referral(book, chunk, created, "api")


def _path(book: Book, created: datetime) -> dict[str, Any]:
    """When the referral was contacted, quoted, converted or closed (nothing after end)."""
    rng, end = book.rng, book.end

    def step(after: datetime | None, low: timedelta, high: timedelta, p: float) -> Any:
        if after is None or rng.random() >= p:
            return None
        at = book.later(after, low, high)
        return at if at <= end else None

    within = rng.random() < 0.8
    contacted = step(created, timedelta(minutes=10), 23 * HOUR, 0.85) if within else None
    contacted = contacted or step(created, 25 * HOUR, 96 * HOUR, 0.6 if not within else 0)
    quoted = step(contacted, DAY, 10 * DAY, 0.6)
    converted = step(quoted, 3 * DAY, 40 * DAY, 0.55)
    lost = None if converted else step(quoted or contacted or created, 5 * DAY, 45 * DAY, 0.6)
    status = "new"
    for name, at in (("contacted", contacted), ("quoting", quoted)):
        status = name if at else status
    status = "converted" if converted else "not_converted" if lost else status
    return {
        "contacted_at": contacted,
        "quoted_at": quoted,
        "converted_at": converted,
        "closed_at": converted or lost,
        "status": status,
    }


def _referral(
    book: Book,
    chunk: Chunk,
    created: datetime,
    via: str,
    *,
    client: int | None = None,
    partner: int | None = None,
    ask: Row | None = None,
    reply_id: int | None = None,
) -> None:
    rng = book.rng
    referral_id = book.next_id("referrals")
    path = _path(book, created)
    kind = "client" if client else "partner" if partner else "external"
    converted = path["converted_at"] is not None
    premium = round(rng.uniform(400, 9000), 2) if converted else None
    first, last = name_of(rng.randint(10**8, 10**9))
    line = rng.choice(("AUTOP", "HOME", "BOP", None))
    referrer_name = (
        " ".join(name_of(client)) if client else f"Partner {partner}" if partner else None
    )
    contact_task = _task(
        book,
        chunk,
        f"referral:{referral_id}:contact",
        "priority_contact",
        created,
        client=client,
        referral_id=referral_id,
        hot=True,
        done_at=path["contacted_at"] or path["closed_at"],
    )
    drafted = via == "reply" and path["status"] == "new" and rng.random() < 0.3
    row = {
        "id": referral_id,
        "status": path["status"],
        "reason": rng.choice(("price", "timing", "coverage", "unreachable"))
        if path["status"] == "not_converted"
        else None,
        "captured_via": via,
        "needs_confirmation": drafted,
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@example.net",
        "mobile": f"+1773{referral_id % 10_000_000:07d}",
        "company": None,
        "line_of_business": line,
        "postal_code": None,
        "prospect_client_id": None,
        "referred_by_kind": kind,
        "referred_by_client_id": client,
        "referred_by_partner_id": partner,
        "referred_by_external_id": f"C-{client}" if client else None,
        "referred_by_name": referrer_name if kind != "external" else "Google review",
        "ask_id": ask["id"] if ask else None,
        "reply_id": reply_id,
        "source_event_id": None,
        "tags": ["Referral – New", f"Referred by {kind.title()}"],
        "notes": "",
        "disputed": rng.random() < 0.01,
        "disputed_at": None,
        "disputed_by": None,
        "contact_due_at": created + 24 * HOUR,
        "contact_task_id": contact_task,
        **{k: path[k] for k in ("contacted_at", "quoted_at", "closed_at", "converted_at")},
        "converted_event_id": None,
        "converted_policy_number": f"NEW-{referral_id}" if converted else None,
        "converted_line_of_business": (line or "AUTOP") if converted else None,
        "converted_premium": premium,
        "converted_commission": round(premium * rng.uniform(0.1, 0.15), 2) if premium else None,
        "received_at": None if drafted else created,
        "created_at": created,
        "updated_at": path["closed_at"] or path["quoted_at"] or path["contacted_at"] or created,
    }
    chunk.add("referrals", row)
    _referral_timeline(book, chunk, row)
    if client:
        _thanks(book, chunk, row, client)


def _referral_timeline(book: Book, chunk: Chunk, referral: Row) -> None:
    steps = [("captured", None, referral["created_at"]), ("tagged", None, referral["created_at"])]
    steps += [
        ("status", status, referral[column])
        for status, column in (("contacted", "contacted_at"), ("quoting", "quoted_at"))
    ]
    steps.append(("status", referral["status"], referral["closed_at"]))
    for kind, status, at in steps:
        if at is None:
            continue
        chunk.add(
            "referral_entries",
            {
                "id": book.next_id("referral_entries"),
                "referral_id": referral["id"],
                "at": at,
                "kind": kind,
                "status": status,
                "detail": f"{kind} {status or ''}".strip(),
                "actor_id": None,
                "actor": ENGINE,
            },
        )


def _thanks(book: Book, chunk: Chunk, referral: Row, client: int) -> None:
    """The referrer's thank-you task; for some, a reward and a publicity permission."""
    rng, created, rid = book.rng, referral["created_at"], referral["id"]
    _task(
        book,
        chunk,
        f"referral:{rid}:thank",
        "thank_referrer",
        created,
        client=client,
        referral_id=rid,
        due=2 * DAY,
    )
    if rng.random() < 0.25:
        _reward(book, chunk, referral, client)
    granted = min(book.end, created + DAY)
    if rng.random() < 0.3:
        chunk.add("consent_records", consent(book, client, "publicity", "granted", "form", granted))
        if rng.random() < 0.1 and created + 60 * DAY <= book.end:
            at = created + 60 * DAY
            chunk.add("consent_records", consent(book, client, "publicity", "revoked", "email", at))
    if referral["converted_at"] and rng.random() < 0.5:
        chunk.add(
            "consent_records",
            consent(
                book,
                None,
                "share_outcome",
                "granted",
                "verbal",
                referral["converted_at"],
                referral=rid,
            ),
        )


def _reward(book: Book, chunk: Chunk, referral: Row, client: int) -> None:
    status = pick(book.rng, {"approved": 70, "proposed": 20, "declined": 10})
    created = referral["created_at"]
    decided = min(book.end, created + 2 * DAY) if status != "proposed" else None
    chunk.add(
        "rewards",
        {
            "id": book.next_id("rewards"),
            "key": f"referral_received:{referral['id']}",
            "referral_id": referral["id"],
            "client_id": client,
            "state": "IL",
            "kind": "gift_card",
            "value": 25.0,
            "trigger": "referral_received",
            "status": status,
            "rule": "IL: no state rule limits a $25 gift card",
            "proposed_at": created,
            "proposed_by": ENGINE,
            "decided_at": decided,
            "decided_by": "principal" if decided else None,
            "decided_by_id": None,
            "note": None,
            "task_id": None,
        },
    )
