"""Asks waiting for review: the twice-daily digest to each reviewer, and the warning two
business days before an unreviewed ask expires. Both run in the review round, due work
the worker schedules once an hour (:func:`schedule_round`).

What a caller may rely on:

* An ask's reviewer is its producer when that person is active, else the principal
  (:func:`referral_engine.tasks.service.principal`), who may review any ask.
* A round reads everything it needs in a few set-based queries (waiting asks, when each
  entered review, each reviewer's last digest), then decides per reviewer with the pure
  rules of :mod:`referral_engine.notifications.rules`.
* Digest: in a slot (08:00 or 13:00 agency time, business days), a reviewer with asks
  waiting gets one email listing each ask with its link — unless none of them entered
  review after their previous digest. Its key is ``digest:USER:SLOT``, so a second round
  in the same slot writes nothing: at most two digests a day.
* Expiry warning: an ask still waiting once :func:`rules.expiry_warning_from` has passed
  warns its reviewer (email, and a text where they said yes) and is stamped
  ``expiry_warned_at``, keyed ``expiry:ASK``: once per ask.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.decisions.calendar import BusinessCalendar
from referral_engine.jobs import service as jobs
from referral_engine.notifications import compose, repository, rules
from referral_engine.notifications.service import public_link, queue
from referral_engine.tasks.service import principal
from referral_engine.users.models import User

REVIEW_ROUND = "notifications.review_round"
EXPIRY_WARNING = "expiry_warning"
# No ask is warned more than this long before it expires (two business days around a
# long holiday weekend stay well inside): the bound of the round's query, not a rule.
_WARNING_HORIZON = timedelta(days=10)


def schedule_round(session: Session, *, now: datetime) -> None:
    """Due work for the review round of ``now``'s hour (one job per hour, however often
    this is called)."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    jobs.enqueue(
        session,
        kind=REVIEW_ROUND,
        key=f"review-round:{hour.isoformat()}",
        run_at=hour,
        payload={"hour": hour.isoformat()},
    )


def review_round(session: Session, *, now: datetime) -> Counter[str]:
    """Queue the digests of ``now``'s slot and the expiry warnings due at ``now``."""
    settings = load_settings(session)
    calendar = BusinessCalendar.for_agency(settings.agency.timezone, settings.agency.holidays)
    fallback = principal(session)
    done: Counter[str] = Counter()
    done["digests"] = _digests(session, calendar=calendar, fallback=fallback, now=now)
    done["expiry_warnings"] = _expiry_warnings(
        session, calendar=calendar, fallback=fallback, now=now
    )
    return +done


def _reviewers(
    session: Session, asks: list[tuple[Ask, Client]], fallback: User | None
) -> dict[int, User]:
    """Each ask's reviewer, by ask id (asks nobody can review are left out)."""
    people = repository.users(session, {a.producer_id for a, _ in asks if a.producer_id})
    chosen: dict[int, User] = {}
    for ask, _ in asks:
        producer = people.get(ask.producer_id) if ask.producer_id is not None else None
        reviewer = producer if producer is not None and producer.active else fallback
        if reviewer is not None:
            chosen[ask.id] = reviewer
    return chosen


def _line(
    session: Session, ask: Ask, client: Client, calendar: BusinessCalendar
) -> compose.WaitingAsk:
    return compose.WaitingAsk(
        client=client.display_name,
        trigger=ask.trigger,
        expires_local=ask.expires_at.astimezone(calendar.zone),
        link=public_link(session, f"/asks/{ask.id}"),
    )


def _digests(
    session: Session, *, calendar: BusinessCalendar, fallback: User | None, now: datetime
) -> int:
    slot = rules.digest_slot(now, calendar)
    if slot is None:
        return 0
    waiting = repository.waiting_asks(session)
    reviewers = _reviewers(session, waiting, fallback)
    by_reviewer: dict[int, list[tuple[Ask, Client]]] = defaultdict(list)
    for ask, client in waiting:
        if ask.id in reviewers:
            by_reviewer[reviewers[ask.id].id].append((ask, client))
    entered = repository.entered_review(session, [a.id for a, _ in waiting])
    last = repository.last_digests(session, list(by_reviewer))
    people = {user.id: user for user in reviewers.values()}
    agency = load_settings(session).agency.name
    written = 0
    for user_id, asks in by_reviewer.items():
        times = [entered.get(ask.id, ask.created_at) for ask, _ in asks]
        if not rules.has_news(times, last.get(user_id)):
            continue
        notice = compose.review_digest(
            asks=[_line(session, ask, client, calendar) for ask, client in asks],
            queue_link=public_link(session, "/review"),
            agency=agency,
        )
        # A digest is a list of links: email only (a text would be a bare count).
        written += queue(
            session,
            user=people[user_id],
            kind=repository.DIGEST_KIND,
            key=f"digest:{user_id}:{slot.isoformat()}",
            notice=notice,
            now=now,
            email_only=True,
        )
    return written


def _expiry_warnings(
    session: Session, *, calendar: BusinessCalendar, fallback: User | None, now: datetime
) -> int:
    candidates = repository.unwarned_expiring(session, now=now, before=now + _WARNING_HORIZON)
    due = [
        (ask, client)
        for ask, client in candidates
        if rules.expiry_warning_from(ask.expires_at, calendar) <= now
    ]
    reviewers = _reviewers(session, due, fallback)
    agency = load_settings(session).agency.name
    warned = 0
    for ask, client in due:
        ask.expiry_warned_at = now
        reviewer = reviewers.get(ask.id)
        if reviewer is None:
            continue
        notice = compose.expiry_warning(ask=_line(session, ask, client, calendar), agency=agency)
        queue(
            session,
            user=reviewer,
            kind=EXPIRY_WARNING,
            key=f"expiry:{ask.id}",
            notice=notice,
            now=now,
        )
        warned += 1
    return warned
