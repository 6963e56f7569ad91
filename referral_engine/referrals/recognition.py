"""Recognizing top referrers each quarter, checking in with top partners.

Each quarter (calendar quarters in the agency's time zone, named ``2026-Q4``) the
referrers — clients and partners the referral names by record; external sources and
names never resolved are left out — are ranked by referrals converted in the quarter,
then by referrals received in it (disputed and unconfirmed referrals do not count; one
drafted from a reply is received when a person confirms it; ties by name). The top
:data:`TOP_SOURCES`:

- have their referrals of the quarter tagged "Referral – Top Source";
- get a ``recognize_referrer`` task for their producer (a partner's: the principal)
  with a drafted *private* thank-you. It counts only the conversions the people
  introduced agreed to share (:mod:`referral_engine.referrals.privacy`). A public
  thank-you is drafted only for a client whose newest publicity statement grants it,
  with the disclosure of any reward they received
  (:mod:`referral_engine.referrals.publicity`); for everyone else the task says to keep
  it private;
- a partner also gets ``partner_check_in`` tasks ("Check in with Harbor Realty"), the
  first due 30 days after recognition and one more every 30 days by due work, three in
  all; the next quarter's recognition starts a new series if they are still on top.

Capturing a referral schedules the quarter's recognition as due work at the quarter's
end (one job per quarter); ``POST /api/v1/recognition/run`` runs it at once. Running a
quarter twice changes nothing the first run did.

Rewards for referrers: :mod:`referral_engine.referrals.rewards`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.contacts.models import Client, ConsentRecord
from referral_engine.jobs import service as jobs
from referral_engine.referrals import (
    priority,
    privacy,
    publicity,
    repository,
    rewards,
    rules,
    wording,
)
from referral_engine.referrals.models import Partner, Referral, Reward
from referral_engine.referrals.timeline import record
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task
from referral_engine.users.actor import SYSTEM, Actor
from referral_engine.users.models import User

RECOGNIZE_QUARTER = "referrals.recognize_quarter"
CHECK_IN_PARTNER = "referrals.check_in_partner"
RECOGNIZE_REFERRER = "recognize_referrer"  # Task.kind
PARTNER_CHECK_IN = "partner_check_in"  # Task.kind
TOP_SOURCES = 3
"""How many referrers a quarter recognizes (the default)."""
CHECK_IN_EVERY = timedelta(days=30)
CHECK_INS = 3
"""Check-ins with a top partner per recognition: one a month until the next quarter."""
RECOGNIZE_WITHIN_BUSINESS_HOURS = 16
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class InvalidQuarter(ValueError):
    """A quarter not written as ``YYYY-QN`` (HTTP 422)."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        found = _QUARTER.match(text.strip().upper())
        if found is None:
            raise InvalidQuarter(f"quarter {text!r}: expected YYYY-QN, e.g. 2026-Q4")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def containing(cls, instant: datetime, zone: ZoneInfo) -> Quarter:
        local = instant.astimezone(zone)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as UTC-aware instants: local midnight of the first day of the
        quarter and of the next one."""
        start = date(self.year, 3 * self.number - 2, 1)
        end = date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, start.month + 3, 1)
        return _midnight(start, zone), _midnight(end, zone)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


@dataclass
class Standing:
    """One referrer's quarter: what they sent, what became business, where they rank."""

    kind: str  # client or partner
    referrer_id: int
    name: str
    received: int = 0
    converted: int = 0
    rank: int = 0
    # Of ``converted``, those whose referred person agreed the referrer may hear of it.
    converted_shared: int = 0
    # A client's publicity permission (None for a partner: nobody to record it for).
    public: bool | None = None
    referral_ids: list[int] = field(default_factory=list)
    task_id: int | None = None
    check_in_task_id: int | None = None


def tally(
    referrals: Iterable[Referral],
    *,
    start: datetime,
    end: datetime,
    shared: frozenset[int] | set[int] = frozenset(),
) -> list[Standing]:
    """Each referrer's counts in [start, end): received by capture time (for a referral
    drafted from a reply: by the time a person confirmed it), converted by conversion
    time; ``shared`` names the referrals whose outcome may be told. Pure."""
    standings: dict[tuple[str, int], Standing] = {}
    for referral in referrals:
        key = _referrer_key(referral)
        if key is None or referral.disputed or referral.needs_confirmation:
            continue
        received = start <= (referral.confirmed_at or referral.created_at) < end
        converted = referral.converted_at is not None and start <= referral.converted_at < end
        if not (received or converted):
            continue
        name = priority.referrer_name(referral)
        standing = standings.setdefault(key, Standing(key[0], key[1], name))
        standing.received += received
        standing.converted += converted
        standing.converted_shared += converted and referral.id in shared
        standing.referral_ids.append(referral.id)
    return rank(standings.values())


def introductions(session: Session, *, start: datetime, end: datetime) -> list[Standing]:
    """Each referrer's counts in [start, end), ranked: the standings :func:`tally` makes
    of :func:`repository.referred_between` (nothing shared), counted in the database;
    ``referral_ids`` are left empty."""
    counts = repository.referrer_counts(session, start=start, end=end)
    return rank(
        Standing(kind, referrer_id, priority.named_referrer(name, external_id), got, won)
        for kind, referrer_id, got, won, name, external_id in counts
    )


def rank(standings: Iterable[Standing]) -> list[Standing]:
    """Most converted first, then most received, then by name; ranks from 1. Pure."""
    ordered = sorted(
        standings, key=lambda s: (-s.converted, -s.received, s.name.casefold(), s.referrer_id)
    )
    for place, standing in enumerate(ordered, start=1):
        standing.rank = place
    return ordered


def _referrer_key(referral: Referral) -> tuple[str, int] | None:
    if referral.referred_by_kind == "client" and referral.referred_by_client_id:
        return "client", referral.referred_by_client_id
    if referral.referred_by_kind == "partner" and referral.referred_by_partner_id:
        return "partner", referral.referred_by_partner_id
    return None


def agency_zone(session: Session) -> ZoneInfo:
    return ZoneInfo(load_settings(session).agency.timezone)


def schedule(session: Session, *, now: datetime) -> None:
    """Due work to recognize the quarter ``now`` falls in, at its end (once a quarter)."""
    zone = agency_zone(session)
    quarter = Quarter.containing(now, zone)
    jobs.enqueue(
        session,
        kind=RECOGNIZE_QUARTER,
        key=f"recognize:{quarter}",
        run_at=quarter.bounds(zone)[1],
        payload={"quarter": str(quarter)},
    )


def run(
    session: Session,
    *,
    quarter: Quarter,
    now: datetime,
    top: int = TOP_SOURCES,
    actor: Actor = SYSTEM,
) -> list[Standing]:
    """Rank the quarter's referrers and recognize the top ``top``; returns every
    standing (the recognized ones with their task ids). Safe to run twice."""
    start, end = quarter.bounds(agency_zone(session))
    referrals = repository.referred_between(session, start=start, end=end)
    shared = privacy.sharing(session, [r for r in referrals if r.converted_at], now=now)
    standings = tally(referrals, start=start, end=end, shared=shared)
    clients = [s.referrer_id for s in standings if s.kind == "client"]
    allowed = publicity.permissions(session, clients)
    given = rewards.given_to(session, clients)
    for standing in standings:
        standing.public = standing.referrer_id in allowed if standing.kind == "client" else None
    for standing in standings[:top]:
        client_side = standing.kind == "client"
        _recognize(
            session,
            standing,
            quarter=quarter,
            now=now,
            actor=actor,
            permission=allowed.get(standing.referrer_id) if client_side else None,
            reward=given.get(standing.referrer_id) if client_side else None,
        )
    session.flush()
    return standings


def _recognize(
    session: Session,
    standing: Standing,
    *,
    quarter: Quarter,
    now: datetime,
    actor: Actor,
    permission: ConsentRecord | None,
    reward: Reward | None,
) -> None:
    for referral_id in standing.referral_ids:
        referral = session.get(Referral, referral_id)
        if referral is None or rules.TOP_SOURCE in referral.tags:
            continue
        referral.tags = rules.merged(referral.tags, [rules.TOP_SOURCE])
        record(
            session,
            referral,
            kind="recognized",
            detail=f"{standing.name} is a top source for {quarter} (#{standing.rank}:"
            f" {standing.converted} converted, {standing.received} received);"
            f" tagged {rules.TOP_SOURCE}",
            now=now,
            actor=actor,
        )
    client = session.get(Client, standing.referrer_id) if standing.kind == "client" else None
    owner = priority.producer_of(session, client) or tasks.principal(session)
    words = _words(session, standing, client, owner, quarter)
    draft = wording.render("recognition", words, channel="email")
    task = tasks.create(
        session,
        key=f"recognize:{quarter}:{standing.kind}:{standing.referrer_id}",
        kind=RECOGNIZE_REFERRER,
        title=f"Send {standing.name} a private thank-you for {quarter}",
        detail=(
            f"{standing.name} is #{standing.rank} of {quarter}'s referrers: {standing.received}"
            f" received, {standing.converted} converted (tell them only of the"
            f" {standing.converted_shared} whose people agreed to share it). A drafted private"
            " thank-you (a note, an email, a small gift; any reward amount goes on the"
            f" referral for review):\n\nSubject: {draft.subject}\n\n{draft.body}\n\n"
            + _public_part(standing, words, quarter, permission=permission, reward=reward)
        ),
        now=now,
        within_hours=RECOGNIZE_WITHIN_BUSINESS_HOURS,
        assignee_id=owner.id if owner else None,
        client_id=client.id if client else None,
    )
    standing.task_id = task.id
    if standing.kind == "partner":
        check_in = check_in_partner(
            session, partner_id=standing.referrer_id, quarter=str(quarter), number=1, now=now
        )
        standing.check_in_task_id = check_in.id if check_in else None


def _public_part(
    standing: Standing,
    words: wording.Words,
    quarter: Quarter,
    *,
    permission: ConsentRecord | None,
    reward: Reward | None,
) -> str:
    """The public thank-you draft, or why there is none."""
    if permission is None:
        return (
            "Keep it private: no social post, testimonial or leaderboard mention without"
            f" {standing.name}'s recorded permission."
        )
    post = publicity.public_draft(
        name=standing.name,
        agency=words.agency_name,
        introductions=standing.received,
        period=str(quarter),
        reward_kind=reward.kind if reward is not None else None,
    )
    return (
        f"{publicity.permission_line(standing.name, permission)}. A public thank-you within"
        f" those limits, if you post one:\n\n{post}"
    )


def _words(
    session: Session,
    standing: Standing,
    client: Client | None,
    owner: User | None,
    quarter: Quarter,
) -> wording.Words:
    agency = wording.tidy(load_settings(session).agency.name) or "our agency"
    producer = wording.tidy(owner.name if owner else "") or agency
    return wording.Words(
        first_name=wording.tidy(client.first_name if client else standing.name),
        prospect_first_name="",
        producer_name=producer,
        producer_first_name=producer.split(" ")[0],
        agency_name=agency,
        quarter=str(quarter),
        introductions=standing.received,
        converted=standing.converted_shared,
    )


def check_in_partner(
    session: Session, *, partner_id: int, quarter: str, number: int, now: datetime
) -> Task | None:
    """Check-in ``number`` (1 to :data:`CHECK_INS`) with a top partner: a task due in 30
    days, and due work for the next one when that task falls due. Once per number."""
    partner = session.get(Partner, partner_id)
    if partner is None or number > CHECK_INS:
        return None
    owner = tasks.principal(session)
    contact = ", ".join(p for p in (partner.phone, partner.email) if p)
    task = tasks.create(
        session,
        key=f"partner-check-in:{quarter}:{partner_id}:{number}",
        kind=PARTNER_CHECK_IN,
        title=f"Check in with {partner.name}",
        detail=f"{partner.name}{f' ({contact})' if contact else ''} was a top referral source"
        f" in {quarter}. Monthly check-in {number} of {CHECK_INS}: a call or coffee — how"
        " is business, who are they working with, anything we can do for their clients?",
        now=now,
        assignee_id=owner.id if owner else None,
        due_at=now + CHECK_IN_EVERY,
    )
    if number < CHECK_INS:
        jobs.enqueue(
            session,
            kind=CHECK_IN_PARTNER,
            key=f"check-in:{quarter}:{partner_id}:{number + 1}",
            run_at=task.due_at,
            payload={"partner_id": partner_id, "quarter": quarter, "number": number + 1},
        )
    return task
