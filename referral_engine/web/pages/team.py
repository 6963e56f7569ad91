"""Team: a principal or an admin invites people, changes their role, deactivates or
reactivates them and sends set-password links. A fresh link is shown on the answer
page once (it is never stored); it is also emailed when an email provider is set.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.events.schemas import normalized_email
from referral_engine.users import people
from referral_engine.users.invitations import IssuedLink
from referral_engine.users.models import Role, User, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)

REFUSED = (people.DuplicateUser, people.NotAllowed, people.BadChange)


def _team_page(
    request: Request,
    session: Session,
    user: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    link: IssuedLink | None = None,
    link_for: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    response = render(
        request,
        "team.html",
        user,
        team=people.list_team(session),
        roles=[r.value for r in Role],
        notice=notice,
        error=error,
        link=link,
        link_for=link_for,
    )
    response.status_code = status
    return response


def _forbidden(request: Request, user: User) -> HTMLResponse:
    response = render(
        request,
        "team.html",
        user,
        team=[],
        roles=[],
        notice=None,
        link=None,
        link_for=None,
        error="Only a principal or an admin manages the team.",
    )
    response.status_code = 403
    return response


@router.get("/team", response_class=HTMLResponse)
def team(request: Request, session: DbSession) -> HTMLResponse:
    user = page_user(request, session)
    if not manages(user):
        return _forbidden(request, user)
    return _team_page(request, session, user)


@router.post("/team/invite", response_model=None)
def invite(
    request: Request,
    session: DbSession,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form(""),
    senior: str = Form(""),
) -> Response:
    user = page_user(request, session)
    if not manages(user):
        return _forbidden(request, user)
    try:
        address = normalized_email(email.strip())
        added = people.add_person(
            session,
            email=address,
            name=name.strip(),
            role=Role(role),
            senior=bool(senior),
            by=user,
            now=clock.now(),
        )
    except (ValueError, *REFUSED) as exc:
        return _team_page(request, session, user, error=_reason(exc, role), status=422)
    return _team_page(
        request,
        session,
        user,
        notice=f"Invited {added.user.name} <{added.user.email}>.",
        link=added.link,
        link_for=added.user.email,
    )


@router.post("/team/{person_id}", response_model=None)
def change(
    request: Request,
    person_id: int,
    session: DbSession,
    action: str = Form(""),
    role: str = Form(""),
) -> Response:
    """One change to one person: ``action`` is role, deactivate, reactivate or reset."""
    user = page_user(request, session)
    if not manages(user):
        return _forbidden(request, user)
    person = session.get(User, person_id)
    if person is None:
        return _team_page(request, session, user, error="No such person.", status=404)
    now, region = clock.now(), load_settings(session).agency.phone_region
    try:
        if action == "reset":
            link = people.send_reset(session, user=person, by=user, now=now)
            return _team_page(
                request,
                session,
                user,
                notice=f"New link for {person.email}.",
                link=link,
                link_for=person.email,
            )
        changes = {
            "role": people.Changes(role=Role(role) if role in Role.__members__ else None),
            "deactivate": people.Changes(active=False),
            "reactivate": people.Changes(active=True),
        }.get(action)
        if changes is None or (action == "role" and changes.role is None):
            raise people.BadChange(f"unknown change {action!r} {role!r}".strip())
        people.change_person(
            session, user=person, by=user, changes=changes, phone_region=region, now=now
        )
    except REFUSED as exc:
        return _team_page(request, session, user, error=str(exc), status=422)
    done = {
        "role": f"is now {person.role}",
        "deactivate": "is deactivated: their sessions and API tokens stopped",
        "reactivate": "is active again",
    }[action]
    return _team_page(request, session, user, notice=f"{person.email} {done}.")


def _reason(exc: Exception, role: str) -> str:
    if isinstance(exc, ValueError) and role not in Role.__members__:
        return f"Choose a role: {', '.join(Role.__members__)}."
    return str(exc)
