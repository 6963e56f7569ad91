"""Server-rendered pages: sign-in, dashboard, contacts, settings (one template per view)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from referral_engine import clock
from referral_engine.agency.service import load_settings, secret_key
from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users import throttle, web_sessions
from referral_engine.users.models import MANAGERS, Role, User, manages
from referral_engine.web import problems
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import formats
from referral_engine.web.security import client_address

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
formats.install(templates.env)
router = APIRouter(include_in_schema=False)

NAVIGATION = [
    ("/", "Dashboard"),
    ("/review", "Review queue"),
    ("/asks", "Asks"),
    ("/tasks", "Tasks"),
    ("/referrals", "Referrals"),
    ("/outbox", "Outbox"),
    ("/contacts", "Contacts"),
    ("/reports", "Reports"),
    ("/inputs", "Inputs"),
    ("/settings", "Settings"),
]


class SignInRequired(Exception):  # noqa: N818 - control flow to the login page
    pass


def session_token(request: Request) -> str:
    """The token of this browser's web session ("" when it has none)."""
    return str(request.session.get("sid") or "")


def page_user(request: Request, session: Session) -> User:
    """The signed-in person: the cookie names a live web session (not signed out, not
    expired, not ended by a password change or deactivation) of an active person."""
    found = web_sessions.find(session, token=session_token(request), now=clock.now())
    user = session.get(User, found.user_id) if found else None
    if user is None:
        raise SignInRequired
    agency = load_settings(session).agency
    request.state.agency_zone, request.state.phone_region = agency.timezone, agency.phone_region
    return user


def begin_session(request: Request, session: Session, user: User) -> None:
    """Sign ``user`` in on this browser: a new web session (any earlier one of this
    browser ends), its token in the cookie; sessions long over are pruned."""
    now = clock.now()
    web_sessions.end(session, token=session_token(request), now=now)
    web_sessions.prune(session, now=now)
    token = web_sessions.start(
        session,
        user=user,
        now=now,
        user_agent=request.headers.get("user-agent", ""),
        address=client_address(
            request.scope, trust_proxy=getattr(request.app.state, "trust_proxy", False)
        ),
    )
    request.session.clear()
    request.session["sid"] = token
    user.last_sign_in_at = now


def navigation_for(user: User | SimpleNamespace | None) -> list[tuple[str, str]]:
    """The main navigation: Team and Webhooks for a principal or an admin, Account for
    everyone."""
    if user is None:
        return NAVIGATION
    team = [("/team", "Team"), ("/webhooks", "Webhooks")] if user.role in MANAGERS else []
    return [*NAVIGATION, *team, ("/account", "Account")]


MINE, ALL = "mine", "all"


def whose_book(user: User, who: str) -> int | None:
    """Whose work a list page shows: the signed-in person's id (their own book) or None
    (the whole agency). A producer always sees their own book; a principal or an admin
    sees the agency's, or their own with ``?who=mine``; a CSR serves every client and
    sees the agency's (without the review actions a CSR cannot use)."""
    if user.role == Role.producer:
        return user.id
    if manages(user) and who == MINE:
        return user.id
    return None


def agency_instant(session: Session, text: str) -> datetime:
    """A datetime-local field's value, read on the agency's wall clock (an offset, when
    given, wins); ValueError when it is not a date and time."""
    local = datetime.fromisoformat(text.strip())
    zone = ZoneInfo(load_settings(session).agency.timezone)
    return local if local.tzinfo else local.replace(tzinfo=zone)


def render(
    request: Request, name: str, user: User | SimpleNamespace | None, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "navigation": navigation_for(user),
            "path": request.url.path,
            "now": clock.now(),
            **context,
        },
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", None, error=None, email="")


@router.post("/login", response_model=None)
def login(
    request: Request, session: DbSession, email: str = Form(""), password: str = Form("")
) -> Response:
    now = clock.now()
    address = client_address(
        request.scope, trust_proxy=getattr(request.app.state, "trust_proxy", False)
    )
    try:
        throttle.check(session, email=email, address=address, now=now)
    except throttle.TooManyAttempts as refused:
        response = render(request, "login.html", None, error=str(refused), email=email)
        response.status_code = 429
        response.headers["Retry-After"] = str(refused.retry_after_seconds)
        return response
    try:
        user = users.authenticate(session, email=email.strip(), password=password)
    except users.UnknownUser:
        throttle.record_failure(session, email=email, address=address, now=now)
        response = render(
            request, "login.html", None, error="Wrong email or password.", email=email
        )
        response.status_code = 401
        return response
    throttle.record_success(session, email=email)
    begin_session(request, session, user)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, session: DbSession) -> RedirectResponse:
    """End this browser's session: its cookie, replayed later, signs no one in."""
    web_sessions.end(session, token=session_token(request), now=clock.now())
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


ERROR_WORDS = {
    403: ("Not allowed", "Your role cannot open this page."),
    404: (
        "Page not found",
        "There is nothing at this address: the link may be mistyped, or what it named is gone.",
    ),
    405: ("Not available this way", "This address cannot be used like that."),
    413: (
        "Too much to send",
        "What this page sent is larger than the app accepts: nothing was saved. Go back, "
        "shorten what was typed or pasted, and send it again.",
    ),
    422: (
        "That could not be used",
        "Something sent with this page could not be read. Go back and try again.",
    ),
    500: (
        "Something went wrong on our side",
        "The page could not be shown. The error has been logged; nothing you typed was "
        "saved. Try again, or start from the dashboard.",
    ),
}


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error as a page in the app's layout, for a person: plain words and a link home.
    ``detail`` is shown only for statuses a person can act on (not for a 500)."""
    title, words = ERROR_WORDS.get(status, ("Something went wrong", "This request failed."))
    response = render(
        request,
        "error.html",
        _signed_in_view(request),
        title=title,
        words=words,
        detail=detail if status in (403, 413, 429) else "",
    )
    response.status_code = status
    return response


def _signed_in_view(request: Request) -> SimpleNamespace | None:
    """Who is signed in, as plain values for the layout (the error page has no session of
    its own); None when nobody is, or it cannot be told."""
    try:
        with unit_of_work(request.app.state.db_url) as session:
            user = page_user(request, session)
            return SimpleNamespace(name=user.name, role=user.role, email=user.email)
    except Exception:  # noqa: BLE001 - an error page never fails for want of a name
        return None


def mount_pages(app: FastAPI) -> None:
    from referral_engine.web.pages import (
        account,
        asks,
        contacts,
        dashboard,
        inputs,
        invite,
        referral_detail,
        referral_pages,
        report_pages,
        reward_pages,
        settings_page,
        team,
        webhooks,
        work,
    )

    with unit_of_work(app.state.db_url) as session:
        key = secret_key(session)
    app.add_middleware(
        SessionMiddleware,
        secret_key=key,
        same_site="lax",
        session_cookie="referral_session",
        max_age=14 * 24 * 3600,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    problems.install_pages(app, error_page)

    @app.exception_handler(SignInRequired)
    async def _to_login(request: Request, exc: SignInRequired) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    app.include_router(router)
    for module in (
        dashboard,
        asks,
        work,
        referral_pages,
        referral_detail,
        reward_pages,
        contacts,
        inputs,
        settings_page,
        invite,
        team,
        account,
        webhooks,
        report_pages,
    ):
        app.include_router(module.router)
