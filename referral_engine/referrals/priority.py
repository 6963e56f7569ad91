"""Priority service and thanks: the work a new referral gives people at once.

- The prospect: a "Contact … within 24 hours" task (kind ``priority_contact``), due 24
  clock hours after capture (for a referral drafted from a reply: after a person
  confirmed it), for the referral's owner — the referring client's producer, else the
  first active senior CSR, else the principal; tagged "Priority – Referral". Moving the
  referral to contacted (or quoting) closes the task and records whether the SLA held.
- The referrer, when thanked by task (see :mod:`referral_engine.referrals.messages`): a
  "Thank …" task (kind ``thank_referrer``) due in one business day for the same
  producer; tagged "Referral – Thanked" when the task is made (the thank-you itself is
  the producer's call, note or message).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client
from referral_engine.referrals import repository, rules
from referral_engine.referrals.models import Partner, Referral
from referral_engine.referrals.timeline import record
from referral_engine.tasks import service as tasks
from referral_engine.users.actor import SYSTEM, Actor
from referral_engine.users.models import User

CONTACT_WITHIN = timedelta(hours=24)
THANK_WITHIN_BUSINESS_HOURS = 8  # one business day
PRIORITY_CONTACT = "priority_contact"
THANK_REFERRER = "thank_referrer"


def prospect_name(referral: Referral) -> str:
    name = " ".join(p for p in (referral.first_name, referral.last_name) if p)
    return name or referral.company or referral.email or referral.mobile or "the prospect"


def referrer_name(referral: Referral) -> str:
    return named_referrer(referral.referred_by_name, referral.referred_by_external_id)


def named_referrer(name: str | None, external_id: str | None) -> str:
    """A referrer as a referral recorded them: the name, else the external id."""
    return name or external_id or "an unnamed source"


def producer_of(session: Session, client: Client | None) -> User | None:
    if client is None or client.producer_id is None:
        return None
    producer = session.get(User, client.producer_id)
    return producer if producer is not None and producer.active else None


def contact_owner(session: Session, referrer: Client | None) -> User | None:
    """Who calls the prospect: the referring client's producer, else the first active
    senior CSR, else the principal."""
    return (
        producer_of(session, referrer)
        or repository.first_senior_csr(session)
        or tasks.principal(session)
    )


def _contact_detail(referral: Referral) -> str:
    contact = ", ".join(p for p in (referral.mobile, referral.email) if p) or "no contact yet"
    lines = [
        f"{prospect_name(referral)} ({contact}) was referred by {referrer_name(referral)}"
        f" ({referral.referred_by_kind}).",
        "Priority – Referral: contact within 24 hours of capture.",
    ]
    if referral.line_of_business:
        lines.append(f"Interested in: {referral.line_of_business}")
    if referral.notes:
        lines.append(f"Notes: {referral.notes[:500]}")
    return "\n".join(lines)


def give_priority(
    session: Session,
    referral: Referral,
    *,
    referrer: Client | None,
    now: datetime,
    actor: Actor,
    owner: User | None = None,
) -> User | None:
    """The contact task, the SLA and the tag; returns who got the task: ``owner`` when
    given (a referral reassigned before it was confirmed), else :func:`contact_owner`.
    That person becomes the referral's owner."""
    owner = owner or contact_owner(session, referrer)
    referral.owner_id = owner.id if owner else None
    due = now + CONTACT_WITHIN
    task = tasks.create(
        session,
        key=f"referral-contact:{referral.id}",
        kind=PRIORITY_CONTACT,
        title=f"Contact {prospect_name(referral)} within 24 hours",
        detail=_contact_detail(referral),
        now=now,
        hot=True,
        assignee_id=owner.id if owner else None,
        client_id=referral.prospect_client_id,
        ask_id=referral.ask_id,
        referral_id=referral.id,
        due_at=due,
    )
    referral.contact_due_at = task.due_at
    referral.contact_task_id = task.id
    referral.tags = rules.merged(referral.tags, [rules.PRIORITY])
    whom = (owner.name or owner.email) if owner else "nobody (no user to assign)"
    record(
        session,
        referral,
        kind="task",
        detail=f"priority service: contact task for {whom}, due {task.due_at:%Y-%m-%d %H:%M} UTC;"
        f" tagged {rules.PRIORITY}",
        now=now,
        actor=actor,
    )
    return owner


def thank_referrer(
    session: Session,
    referral: Referral,
    *,
    referrer: Client | None,
    fallback: User | None,
    now: datetime,
    actor: Actor,
) -> None:
    """The thank-you task for the producer (a partner's: the contact task's owner), and
    the tag. Whether the referrer is thanked by task at all is the caller's choice (see
    :data:`referral_engine.referrals.messages.THANKS_BY_SOURCE`)."""
    owner = producer_of(session, referrer) or fallback
    who = referrer_name(referral)
    contact = ""
    if referrer is not None:
        contact = ", ".join(p for p in (referrer.mobile, referrer.email) if p)
    partner = (
        session.get(Partner, referral.referred_by_partner_id)
        if referral.referred_by_partner_id
        else None
    )
    if partner is not None:
        contact = ", ".join(p for p in (partner.phone, partner.email) if p)
    task = tasks.create(
        session,
        key=f"referral-thank:{referral.id}",
        kind=THANK_REFERRER,
        title=f"Thank {who} for introducing {prospect_name(referral)}",
        detail=(
            f"{who}{f' ({contact})' if contact else ''} introduced {prospect_name(referral)}."
            " Thank them today: a call, a handwritten note or a message."
        ),
        now=now,
        within_hours=THANK_WITHIN_BUSINESS_HOURS,
        assignee_id=owner.id if owner else None,
        client_id=referrer.id if referrer else None,
        ask_id=referral.ask_id,
        referral_id=referral.id,
    )
    referral.tags = rules.merged(referral.tags, [rules.THANKED])
    whom = (owner.name or owner.email) if owner else "nobody (no user to assign)"
    record(
        session,
        referral,
        kind="task",
        detail=f"thank-you task for the producer ({whom}) to thank {who},"
        f" due {task.due_at:%Y-%m-%d %H:%M} UTC; tagged {rules.THANKED}",
        now=now,
        actor=actor,
    )


def contacted(session: Session, referral: Referral, *, user: User, now: datetime) -> str:
    """First contact: stamp it, close the contact task; returns how the SLA went."""
    referral.contacted_at = now
    close_contact_task(session, referral, user=user, now=now)
    if referral.contact_due_at is None:
        return "first contact"
    late = now - referral.contact_due_at
    if late <= timedelta(0):
        return "first contact within the 24-hour SLA"
    hours = late.total_seconds() / 3600
    return f"first contact {hours:.1f} hours after the 24-hour SLA"


def close_contact_task(
    session: Session, referral: Referral, *, user: User | None, now: datetime
) -> None:
    """The contact task is done once the prospect was reached or the referral closed; an
    open one would escalate to the principal for nothing."""
    if referral.contact_task_id is None:
        return
    # A conversion found by an event has no signed-in person: the task is closed in the
    # system's name (an unsaved User, only its name is read).
    closer = user or User(name=SYSTEM.name, email="")
    # A task removed by hand is no matter: the referral's own stamps are what count.
    with suppress(tasks.TaskNotFound):
        tasks.complete(session, task_id=referral.contact_task_id, user=closer, now=now)
