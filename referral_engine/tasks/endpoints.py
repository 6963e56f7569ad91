"""The tasks API: work for producers and CSRs, with due times."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from referral_engine import clock, search
from referral_engine.agency.service import load_settings
from referral_engine.referrals import service as referrals
from referral_engine.tasks import repository
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task, TaskStatus
from referral_engine.users.models import User
from referral_engine.web.deps import ApiUser, DbSession
from referral_engine.web.problems import Problem

router = APIRouter(tags=["tasks"])


def task_read(task: Task, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": task.id,
        "kind": task.kind,
        "priority": task.priority,
        "title": task.title,
        "detail": task.detail,
        "status": task.status,
        "assignee": names.get(task.assignee_id or 0),
        "client_id": task.client_id,
        "ask_id": task.ask_id,
        "reply_id": task.reply_id,
        "referral_id": task.referral_id,
        "due_at": task.due_at.isoformat(),
        "escalated_at": task.escalated_at.isoformat() if task.escalated_at else None,
        "escalated_to": names.get(task.escalated_to_id or 0),
        "created_at": task.created_at.isoformat(),
        "done_at": task.done_at.isoformat() if task.done_at else None,
    }


def user_emails(session: DbSession) -> dict[int, str]:
    return {u.id: u.email for u in session.scalars(select(User))}


@router.get("/api/v1/tasks")
def list_tasks(
    user: ApiUser,
    session: DbSession,
    assignee: str | None = Query(None, description="an email, or 'me'"),
    status: TaskStatus | None = None,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    q: str = Query("", max_length=200, description="search: title, client, phone, email"),
) -> list[dict[str, Any]]:
    """Producer and CSR tasks with due times, soonest due first; ``q`` searches as the
    Tasks page does (the title and detail, the client's name, email or mobile in any
    format)."""
    names = user_emails(session)
    person_id = None
    if assignee:
        wanted = user.email if assignee == "me" else assignee.strip().lower()
        person_id = next((i for i, e in names.items() if e == wanted), None)
        if person_id is None:
            return []
    region = load_settings(session).agency.phone_region
    rows, _ = repository.page(
        session,
        search=search.parse(q, region),
        status=status,
        person_id=person_id,
        limit=limit,
        offset=offset,
    )
    return [task_read(task, names) for task, _client in rows]


@router.post("/api/v1/tasks/{task_id}/done")
def complete_task(task_id: int, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """Mark a task done. A referral's contact task done moves a referral still ``new``
    to ``contacted``."""
    now = clock.now()
    try:
        task = tasks.complete(session, task_id=task_id, user=user, now=now)
    except tasks.TaskNotFound as exc:
        raise Problem(404, "No such task", str(exc), kind="not-found") from exc
    referrals.contact_task_done(session, task=task, user=user, now=now)
    return task_read(task, user_emails(session))
