"""The set-password page behind an invitation or reset link (``/invite/{token}``).

A link that works shows the form; a good password signs the person in and ends the
link. A used, replaced or expired link answers 410 with a page that says so.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from referral_engine import clock
from referral_engine.users import invitations, people
from referral_engine.users.passwords import RULE, WeakPassword
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import begin_session, render

router = APIRouter(include_in_schema=False)


def _gone(request: Request) -> HTMLResponse:
    response = render(request, "link_expired.html", None)
    response.status_code = 410
    return response


@router.get("/invite/{token}", response_class=HTMLResponse)
def set_password_form(request: Request, token: str, session: DbSession) -> HTMLResponse:
    try:
        _, user = invitations.open_link(session, token=token, now=clock.now())
    except invitations.LinkGone:
        return _gone(request)
    return render(request, "set_password.html", None, person=user, rule=RULE, error=None)


@router.post("/invite/{token}", response_model=None)
def set_password(
    request: Request,
    token: str,
    session: DbSession,
    password: str = Form(""),
    confirm: str = Form(""),
) -> Response:
    now = clock.now()
    try:
        invitation, user = invitations.open_link(session, token=token, now=now)
    except invitations.LinkGone:
        return _gone(request)
    try:
        if password != confirm:
            raise WeakPassword("The two passwords are not the same: type it twice.")
        people.set_new_password(session, user=user, password=password, now=now)
    except WeakPassword as exc:
        response = render(
            request, "set_password.html", None, person=user, rule=RULE, error=str(exc)
        )
        response.status_code = 422
        return response
    invitations.mark_used(session, invitation=invitation, now=now)
    begin_session(request, session, user)
    return RedirectResponse("/", status_code=303)
