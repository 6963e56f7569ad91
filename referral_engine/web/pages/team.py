"""The Team page (principals and admins): the people, inviting, roles, deactivating and
set-password links. A fresh link is shown once when no email provider will send it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.events.schemas import normalized_email
from referral_engine.users import people
from referral_engine.users.invitations import IssuedLink
from referral_engine.users.models import Role, User, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import plain
from referral_engine.web.pages.listing import fetch, list_query
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)
# The team list's columns: the direction a first click on each gives.
TEAM_SORTS = {"name": "asc", "email": "asc", "role": "asc"}
REFUSED = (people.DuplicateUser, people.NotAllowed, people.BadChange, ValueError)


def _page(
    request: Request, session: Session, user: User, *, status: int = 200, **context: Any
) -> HTMLResponse:
    shown: dict[str, Any] = {
        "notice": None,
        "error": None,
        "link": None,
        "invite_form": None,
        "problems": {},
    } | context
    role = request.query_params.get("role", "")
    role = role if role in Role.__members__ else ""
    listing = list_query(
        request, session, sorts=TEAM_SORTS, default_sort="name", keep={"role": role}, path="/team"
    )
    team = fetch(
        listing,
        lambda limit, offset: people.team_page(
            session,
            search=listing.search,
            role=role or None,
            sort=listing.sort,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    response = render(
        request,
        "team.html",
        user,
        people=team,
        listing=listing,
        role=role,
        roles=list(Role),
        **shown,
    )
    response.status_code = status
    return response


def _manager(request: Request, session: Session) -> User:
    user = page_user(request, session)
    if not manages(user):
        raise PermissionError
    return user


def _link_notice(person: str, link: IssuedLink) -> dict[str, Any]:
    if link.emailed:
        return {"notice": f"A set-password link is on its way to {person}."}
    return {
        "notice": f"No email provider is configured: give {person} this link yourself.",
        "link": link.url,
    }


def _forbidden(request: Request, session: Session) -> HTMLResponse:
    user = page_user(request, session)
    response = render(request, "forbidden.html", user, what="the team")
    response.status_code = 403
    return response


DONE = {"role": "Role changed", "deactivate": "Deactivated", "reactivate": "Reactivated"}


@router.get("/team", response_class=HTMLResponse)
def team(request: Request, session: DbSession, done: str = "", who: int = 0) -> HTMLResponse:
    try:
        user = _manager(request, session)
    except PermissionError:
        return _forbidden(request, session)
    person = session.get(User, who) if who else None
    notice = f"{DONE[done]}: {person.email}." if person and done in DONE else None
    return _page(request, session, user, notice=notice)


@router.post("/team/invite", response_model=None)
def invite(
    request: Request,
    session: DbSession,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form("producer"),
    senior: str = Form(""),
) -> Response:
    try:
        user = _manager(request, session)
    except PermissionError:
        return _forbidden(request, session)
    typed = {"email": email, "name": name, "role": role, "senior": bool(senior)}

    def refused(problems: dict[str, str]) -> HTMLResponse:
        """The invitation form again as typed, the words next to the field."""
        return _page(
            request,
            session,
            user,
            status=422,
            error="Not sent: fix what is marked below.",
            invite_form=typed,
            problems=problems,
        )

    try:
        address = normalized_email(email.strip())
    except ValueError:
        return refused({"email": plain.EMAIL})
    if role not in Role.__members__:
        return refused({"role": f"Choose one of: {', '.join(Role.__members__)}."})
    try:
        added = people.add_person(
            session,
            email=address,
            name=name.strip(),
            role=Role(role),
            senior=bool(senior),
            by=user,
            now=clock.now(),
        )
    except REFUSED as exc:
        status = 409 if isinstance(exc, people.DuplicateUser) else 422
        return _page(
            request,
            session,
            user,
            status=status,
            error=f"{email}: {exc}",
            invite_form=typed,
            problems={"email": f"{exc}"[:1].upper() + f"{exc}"[1:]},
        )
    assert added.link is not None
    return _page(request, session, user, **_link_notice(added.user.email, added.link))


@router.post("/team/{user_id}", response_model=None)
def change(
    request: Request,
    user_id: int,
    session: DbSession,
    action: str = Form(""),
    role: str = Form(""),
) -> Response:
    try:
        user = _manager(request, session)
    except PermissionError:
        return _forbidden(request, session)
    person = session.get(User, user_id)
    if person is None:
        return _page(request, session, user, status=404, error="No such person.")
    region = load_settings(session).agency.phone_region
    now = clock.now()
    try:
        if action == "reset":
            link = people.send_reset(session, user=person, by=user, now=now)
            return _page(request, session, user, **_link_notice(person.email, link))
        changes = {
            "role": people.Changes(role=Role(role or person.role)),
            "deactivate": people.Changes(active=False),
            "reactivate": people.Changes(active=True),
        }[action]
        people.change_person(
            session, user=person, by=user, changes=changes, phone_region=region, now=now
        )
    except (*REFUSED, KeyError) as exc:
        return _page(request, session, user, status=422, error=f"{person.email}: {exc}")
    return RedirectResponse(f"/team?done={action}&who={person.id}", status_code=303)
