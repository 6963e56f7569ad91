"""Account: each person's own name, mobile, notification settings, password and
personal API tokens. Texts need a mobile number: ticking "text me" is the person's
consent to be texted. A new token is shown on the answer page once.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.users import people, service
from referral_engine.users.models import User
from referral_engine.users.passwords import RULE, WeakPassword
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import begin_session, page_user, render

router = APIRouter(include_in_schema=False)


def _account_page(
    request: Request,
    session: Session,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    token: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    response = render(
        request,
        "account.html",
        user,
        tokens=service.tokens_of(session, user=user),
        rule=RULE,
        notice=notice,
        error=error,
        token=token,
    )
    response.status_code = status
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: DbSession) -> HTMLResponse:
    return _account_page(request, session, page_user(request, session))


@router.post("/account/details", response_model=None)
def save_details(
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
        name=name.strip() or None,
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
        return _account_page(request, session, user, error=str(exc), status=422)
    return _account_page(request, session, user, notice="Your details are saved.")


@router.post("/account/password", response_model=None)
def change_password(
    request: Request,
    session: DbSession,
    current: str = Form(""),
    new: str = Form(""),
) -> Response:
    user = page_user(request, session)
    try:
        people.change_password(session, user=user, current=current, new=new, now=clock.now())
    except (people.BadChange, WeakPassword) as exc:
        return _account_page(request, session, user, error=str(exc), status=422)
    begin_session(request, user)  # this browser stays signed in; others are signed out
    return _account_page(
        request, session, user, notice="Password changed: your other sessions are signed out."
    )


@router.post("/account/tokens", response_model=None)
def create_token(request: Request, session: DbSession, name: str = Form("")) -> Response:
    user = page_user(request, session)
    _, token = service.mint_token(
        session, user=user, name=name.strip()[:100] or "personal", now=clock.now()
    )
    return _account_page(
        request,
        session,
        user,
        notice="Copy your new token now: it is not shown again.",
        token=token,
    )


@router.post("/account/tokens/{token_id}/revoke", response_model=None)
def revoke_token(request: Request, token_id: int, session: DbSession) -> Response:
    user = page_user(request, session)
    try:
        service.revoke_token(session, user=user, token_id=token_id, now=clock.now())
    except service.UnknownToken as exc:
        return _account_page(request, session, user, error=str(exc), status=404)
    return _account_page(request, session, user, notice="The token is revoked.")
