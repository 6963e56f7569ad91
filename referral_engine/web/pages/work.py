"""Tasks (what people must do, with due times) and the outbox (what waits unsent)."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import or_, select

from referral_engine import clock
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask
from referral_engine.delivery import outbox as outboxes
from referral_engine.delivery import repository as delivery
from referral_engine.delivery.providers import Providers
from referral_engine.referrals import service as referrals
from referral_engine.settings import provider_settings
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task, TaskStatus
from referral_engine.users.models import Role, User, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/tasks", response_class=HTMLResponse)
def task_list(
    request: Request, session: DbSession, show: str = "mine", who: str = ""
) -> HTMLResponse:
    """Open tasks: the person's own by default (``?who=all`` or ``?show=all`` for everyone's,
    not for a producer: their own book only)."""
    user = page_user(request, session)
    show = "mine" if user.role == Role.producer else (who or show)
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


def outbox_waiting(session: DbSession, user: User) -> int:
    """For a principal or admin: how many outbox asks could go out now (the banner)."""
    if not manages(user):
        return 0
    providers = Providers.from_settings(provider_settings())
    return outboxes.waiting(session, providers=providers, now=clock.now())


@router.get("/outbox", response_class=HTMLResponse)
def outbox(request: Request, session: DbSession, done: str = "", error: str = "") -> HTMLResponse:
    """Messages to clients kept unsent (a producer sees their own book's), each ask with
    Mark sent for those who may; and how many notices to staff wait with them."""
    user = page_user(request, session)
    kept = delivery.outbox(session)
    ask_ids = {m.ask_id for m in kept if m.ask_id is not None}
    found = {a.id: a for a in session.scalars(select(Ask).where(Ask.id.in_(ask_ids)))}
    markable = {i for i, ask in found.items() if asks.may_mark_sent(user, ask)}
    if user.role == Role.producer:
        kept = [m for m in kept if m.ask_id in markable]
    return render(
        request,
        "outbox.html",
        user,
        messages=kept,
        markable=markable,
        staff_waiting=delivery.staff_outbox_count(session) if manages(user) else 0,
        outbox_waiting=outbox_waiting(session, user),
        done=done,
        error=error,
    )


@router.post("/outbox/send")
def outbox_send(request: Request, session: DbSession) -> RedirectResponse:
    """The banner's button: the outbox's asks go out through the normal sender."""
    user = page_user(request, session)
    if not manages(user):
        return _to_outbox(error="Only a principal or an admin can send the outbox.")
    providers = Providers.from_settings(provider_settings())
    released = outboxes.release(session, providers=providers, now=clock.now())
    plural = "" if released.queued == 1 else "s"
    said = f"{released.queued} ask{plural} scheduled for the next send slot"
    if released.expired:
        said += f"; {released.expired} too late to send (warmth window ended)"
    return _to_outbox(done=f"{said}.")


@router.post("/asks/{ask_id}/mark-sent")
def ask_mark_sent(
    request: Request, session: DbSession, ask_id: int, how: str = Form("")
) -> RedirectResponse:
    """A person sent the ask by hand: it counts as sent."""
    user = page_user(request, session)
    try:
        outboxes.mark_sent(session, ask_id=ask_id, user=user, how=how, now=clock.now())
    except outboxes.MARK_SENT_ERRORS as exc:
        return _to_outbox(error=str(exc))
    return _to_outbox(done=f"Ask {ask_id} marked sent.")


def _to_outbox(*, done: str = "", error: str = "") -> RedirectResponse:
    query = f"?error={quote(error)}" if error else f"?done={quote(done)}"
    return RedirectResponse(f"/outbox{query}", status_code=303)
