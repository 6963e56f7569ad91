"""Telling a person that something needs them: a task given to them or escalated to them.

What a caller may rely on:

* A notice is one :class:`~referral_engine.delivery.models.Message` per channel (kind
  ``task_assigned`` / ``task_escalated`` / ``review_digest`` / ``expiry_warning``), with
  ``user_id`` set, no client, and a unique ``dedupe_key`` naming its cause and channel
  (``task:12:assigned:3:email``). Queueing the same cause again inserts nothing: a person
  is told once per task, however often the task is routed, touched or the sender runs.
* It is written in the caller's transaction (nothing is sent here) and leaves through the
  exactly-once sender (:func:`referral_engine.delivery.messages.send_queued`): queued when
  the channel has a provider, else it waits in the outbox.
* Channels and timing follow :mod:`referral_engine.notifications.rules`: email unless the
  person turned it off, a text when they gave a mobile and said yes to texts; held until
  07:00 agency time when they asked for quiet nights. An inactive person is told nothing.
* When the carrier reports that a number opted out (Twilio error 21610), everyone who
  takes notification texts at that number stops getting them (:func:`stop_texts`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.db import memo
from referral_engine.delivery.models import MessageStatus
from referral_engine.delivery.providers import Providers
from referral_engine.notifications import compose, repository, rules
from referral_engine.notifications.compose import Notice
from referral_engine.settings import ProviderSettings, provider_settings
from referral_engine.tasks.models import Task
from referral_engine.users.models import User

TASK_ASSIGNED = "task_assigned"
TASK_ESCALATED = "task_escalated"
PROVIDERS = "notifications.providers"


def _providers(session: Session) -> ProviderSettings:
    """The provider environment, read once per transaction (a pass may tell many people)."""
    return memo(session, PROVIDERS, provider_settings)


def public_link(session: Session, path: str) -> str:
    """``path`` under the configured public base URL (``REFERRAL_PUBLIC_URL``)."""
    return f"{_providers(session).public_url.rstrip('/')}{path}"


def task_link(session: Session, task_id: int) -> str:
    """Where a person works a task: its card on the tasks page."""
    return public_link(session, f"/tasks#task-{task_id}")


def queue(
    session: Session,
    *,
    user: User,
    kind: str,
    key: str,
    notice: Notice,
    now: datetime,
    email_only: bool = False,
) -> int:
    """Queue ``notice`` for ``user`` on each of their channels (only email with
    ``email_only``), once per ``key``.

    Returns how many messages were written (0 when every channel was already told, the
    person is inactive or wants no notifications)."""
    if not user.active:
        return 0
    chosen = rules.channels(
        notify_email=user.notify_email,
        mobile=user.mobile,
        notify_sms=user.notify_sms and not email_only,
    )
    if not chosen:
        return 0
    zone = ZoneInfo(load_settings(session).agency.timezone)
    send_after = rules.deliver_at(now, zone, quiet_nights=user.quiet_nights)
    providers = Providers.from_settings(_providers(session))
    rows = [
        {
            "user_id": user.id,
            "client_id": None,
            "ask_id": None,
            "kind": kind,
            "dedupe_key": f"{key}:{channel}",
            "channel": channel,
            "to": user.email if channel == "email" else str(user.mobile).strip(),
            "subject": notice.subject if channel == "email" else None,
            "body": notice.text if channel == "email" else notice.sms,
            "status": MessageStatus.queued if providers.has(channel) else MessageStatus.outbox,
            "attempts": 0,
            "send_after": send_after,
            "created_at": now,
        }
        for channel in chosen
    ]
    return repository.insert_once(session, rows)


def task_assigned(session: Session, *, task: Task, now: datetime) -> int:
    """Tell the task's assignee it is theirs (once per task and person)."""
    if task.assignee_id is None:
        return 0
    user = session.get(User, task.assignee_id)
    if user is None:
        return 0
    settings = load_settings(session)
    notice = compose.task_assigned(
        title=task.title,
        detail=task.detail,
        hot=task.priority == "hot",
        due_local=task.due_at.astimezone(ZoneInfo(settings.agency.timezone)),
        link=task_link(session, task.id),
        agency=settings.agency.name,
    )
    key = f"task:{task.id}:assigned:{user.id}"
    return queue(session, user=user, kind=TASK_ASSIGNED, key=key, notice=notice, now=now)


def task_escalated(session: Session, *, task: Task, user: User, now: datetime) -> int:
    """Tell ``user`` that an overdue task now rests with them too (once per task)."""
    settings = load_settings(session)
    assignee = session.get(User, task.assignee_id) if task.assignee_id is not None else None
    notice = compose.task_escalated(
        title=task.title,
        detail=task.detail,
        due_local=task.due_at.astimezone(ZoneInfo(settings.agency.timezone)),
        assignee=(assignee.name or assignee.email) if assignee else "nobody",
        link=task_link(session, task.id),
        agency=settings.agency.name,
    )
    key = f"task:{task.id}:escalated:{user.id}"
    return queue(session, user=user, kind=TASK_ESCALATED, key=key, notice=notice, now=now)


def stop_texts(session: Session, *, number: str) -> int:
    """The carrier says ``number`` opted out: turn off notification texts for every person
    at that mobile. Returns how many people's setting changed."""
    people = session.scalars(
        select(User).where(User.notify_sms.is_(True), User.mobile.is_not(None))
    )
    stopped = 0
    for user in people:
        if str(user.mobile).strip() == number.strip():
            user.notify_sms = False
            stopped += 1
    return stopped
