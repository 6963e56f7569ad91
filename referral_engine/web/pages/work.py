"""Tasks (what people must do, with due times) and the outbox (what waits unsent)."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from referral_engine import clock
from referral_engine.asks import service as asks
from referral_engine.asks.models import Ask
from referral_engine.delivery import outbox as outboxes
from referral_engine.delivery import repository as delivery
from referral_engine.delivery.providers import Providers
from referral_engine.referrals import service as referrals
from referral_engine.settings import provider_settings
from referral_engine.tasks import repository as task_repository
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import TaskStatus
from referral_engine.users.models import Role, User, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.listing import fetch, list_query
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


# The task list's columns: the direction a first click on each gives.
TASK_SORTS = {"due": "asc", "created": "desc", "title": "asc", "kind": "asc"}
TASK_STATES = {"open": TaskStatus.open, "done": TaskStatus.done, "any": None}


@router.get("/tasks", response_class=HTMLResponse)
def task_list(
    request: Request,
    session: DbSession,
    show: str = "mine",
    who: str = "",
    state: str = "open",
    priority: str = "",
) -> HTMLResponse:
    """Tasks by due time, 50 a page: the person's own by default (``?who=all`` or
    ``?show=all`` for everyone's, not for a producer: their own book only); ``state``
    open (default), done or any; ``priority=hot``; search by title or client (phone in
    any format)."""
    user = page_user(request, session)
    show = "mine" if user.role == Role.producer else (who or show)
    if show not in ("mine", "all"):
        show = "mine"
    state = state if state in TASK_STATES else "open"
    hot = priority == "hot"
    listing = list_query(
        request,
        session,
        sorts=TASK_SORTS,
        default_sort="due",
        keep={"show": show, "state": state if state != "open" else "", "priority": "hot" * hot},
    )
    rows = fetch(
        listing,
        lambda limit, offset: task_repository.page(
            session,
            search=listing.search,
            status=TASK_STATES[state],
            person_id=user.id if show == "mine" else None,
            hot_only=hot,
            sort=listing.sort,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    names = {u.id: u.name for u in session.scalars(select(User))}
    return render(
        request,
        "tasks.html",
        user,
        tasks=rows,
        names=names,
        show=show,
        state=state,
        hot=hot,
        listing=listing,
        now=clock.now(),
    )


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


OUTBOX_SORTS = {"created": "desc", "channel": "asc", "to": "asc"}


@router.get("/outbox", response_class=HTMLResponse)
def outbox(
    request: Request, session: DbSession, done: str = "", error: str = "", channel: str = ""
) -> HTMLResponse:
    """Messages to clients kept unsent, newest first, 50 a page (a producer sees their own
    book's), each ask with Mark sent for those who may; and how many notices to staff
    wait with them. Search by address, number (any format), subject or client."""
    user = page_user(request, session)
    by_channel = channel if channel in ("email", "sms") else ""
    listing = list_query(
        request, session, sorts=OUTBOX_SORTS, default_sort="created", keep={"channel": by_channel}
    )
    kept = fetch(
        listing,
        lambda limit, offset: delivery.outbox_page(
            session,
            search=listing.search,
            since=listing.since,
            before=listing.before,
            channel=by_channel or None,
            producer_id=user.id if user.role == Role.producer else None,
            sort=listing.sort,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    ask_ids = {m.ask_id for m in kept if m.ask_id is not None}
    found = {a.id: a for a in session.scalars(select(Ask).where(Ask.id.in_(ask_ids)))}
    markable = {i for i, ask in found.items() if asks.may_mark_sent(user, ask)}
    return render(
        request,
        "outbox.html",
        user,
        messages=kept,
        markable=markable,
        listing=listing,
        channel=by_channel,
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
