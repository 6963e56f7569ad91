"""Receiving a referral: the work it gives people, and confirming one drafted from a reply.

A referral counts as *received* once someone vouches for its details: at once when it
is captured through the API, the hosted page or an event; after a person confirms it
when it was drafted from a client's reply (the reply reader may have misread a name or
a number). Receiving it (:func:`receive`) gives the prospect priority service (the
24-hour contact task for the referral's owner), thanks the referrer (a message or a
task, see :mod:`referral_engine.referrals.messages`) and proposes the reward program's
reward; recognition and the weekly numbers count it from then on.

Who may confirm or reassign a referral: :func:`referral_engine.referrals.rules.may_work`.
Services only flush; the request commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.contacts.models import Client
from referral_engine.events.lob import resolve_line
from referral_engine.events.schemas import ProspectIn
from referral_engine.referrals import messages, priority, repository, rewards, rules
from referral_engine.referrals.models import Referral
from referral_engine.referrals.rules import ReferralNotFound
from referral_engine.referrals.timeline import record
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task
from referral_engine.users.actor import Actor
from referral_engine.users.models import User
from referral_engine.webhooks import changes as webhooks

PROSPECT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "mobile",
    "company",
    "line_of_business",
    "postal_code",
)


class AlreadyReceived(ValueError):
    """The referral was confirmed already, or never needed confirming (HTTP 409)."""


class NotYours(PermissionError):
    """The person may not work this referral (HTTP 403)."""


def receive(
    session: Session,
    referral: Referral,
    *,
    referrer: Client | None,
    now: datetime,
    actor: Actor,
    owner: User | None = None,
) -> User | None:
    """The work a received referral gives: the contact task (for ``owner`` when given,
    else the referring client's producer, a senior CSR or the principal), the referrer's
    thank-you and the program's reward. Returns who got the contact task."""
    owner = priority.give_priority(
        session, referral, referrer=referrer, now=now, actor=actor, owner=owner
    )
    messages.thank(session, referral, referrer=referrer, fallback=owner, now=now, actor=actor)
    rewards.on_received(session, referral, now=now, actor=actor)
    return owner


def check_may_work(session: Session, referral: Referral, *, user: User) -> None:
    """Raise :class:`NotYours` unless :func:`rules.may_work` lets ``user`` act."""
    referrer = referrer_of(session, referral)
    allowed = rules.may_work(
        rules.Worker(user.id, user.role),
        owner_id=referral.owner_id,
        referrer_producer_id=referrer.producer_id if referrer else None,
    )
    if not allowed:
        raise NotYours(
            f"referral {referral.id} is another producer's: its owner, the referrer's"
            " producer, a CSR or a principal may act on it"
        )


def referrer_of(session: Session, referral: Referral) -> Client | None:
    if referral.referred_by_client_id is None:
        return None
    return session.get(Client, referral.referred_by_client_id)


def confirm(
    session: Session,
    *,
    referral_id: int,
    prospect: ProspectIn | None,
    user: User,
    now: datetime,
) -> Referral:
    """Confirm a referral drafted from a reply, with the prospect's fields that were
    sent (``prospect``, validated like a capture's) replacing the drafted ones; then it
    is received (:func:`receive`): contact task, thank-you, reward, recognition.

    Raises :class:`ReferralNotFound`, :class:`NotYours`, and :class:`AlreadyReceived`
    for a referral confirmed already or captured without needing it; nothing changes
    then.
    """
    referral = repository.get(session, referral_id, for_update=True)
    if referral is None:
        raise ReferralNotFound(f"no referral {referral_id}")
    check_may_work(session, referral, user=user)
    if not referral.needs_confirmation:
        when = f" on {referral.confirmed_at:%Y-%m-%d %H:%M} UTC" if referral.confirmed_at else ""
        raise AlreadyReceived(
            f"referral {referral_id} was confirmed already{when}"
            if referral.confirmed_at
            else f"referral {referral_id} was received when captured; it needs no confirmation"
        )
    actor = Actor.of(user)
    corrected = _correct(session, referral, prospect)
    referral.needs_confirmation = False
    referral.confirmed_at = referral.received_at = referral.updated_at = now
    referral.tags = rules.without(referral.tags, rules.DRAFT)
    detail = "confirmed by a person; it counts as received from now"
    if corrected:
        detail += "; corrected " + ", ".join(corrected)
    record(session, referral, kind="confirmed", detail=detail, now=now, actor=actor)
    webhooks.referral_confirmed(session, referral, now=now)
    owner = session.get(User, referral.owner_id) if referral.owner_id else None
    receive(
        session,
        referral,
        referrer=referrer_of(session, referral),
        now=now,
        actor=actor,
        owner=owner if owner is not None and owner.active else None,
    )
    session.flush()
    return referral


def _correct(session: Session, referral: Referral, prospect: ProspectIn | None) -> list[str]:
    """Write the prospect fields sent over the drafted ones; the names of those changed."""
    if prospect is None:
        return []
    changed = []
    for name in PROSPECT_FIELDS:
        if name not in prospect.model_fields_set:
            continue
        value = getattr(prospect, name)
        if name == "line_of_business":
            value = line_code(session, value)
        if value != getattr(referral, name):
            setattr(referral, name, value)
            changed.append(name)
    return changed


def line_code(session: Session, text: str | None) -> str | None:
    """The line of business ``text`` names, as the agency maps it (None when none)."""
    line = resolve_line(text, agency_map=dict(load_settings(session).lines_of_business))
    return line.code if line else None


def reassign(
    session: Session, referral: Referral, *, owner_id: int, user: User, now: datetime
) -> None:
    """Give ``referral`` (and its open contact task) to the active user ``owner_id``.

    Raises :class:`NotYours` when ``user`` may not work it, and
    :class:`rules.InvalidReferral` for an unknown or inactive user.
    """
    check_may_work(session, referral, user=user)
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise rules.InvalidReferral("owner_id", f"no active user {owner_id}")
    if referral.owner_id == owner.id:
        return
    referral.owner_id = owner.id
    moved = ""
    task = session.get(Task, referral.contact_task_id) if referral.contact_task_id else None
    if task is not None and tasks.reassign(session, task=task, assignee=owner, now=now):
        moved = " with its open contact task"
    record(
        session,
        referral,
        kind="owner",
        detail=f"reassigned to {owner.name or owner.email}{moved}",
        now=now,
        actor=Actor.of(user),
    )
