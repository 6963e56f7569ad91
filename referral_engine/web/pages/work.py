"""Tasks (what people must do, with due times) and the outbox (what waits unsent)."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import or_, select

from referral_engine import clock
from referral_engine.delivery import repository as delivery
from referral_engine.referrals import service as referrals
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task, TaskStatus
from referral_engine.users.models import Role, User
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/tasks", response_class=HTMLResponse)
def task_list(request: Request, session: DbSession, show: str = "mine") -> HTMLResponse:
    user = page_user(request, session)
    query = select(Task).where(Task.status == TaskStatus.open)
    if show == "mine" or user.role == Role.csr and show != "all":
        query = query.where(or_(Task.assignee_id == user.id, Task.escalated_to_id == user.id))
    rows = list(session.scalars(query.order_by(Task.due_at, Task.id).limit(500)))
    names = {u.id: u.name for u in session.scalars(select(User))}
    return render(request, "tasks.html", user, tasks=rows, names=names, show=show, now=clock.now())


@router.post("/tasks/{task_id}/done")
def task_done(
    request: Request, session: DbSession, task_id: int, show: str = Form("mine")
) -> RedirectResponse:
    user = page_user(request, session)
    now = clock.now()
    with contextlib.suppress(tasks.TaskNotFound):  # already gone: the list shows the truth
        task = tasks.complete(session, task_id=task_id, user=user, now=now)
        referrals.contact_task_done(session, task=task, user=user, now=now)
    return RedirectResponse(f"/tasks?show={show}", status_code=303)


@router.get("/outbox", response_class=HTMLResponse)
def outbox(request: Request, session: DbSession) -> HTMLResponse:
    user = page_user(request, session)
    return render(request, "outbox.html", user, messages=delivery.outbox(session))
