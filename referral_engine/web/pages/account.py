"""The Account page, everyone's own: name, mobile and notification settings, password,
personal API tokens (a new token is shown once), the browsers signed in as the person
(with "Sign out other sessions")."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.events.service import signed_sources
from referral_engine.users import people, service, web_sessions
from referral_engine.users.models import User
from referral_engine.users.passwords import RULE, WeakPassword
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import plain
from referral_engine.web.pages.views import page_user, render, session_token

router = APIRouter(include_in_schema=False)
SAVED = {
    "profile": "Your details are saved.",
    "revoked": "The token is revoked.",
    "others": "Every other session is signed out.",
}


def _page(
    request: Request, session: Session, user: User, *, status: int = 200, **context: Any
) -> HTMLResponse:
    shown: dict[str, Any] = {
        "notice": None,
        "error": None,
        "fresh_token": None,
        "problems": {},
        "profile": None,
        "token_form": None,
    } | context
    response = render(
        request,
        "account.html",
        user,
        tokens=service.tokens_of(session, user=user),
        web_sessions=web_sessions.live_of(session, user=user, now=clock.now()),
        this_session=session_token(request),
        is_token_of=web_sessions.is_token_of,
        rule=RULE,
        **shown,
    )
    response.status_code = status
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: DbSession, saved: str = "") -> HTMLResponse:
    user = page_user(request, session)
    return _page(request, session, user, notice=SAVED.get(saved))


@router.post("/account/profile", response_model=None)
def save_profile(
    request: Request,
    session: DbSession,
    name: str = Form(""),
    mobile: str = Form(""),
    notify_email: str = Form(""),
    notify_sms: str = Form(""),
    quiet_nights: str = Form(""),
) -> Response:
    user = page_user(request, session)
    changes = people.Changes(
        name=name.strip() or user.name,
        mobile=mobile,
        notify_email=bool(notify_email),
        notify_sms=bool(notify_sms),
        quiet_nights=bool(quiet_nights),
    )
    try:
        people.change_person(
            session,
            user=user,
            by=user,
            changes=changes,
            phone_region=load_settings(session).agency.phone_region,
            now=clock.now(),
        )
    except people.BadChange as exc:
        session.rollback()
        typed = {
            "name": name,
            "mobile": mobile,
            "notify_email": bool(notify_email),
            "notify_sms": bool(notify_sms),
            "quiet_nights": bool(quiet_nights),
        }
        return _page(
            request,
            session,
            page_user(request, session),
            status=422,
            error="Not saved: fix what is marked below.",
            profile=typed,
            problems={_profile_field(str(exc)): _profile_words(str(exc))},
        )
    return RedirectResponse("/account?saved=profile", status_code=303)


def _profile_field(message: str) -> str:
    if message.startswith("mobile:"):
        return "mobile"
    return "notify_sms" if message.startswith("texts need") else "name"


def _profile_words(message: str) -> str:
    if message.startswith("mobile:"):
        return plain.MOBILE
    if message.startswith("texts need"):
        return "Texts need a mobile number: add one above, or untick texts."
    return message[:1].upper() + message[1:]


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    session: DbSession,
    current: str = Form(""),
    password: str = Form(""),
    confirm: str = Form(""),
) -> Response:
    user = page_user(request, session)
    try:
        if password != confirm:
            raise WeakPassword("The two new passwords are not the same: type it twice.")
        # This browser stays signed in; every other one ends.
        people.change_password(
            session,
            user=user,
            current=current,
            new=password,
            now=clock.now(),
            keep=session_token(request),
        )
    except (WeakPassword, people.BadChange) as exc:
        # Passwords are never sent back into the page: each box is empty again.
        said = str(exc)
        field = (
            "confirm"
            if password != confirm
            else "current"
            if isinstance(exc, people.BadChange)
            else "password"
        )
        if field == "current":
            said = "The current password is not right."
        return _page(request, session, user, status=422, error=said, problems={field: said})
    return _page(request, session, user, notice="Your password is changed.")


@router.post("/account/tokens", response_model=None)
def create_token(
    request: Request, session: DbSession, name: str = Form(""), sources: str = Form("")
) -> Response:
    """A new token; ``sources`` (names separated by commas) limits the sources it posts
    for, and may not name a source that takes only signed input."""
    user = page_user(request, session)
    scope = sorted({s.strip() for s in sources.split(",") if s.strip()}) or None
    signed = sorted(set(scope or ()) & signed_sources(load_settings(session)))
    if signed:
        error = f"{', '.join(signed)} accept only signed events: no token may post for them."
        return _page(
            request,
            session,
            user,
            status=422,
            error=error,
            problems={"sources": error},
            token_form={"name": name, "sources": sources},
        )
    _, token = service.mint_token(
        session,
        user=user,
        name=name.strip()[:100] or "personal",
        now=clock.now(),
        sources=scope,
    )
    return _page(request, session, user, fresh_token=token)


@router.post("/account/tokens/{token_id}/revoke", response_model=None)
def revoke_token(request: Request, token_id: int, session: DbSession) -> Response:
    user = page_user(request, session)
    try:
        service.revoke_token(session, user=user, token_id=token_id, now=clock.now())
    except service.UnknownToken as exc:
        return _page(request, session, user, status=404, error=str(exc))
    return RedirectResponse("/account?saved=revoked", status_code=303)


@router.post("/account/sessions/end-others", response_model=None)
def end_other_sessions(request: Request, session: DbSession) -> Response:
    """Sign out every browser signed in as this person but this one."""
    user = page_user(request, session)
    web_sessions.end_all(session, user=user, now=clock.now(), keep=session_token(request))
    return RedirectResponse("/account?saved=others", status_code=303)
