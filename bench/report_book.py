"""The generated agency book's shape: its people, its clients, and how rows are written.

:mod:`report_life` fills the book with two years of events and what an agency's life
makes of them; this module holds what that needs: :class:`Book` (sizes, ids, who a
client is), :class:`Chunk` (the rows of a slice of time, in foreign-key order) and the
people written first — users, partners, clients with their policies and channel
consents. Every NOT NULL column is filled the way the real code fills it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Row = dict[str, Any]
Writer = Callable[[str, list[Row]], None]
"""``writer(table_name, rows)``: stores rows (every row of one call has the same keys)."""

SPAN = timedelta(days=730)
SOURCES = ("applied-epic", "hawksoft", "ezlynx", "agency-csv", "zendesk")
CHANNELS = {"agency-csv": "import", "zendesk": "poll"}
EVENT_TYPES = {
    "policy.bound": 30,
    "policy.renewed": 28,
    "feedback.received": 8,
    "issue.opened": 9,
    "issue.resolved": 9,
    "complaint.received": 1,
    "project.completed": 4,
    "support.resolved": 8,
    "account.upgraded": 3,
}
MOMENTS = {"policy.bound", "policy.renewed", "feedback.received", "project.completed"}
MOMENTS |= {"support.resolved", "account.upgraded"}
BIND_TRANSACTIONS = {"new": 85, "rewrite": 7, "change": 5, None: 3}
PERSONAL_LINES = ("AUTOP", "HOME", "DFIRE", "BOAT", "PUMBR", "MOTOR")
COMMERCIAL_LINES = ("BOP", "CGL", "AUTOB", "WORK", "PROP", "UMBRC")
OLD_ASK = {"sent": 55, "suppressed": 20, "outbox": 10, "expired": 6, "declined": 3}
OLD_ASK |= {"failed": 1, "delivery_unknown": 1}
NEW_ASK = {"pending_review": 15, "scheduled": 35, "held": 5, "sent": 35, "suppressed": 10}
SUPPRESSED_BY = {"frequency_cap": 60, "no_consent": 15, "recent_complaint": 10}
SUPPRESSED_BY |= {"opted_out": 10, "policy_cancelled": 5}
RULES = ("bind_delay", "send_hour", "quiet_hours", "no_consent", "delay", "needs_review")
REPLY_KINDS = {"hot": 20, "interested": 15, "neutral": 33, "opt_out": 8, "complaint": 2}
REPLY_KINDS |= {"auto_reply": 22}
PARTNER_KINDS = ("realtor", "mortgage_broker", "auto_dealer", "cpa", "attorney", "builder")
FIRST = ("Dana", "Luis", "Priya", "Marcus", "Elena", "Tom", "Aisha", "Ken", "Rosa", "Jamal")
LAST = ("Reyes", "Nguyen", "Patel", "Johnson", "Kowalski", "Okafor", "Schmidt", "Chen")
ENGINE = "Referral Engine"


def pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def name_of(n: int) -> tuple[str, str]:
    return FIRST[n % len(FIRST)], f"{LAST[(n // len(FIRST)) % len(LAST)]}{n}"


@dataclass
class Book:
    """The shape of the book and the ids handed out so far."""

    events: int
    end: datetime
    rng: random.Random
    clients: int
    partners: int
    producers: list[int]
    ids: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.end - SPAN

    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def commercial(self, client: int) -> bool:
        return client % 10 < 3

    def policy_number(self, client: int, k: int) -> str:
        return f"P{client:07d}-{k}"

    def line_of(self, client: int, k: int) -> tuple[str, str]:
        if self.commercial(client):
            return COMMERCIAL_LINES[(client + k) % len(COMMERCIAL_LINES)], "commercial"
        return PERSONAL_LINES[(client + k) % len(PERSONAL_LINES)], "personal"

    def producer_of(self, client: int) -> int:
        return self.producers[client % len(self.producers)]

    def client_created(self, client: int) -> datetime:
        """40 % of the book is there when the two years start; the rest joins evenly."""
        existing = int(self.clients * 0.4)
        if client <= existing:
            return self.start - timedelta(days=1 + client % 3000)
        return self.start + SPAN * ((client - existing) / (self.clients - existing))

    def client_at(self, instant: datetime) -> int:
        """A client already in the book at ``instant``."""
        existing = int(self.clients * 0.4)
        joined = int((self.clients - existing) * ((instant - self.start) / SPAN))
        return self.rng.randint(1, max(1, existing + joined - 1))

    def later(self, instant: datetime, low: timedelta, high: timedelta) -> datetime:
        return instant + low + (high - low) * self.rng.random()


class Chunk:
    """The rows of one slice of time, by table, written in foreign-key order."""

    ORDER = (
        "events",
        "raw_inputs",
        "asks",
        "ask_entries",
        "replies",
        "referrals",
        "referral_entries",
        "tasks",
        "rewards",
        "consent_records",
    )

    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {table: [] for table in self.ORDER}

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    def write(self, writer: Writer, counts: dict[str, int]) -> None:
        for table in self.ORDER:
            if self.rows[table]:
                writer(table, self.rows[table])
                counts[table] = counts.get(table, 0) + len(self.rows[table])


def write_people(book: Book, writer: Writer) -> None:
    """Users, partners, clients with their policies and channel consents."""
    people = {
        "users": list(_users(book)),
        "partners": list(_partners(book)),
    }
    for table, rows in people.items():
        writer(table, rows)
        book.counts[table] = len(rows)
    for first in range(1, book.clients + 1, 20_000):
        last = min(book.clients, first + 19_999)
        for table, rows in _clients(book, first, last).items():
            writer(table, rows)
            book.counts[table] = book.counts.get(table, 0) + len(rows)


def _users(book: Book) -> Iterator[Row]:
    for n in range(30):
        producer = n < len(book.producers)
        first, last = name_of(n)
        yield {
            "id": book.next_id("users"),
            "email": f"{first.lower()}.{last.lower()}@agency.example",
            "name": f"{first} {last}",
            "role": "producer" if producer else "csr",
            "password_hash": None,
            "senior": n % 7 == 0,
            "active": True,
            "created_at": book.start - timedelta(days=30),
        }


def _partners(book: Book) -> Iterator[Row]:
    for n in range(1, book.partners + 1):
        yield {
            "id": n,
            "external_id": f"PARTNER-{n}",
            "name": f"{LAST[n % len(LAST)]} {('Realty', 'Lending', 'Motors', 'CPA')[n % 4]} {n}",
            "kind": PARTNER_KINDS[n % len(PARTNER_KINDS)],
            "email": f"partner{n}@partners.example",
            "phone": None,
            "company": None,
            "notes": "",
            "created_at": book.start - timedelta(days=60),
        }


def _clients(book: Book, first: int, last: int) -> dict[str, list[Row]]:
    clients, policies, consents = [], [], []
    for n in range(first, last + 1):
        created = book.client_created(n)
        given, family = name_of(n)
        sms = n % 2 == 0
        clients.append(
            {
                "id": n,
                "external_id": f"C-{n}",
                "first_name": given,
                "last_name": family,
                "company": f"{family} Holdings LLC" if book.commercial(n) else None,
                "email": f"client{n}@example.com",
                "mobile": f"+1312{n % 10_000_000:07d}",
                "postal_code": f"60{n % 1000:03d}",
                "state": "IL",
                "timezone": None,
                "client_since": created.date() - timedelta(days=n % 900),
                "consent_email": True,
                "consent_sms": sms,
                "email_opted_out": False,
                "sms_opted_out": False,
                "preferred_channel": "sms" if sms and n % 3 == 0 else "email",
                "sensitive": n % 97 == 0,
                "producer_id": book.producer_of(n),
                "last_complaint_at": None,
                "created_at": created,
                "updated_at": created,
            }
        )
        for k in range(1, 2 + (n % 3 == 0)):
            policies.append(_policy(book, n, k, created))
        consents.append(consent(book, n, "email", "granted", "imported", created))
        if n % 2 == 0 or n % 5 == 0:
            status = "granted" if sms else "refused"
            consents.append(consent(book, n, "sms", status, "signed_application", created))
    return {"clients": clients, "policies": policies, "consent_records": consents}


def _policy(book: Book, client: int, k: int, created: datetime) -> Row:
    line, segment = book.line_of(client, k)
    premium = round(400 + (client * 37 + k * 911) % 9000 + 0.5, 2)
    return {
        "id": book.next_id("policies"),
        "client_id": client,
        "number": book.policy_number(client, k),
        "line_of_business": line,
        "segment": segment,
        "carrier": ("Progressive", "Travelers", "Hartford", "Cincinnati")[client % 4],
        "premium": premium,
        "commission": round(premium * 0.12, 2),
        "effective_date": created.date(),
        "last_transaction": "new",
        "status": "active",
        "updated_at": created,
    }


def consent(
    book: Book,
    client: int | None,
    purpose: str,
    status: str,
    method: str,
    at: datetime,
    referral: int | None = None,
) -> Row:
    return {
        "id": book.next_id("consent_records"),
        "client_id": client,
        "referral_id": referral,
        "purpose": purpose,
        "status": status,
        "method": method,
        "given_at": at,
        "recorded_at": at,
        "recorded_by_id": None,
        "staff_name": None,
        "source": f"{SOURCES[0]}, import",
        "wording": None,
        "address": None,
        "note": None,
    }
