"""Working a referral: status (with the reason it was lost), tags, notes, disputes, a
reward. Reaching contacted, quoting or converted tells the referrer what the referred
person allows (see :mod:`referral_engine.referrals.messages`); a reward amount is
checked and goes to review (see :mod:`referral_engine.referrals.rewards`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.delivery.models import Message
from referral_engine.referrals import (
    confirmation,
    messages,
    priority,
    repository,
    rewards,
    rules,
    undo,
)
from referral_engine.referrals.models import Referral, ReferralStatus
from referral_engine.referrals.rules import ReferralNotFound
from referral_engine.referrals.schemas import ReferralUpdate
from referral_engine.referrals.timeline import record
from referral_engine.tasks.models import Task
from referral_engine.users.actor import Actor
from referral_engine.users.models import User, manages
from referral_engine.webhooks import changes as webhooks


def update(
    session: Session, *, referral_id: int, changes: ReferralUpdate, user: User, now: datetime
) -> Referral:
    """Apply the fields sent, all or nothing.

    Raises :class:`ReferralNotFound`; :class:`rules.InvalidReferral` (a missing or
    misplaced reason, conversion facts without status converted, an ``owner_id`` that is
    no active user); :class:`rules.TransitionRefused` (a final status changed by someone
    not an admin); :class:`confirmation.NotYours` (a reassignment by someone who may not
    work the referral).
    """
    referral = repository.get(session, referral_id, for_update=True)
    if referral is None:
        raise ReferralNotFound(f"no referral {referral_id}")
    if "owner_id" in changes.model_fields_set:
        if changes.owner_id is None:
            raise rules.InvalidReferral("owner_id", "name the user who works it from now on")
        # Checked first: a refused reassignment changes nothing else either.
        confirmation.reassign(session, referral, owner_id=changes.owner_id, user=user, now=now)
    change = _status_change(referral, changes)
    if change is not None:
        rules.check_change(
            ReferralStatus(referral.status),
            referral.reason,
            change,
            admin=manages(user),
        )
    converting = change is not None and change.status == ReferralStatus.converted
    facts = {"policy_number", "premium", "commission"} & changes.model_fields_set
    if facts and not converting:
        raise rules.InvalidReferral(
            sorted(facts)[0], "policy facts are given only with status converted"
        )
    actor = Actor.of(user)
    if change is not None:
        was = undo.before(session, referral)
        told = _set_status(
            session, referral, change, changes=changes, user=user, actor=actor, now=now
        )
        if referral.status != was.snapshot["status"]:
            undo.remember(session, referral, was, messages=told, actor=actor, now=now)
    if changes.tags is not None:
        referral.tags = rules.merged(changes.tags)
        detail = ", ".join(referral.tags) or "(none)"
        record(session, referral, kind="tags", detail=f"tags: {detail}", now=now, actor=actor)
    if changes.notes is not None and changes.notes != referral.notes:
        referral.notes = changes.notes
        record(session, referral, kind="notes", detail="notes edited", now=now, actor=actor)
    if changes.disputed is not None and changes.disputed != referral.disputed:
        referral.disputed = changes.disputed
        referral.disputed_at, referral.disputed_by = now, actor.name
        detail = "attribution disputed" if changes.disputed else "dispute resolved"
        record(session, referral, kind="disputed", detail=detail, now=now, actor=actor)
    if "reward_amount" in changes.model_fields_set:
        rewards.by_hand(session, referral, value=changes.reward_amount, now=now, actor=actor)
    referral.updated_at = now
    session.flush()
    return referral


def _status_change(referral: Referral, changes: ReferralUpdate) -> rules.StatusChange | None:
    if changes.status is not None:
        return rules.StatusChange(changes.status, changes.reason)
    if changes.reason is not None:
        # A reason alone re-states why a not-converted referral was lost.
        return rules.StatusChange(ReferralStatus(referral.status), changes.reason)
    return None


def _set_status(
    session: Session,
    referral: Referral,
    change: rules.StatusChange,
    *,
    changes: ReferralUpdate,
    user: User,
    actor: Actor,
    now: datetime,
) -> list[Message]:
    """Set the status; returns the messages it queued for the referrer."""
    before = ReferralStatus(referral.status)
    if change.status == before and change.reason == referral.reason:
        if before == ReferralStatus.converted:
            _conversion_facts(session, referral, changes=changes, actor=actor, now=now)
        return []
    notes: list[str] = []
    if before in rules.FINAL:
        _reopen(referral, before)
        notes.append(f"an admin changed the final status {before}")
    referral.status = change.status
    reached = change.status in (ReferralStatus.contacted, ReferralStatus.quoting)
    if reached and referral.contacted_at is None:
        notes.append(priority.contacted(session, referral, user=user, now=now))
    if change.status == ReferralStatus.quoting and referral.quoted_at is None:
        referral.quoted_at = now
    if change.status == ReferralStatus.converted:
        referral.converted_at = referral.closed_at = now
        referral.converted_policy_number = changes.policy_number
        referral.converted_premium = changes.premium
        referral.converted_commission = changes.commission
        if changes.premium is not None:
            notes.append(f"premium ${changes.premium:,.2f}")
    if change.status == ReferralStatus.not_converted:
        referral.reason = change.reason
        referral.closed_at = now
    if change.status in rules.FINAL:
        tag = rules.STATUS_TAGS[change.status]
        referral.tags = rules.merged(referral.tags, [tag])
        notes.append(f"tagged {tag}")
        priority.close_contact_task(session, referral, user=user, now=now)
    detail = f"{before} → {change.status}"
    if change.reason:
        detail += f" (reason: {change.reason})"
    if changes.policy_number:
        detail += f", policy {changes.policy_number}"
    # The referrer's update goes on the timeline just before the status entry, which
    # stays the last word on the move.
    told = messages.inform(session, referral, status=change.status, now=now, actor=actor)
    record(
        session,
        referral,
        kind="status",
        status=change.status,
        detail="; ".join([detail, *notes]),
        now=now,
        actor=actor,
    )
    webhooks.referral_status_changed(session, referral, previous=before, now=now)
    return [told] if told is not None else []


def _conversion_facts(
    session: Session, referral: Referral, *, changes: ReferralUpdate, actor: Actor, now: datetime
) -> None:
    """Facts of the bind added to a referral already converted (policy, premium, …)."""
    given = {"policy_number", "premium", "commission"} & changes.model_fields_set
    if not given:
        return
    for name in sorted(given):
        setattr(referral, f"converted_{name}", getattr(changes, name))
    shown = ", ".join(f"{name} {getattr(changes, name)}" for name in sorted(given))
    record(session, referral, kind="converted", detail=f"bind facts: {shown}", now=now, actor=actor)


def _reopen(referral: Referral, before: ReferralStatus) -> None:
    """An admin corrects a final status: what the old status claimed is taken back."""
    referral.tags = rules.without(referral.tags, rules.STATUS_TAGS[before])
    referral.reason = None
    referral.closed_at = None
    if before == ReferralStatus.converted:
        referral.converted_at = None
        referral.converted_event_id = None
        referral.converted_policy_number = None
        referral.converted_line_of_business = None
        referral.converted_premium = None
        referral.converted_commission = None


def contact_task_done(
    session: Session, *, task: Task, user: User, now: datetime
) -> Referral | None:
    """A referral's contact task marked done means the prospect was reached: a referral
    still ``new`` moves to ``contacted`` (the SLA stamp, the referrer's update, the
    timeline) as if set by hand. Any other task, or a referral further along, is left
    as it is; returns the referral moved."""
    if task.kind != priority.PRIORITY_CONTACT or task.referral_id is None:
        return None
    referral = repository.get(session, task.referral_id)
    if referral is None or referral.status != ReferralStatus.new:
        return None
    return update(
        session,
        referral_id=referral.id,
        changes=ReferralUpdate(status=ReferralStatus.contacted),
        user=user,
        now=now,
    )


NOTE_MAX = 5000


def add_note(session: Session, *, referral_id: int, text: str, user: User, now: datetime) -> None:
    """A dated note on the referral's timeline, in the writer's name (kind ``note``).

    Raises :class:`ReferralNotFound`, and :class:`rules.InvalidReferral` for an empty
    note or one over :data:`NOTE_MAX` characters.
    """
    text = text.strip()
    if not text or len(text) > NOTE_MAX:
        raise rules.InvalidReferral("note", f"write a note of 1 to {NOTE_MAX} characters")
    referral = repository.get(session, referral_id)
    if referral is None:
        raise ReferralNotFound(f"no referral {referral_id}")
    record(session, referral, kind="note", detail=text, now=now, actor=Actor.of(user))
    referral.updated_at = now
    session.flush()
