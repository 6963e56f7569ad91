"""Tasks: work routed to a person with a due time, escalated to the principal when late."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.asks.models import Ask
from referral_engine.decisions.calendar import BusinessCalendar
from referral_engine.jobs import service as jobs
from referral_engine.notifications import service as notifications
from referral_engine.tasks.models import Task, TaskStatus
from referral_engine.users.models import MANAGERS, User
from referral_engine.webhooks import changes as webhooks

ESCALATE_TASK = "tasks.escalate_task"
OPEN_AT = time(9)
CLOSE_AT = time(17)
HOT_WITHIN_HOURS = 4  # business hours: a hot reply never waits in an inbox
NORMAL_WITHIN_HOURS = 8  # one business day


class TaskNotFound(LookupError):
    pass


def business_hours_later(start: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The instant ``hours`` business hours (9:00–17:00 agency time, business days)
    after ``start``; time outside business hours does not count."""
    zone = calendar.zone
    remaining = timedelta(hours=hours)
    local = start.astimezone(zone)
    while True:
        day = local.date()
        opens = datetime.combine(day, OPEN_AT, zone)
        closes = datetime.combine(day, CLOSE_AT, zone)
        if not calendar.is_business_day(day) or local >= closes:
            nxt = calendar.next_business_day_on_or_after(day + timedelta(days=1))
            local = datetime.combine(nxt, OPEN_AT, zone)
            continue
        local = max(local, opens)
        if local + remaining <= closes:
            return (local + remaining).astimezone(start.tzinfo)
        remaining -= closes - local
        local = closes


def principal(session: Session) -> User | None:
    """Who overdue work escalates to: ``[agency] principal_email``, else the first
    principal or admin."""
    email = load_settings(session).agency.principal_email.strip().lower()
    if email:
        user = session.scalars(select(User).where(User.email == email)).first()
        if user is not None:
            return user
    return session.scalars(
        select(User).where(User.role.in_(MANAGERS), User.active.is_(True)).order_by(User.id)
    ).first()


def assignee_for(session: Session, ask: Ask | None) -> int | None:
    if ask is not None and ask.producer_id is not None:
        return ask.producer_id
    boss = principal(session)
    return boss.id if boss else None


def create(
    session: Session,
    *,
    key: str,
    kind: str,
    title: str,
    detail: str,
    now: datetime,
    hot: bool = False,
    assignee_id: int | None = None,
    client_id: int | None = None,
    ask_id: int | None = None,
    reply_id: int | None = None,
    referral_id: int | None = None,
    within_hours: float | None = None,
    due_at: datetime | None = None,
) -> Task:
    """A task for ``key`` (once: routing the same cause twice returns the first task).

    Due ``within_hours`` business hours from ``now``, unless ``due_at`` names the instant
    (an SLA in clock hours, such as a referral's 24 hours). The assignee, if any, is told
    at once (:func:`referral_engine.notifications.service.task_assigned`)."""
    existing = session.scalars(select(Task).where(Task.key == key)).first()
    if existing is not None:
        return existing
    settings = load_settings(session)
    calendar = BusinessCalendar.for_agency(settings.agency.timezone, settings.agency.holidays)
    hours = within_hours or (HOT_WITHIN_HOURS if hot else NORMAL_WITHIN_HOURS)
    task = Task(
        key=key,
        kind=kind,
        priority="hot" if hot else "normal",
        title=title[:300],
        detail=detail,
        status=TaskStatus.open,
        assignee_id=assignee_id,
        client_id=client_id,
        ask_id=ask_id,
        reply_id=reply_id,
        referral_id=referral_id,
        due_at=due_at or business_hours_later(now, hours, calendar),
        created_at=now,
    )
    session.add(task)
    session.flush()
    jobs.enqueue(
        session,
        kind=ESCALATE_TASK,
        key=f"task-escalate:{task.id}",
        run_at=task.due_at,
        payload={"task_id": task.id},
    )
    notifications.task_assigned(session, task=task, now=now)
    webhooks.task_created(session, task, now=now)
    return task


def escalate(session: Session, *, task_id: int, now: datetime) -> str | None:
    """Due when a task falls due: still open, it goes to the principal as well, who is
    told (:func:`referral_engine.notifications.service.task_escalated`)."""
    task = session.get(Task, task_id)
    if task is None or task.status != TaskStatus.open or task.escalated_at is not None:
        return None
    if now < task.due_at:
        return None
    boss = principal(session)
    task.escalated_at = now
    task.escalated_to_id = boss.id if boss else None
    if boss is not None:
        notifications.task_escalated(session, task=task, user=boss, now=now)
    return "task:escalated"


def reassign(session: Session, *, task: Task, assignee: User, now: datetime) -> bool:
    """Give an open task to ``assignee``, who is told; False when it is done or already
    theirs."""
    if task.status != TaskStatus.open or task.assignee_id == assignee.id:
        return False
    task.assignee_id = assignee.id
    session.flush()
    notifications.task_assigned(session, task=task, now=now)
    return True


def complete(session: Session, *, task_id: int, user: User, now: datetime) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise TaskNotFound(f"no task {task_id}")
    if task.status != TaskStatus.done:
        task.status = TaskStatus.done
        task.done_at = now
        task.done_by = user.name or user.email
        webhooks.task_done(session, task, now=now)
    return task


def for_delivery_unknown(session: Session, *, ask: Ask, now: datetime) -> Task:
    return create(
        session,
        key=f"delivery-unknown:{ask.id}",
        kind="delivery_unknown",
        title="Check whether an ask reached the client",
        detail=(
            f"Ask {ask.id} by {ask.channel}: the sender stopped while handing it to the "
            "provider. It may have gone out. Check before sending anything again."
        ),
        now=now,
        assignee_id=assignee_for(session, ask),
        client_id=ask.client_id,
        ask_id=ask.id,
    )


def open_for_ask(session: Session, *, kind: str, ask_id: int) -> Task | None:
    """The open task of ``kind`` about the ask, if there is one (the newest)."""
    return session.scalars(
        select(Task)
        .where(Task.kind == kind, Task.ask_id == ask_id, Task.status == TaskStatus.open)
        .order_by(Task.id.desc())
        .limit(1)
    ).first()


def note(session: Session, *, task: Task, detail: str) -> Task:
    """Replace what the task says (a repeat of its cause adds to it, not a new task)."""
    task.detail = detail
    session.flush()
    return task
