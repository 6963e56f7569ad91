"""Taking back a referral's status change, for a while after it was made.

What a caller may rely on:

- Every status change (page, API or a contact task marked done) is kept with the
  referral as it was (:func:`remember`), what it queued for the referrer, the rewards it
  proposed and the tasks it closed.
- :func:`undoable` gives the referral's last change while it may still be undone: within
  :data:`UNDO_WINDOW` of it (by the caller's ``now``), not undone yet, and the referral
  still at the status that change set.
- :func:`undo` puts the referral back as it was, cancels each referrer message still
  waiting (queued or in the outbox) and says which had already gone, withdraws the
  rewards the change proposed, reopens the tasks it closed, writes a timeline entry and
  a ``referral.status_changed`` webhook. Refused (:class:`UndoRefused`) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.referrals.models import (
    Referral,
    ReferralEntry,
    ReferralStatus,
    ReferralStatusChange,
    Reward,
    RewardStatus,
)
from referral_engine.referrals.timeline import record
from referral_engine.tasks.models import Task, TaskStatus
from referral_engine.users.actor import Actor
from referral_engine.webhooks import changes as webhooks

UNDO_WINDOW = timedelta(minutes=10)
UNDONE_UPDATE = "update_undone"
"""An update entry whose message was cancelled: no longer counts as told."""
_KEPT = ("id", "created_at")


class UndoRefused(ValueError):
    """Nothing to undo: too late, already undone, or the referral moved on (HTTP 409)."""


@dataclass(frozen=True)
class Before:
    """What a change is about to alter, read just before it."""

    snapshot: dict[str, Any]
    rewards: set[int]
    open_tasks: set[int]


def before(session: Session, referral: Referral) -> Before:
    """The referral's columns and its rewards and open tasks, before a status change."""
    return Before(
        snapshot=_columns(referral),
        rewards=_rewards(session, referral.id),
        open_tasks=_open_tasks(session, referral.id),
    )


def remember(
    session: Session,
    referral: Referral,
    was: Before,
    *,
    messages: list[Message],
    actor: Actor,
    now: datetime,
) -> ReferralStatusChange:
    """Keep the change just made to ``referral`` so that it can be undone."""
    session.flush()
    change = ReferralStatusChange(
        referral_id=referral.id,
        at=now,
        before=str(was.snapshot["status"]),
        after=str(referral.status),
        actor=actor.name,
        snapshot=was.snapshot,
        message_ids=[m.id for m in messages],
        reward_ids=sorted(_rewards(session, referral.id) - was.rewards),
        task_ids=sorted(was.open_tasks - _open_tasks(session, referral.id)),
    )
    session.add(change)
    session.flush()
    return change


def undoable(session: Session, referral: Referral, *, now: datetime) -> ReferralStatusChange | None:
    """The referral's last status change while it may be undone (see the module)."""
    query = (
        select(ReferralStatusChange)
        .where(ReferralStatusChange.referral_id == referral.id)
        .order_by(ReferralStatusChange.at.desc(), ReferralStatusChange.id.desc())
        .limit(1)
    )
    last = session.scalars(query).first()
    if last is None or last.undone_at is not None or last.after != referral.status:
        return None
    if not (last.at <= now < last.at + UNDO_WINDOW):
        return None
    return last


def undo(session: Session, referral: Referral, *, actor: Actor, now: datetime) -> str:
    """Undo the referral's last status change (see the module); returns what was done,
    in words for the person who asked."""
    change = undoable(session, referral, now=now)
    if change is None:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise UndoRefused(
            f"referral {referral.id}: nothing to undo — a status change can be undone for "
            f"{minutes} minutes, once, while the referral is still at that status"
        )
    _restore(referral, change.snapshot)
    said = [f"undid {change.after} → {change.before}"]
    said += _messages(session, referral, change, now=now)
    said += _rewards_withdrawn(session, change, actor=actor, now=now)
    reopened = _reopen_tasks(session, change)
    if reopened:
        said.append(f"reopened task {', '.join(str(t) for t in reopened)}")
    change.undone_at = now
    referral.updated_at = now
    detail = "; ".join(said)
    record(
        session,
        referral,
        kind="status",
        status=change.before,
        detail=detail,
        now=now,
        actor=actor,
    )
    webhooks.referral_status_changed(
        session, referral, previous=ReferralStatus(change.after), now=now
    )
    session.flush()
    return detail[:1].upper() + detail[1:] + "."


def _columns(referral: Referral) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for column in inspect(Referral).columns:
        if column.key in _KEPT:
            continue
        value = getattr(referral, column.key)
        if isinstance(value, datetime):
            value = {"at": value.isoformat()}
        elif isinstance(value, list):
            value = list(value)
        elif value is not None and not isinstance(value, str | int | float | bool):
            value = float(value)  # a Numeric (premium, commission)
        document[column.key] = value
    return document


def _restore(referral: Referral, snapshot: dict[str, Any]) -> None:
    for key, value in snapshot.items():
        if isinstance(value, dict) and set(value) == {"at"}:
            value = datetime.fromisoformat(value["at"])
        setattr(referral, key, value)


def _messages(
    session: Session, referral: Referral, change: ReferralStatusChange, *, now: datetime
) -> list[str]:
    said: list[str] = []
    for message_id in change.message_ids:
        message = session.get(Message, message_id)
        if message is None:
            continue
        if message.status in (MessageStatus.queued, MessageStatus.outbox):
            message.status = MessageStatus.cancelled
            message.status_at = now
            said.append(f"message {message.id} to {message.to} cancelled before it was sent")
            _forget_update(session, referral, at=change.at)
        else:
            said.append(
                f"message {message.id} to {message.to} had already been sent "
                f"({message.status}): tell them yourself"
            )
    return said


def _forget_update(session: Session, referral: Referral, *, at: datetime) -> None:
    """The update whose message was cancelled no longer counts as told: setting the
    status again tells the referrer."""
    query = select(ReferralEntry).where(
        ReferralEntry.referral_id == referral.id,
        ReferralEntry.kind == "update",
        ReferralEntry.at == at,
    )
    for entry in session.scalars(query):
        entry.kind = UNDONE_UPDATE


def _rewards_withdrawn(
    session: Session, change: ReferralStatusChange, *, actor: Actor, now: datetime
) -> list[str]:
    said: list[str] = []
    for reward_id in change.reward_ids:
        reward = session.get(Reward, reward_id)
        if reward is None or reward.status not in (RewardStatus.proposed, RewardStatus.blocked):
            continue
        reward.status = RewardStatus.declined
        said.append(f"reward {reward.id} withdrawn")
    return said


def _reopen_tasks(session: Session, change: ReferralStatusChange) -> list[int]:
    reopened: list[int] = []
    for task_id in change.task_ids:
        task = session.get(Task, task_id)
        if task is None or task.status != TaskStatus.done:
            continue
        task.status = TaskStatus.open
        task.done_at = None
        task.done_by = None
        reopened.append(task.id)
    return reopened


def _rewards(session: Session, referral_id: int) -> set[int]:
    return set(session.scalars(select(Reward.id).where(Reward.referral_id == referral_id)))


def _open_tasks(session: Session, referral_id: int) -> set[int]:
    query = select(Task.id).where(Task.referral_id == referral_id, Task.status == TaskStatus.open)
    return set(session.scalars(query))
