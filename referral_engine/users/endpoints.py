"""The users API: the team (list, add, change, reset links) and personal API tokens.

Everyone signed in lists the team (who is who, to hand work over); a principal or an
admin, or the person themselves, also sees an account's state. Adding people, changing
roles and accounts, and sending set-password links need a principal or an admin. A
person mints and revokes their own tokens; a manager anyone's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.events.service import signed_sources
from referral_engine.users import people, service
from referral_engine.users.invitations import IssuedLink
from referral_engine.users.models import User, manages
from referral_engine.users.passwords import WeakPassword
from referral_engine.users.schemas import (
    TokenCreate,
    UserCreate,
    UserUpdate,
    token_read,
    user_read,
)
from referral_engine.web.deps import ApiUser, DbSession, Settings
from referral_engine.web.problems import Problem

router = APIRouter(tags=["users"])


def _person(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise Problem(404, "No such user", f"no user {user_id}", kind="not-found")
    return user


def _self_or_manager(actor: User, user: User) -> None:
    if actor.id != user.id and not manages(actor):
        raise Problem(403, "Forbidden", "only the person or a principal or admin", kind="forbidden")


def _link_read(link: IssuedLink) -> dict[str, Any]:
    return {
        "invite_url": link.url,
        "invite_expires_at": link.expires_at.isoformat(),
        "invite_emailed": link.emailed,
    }


def _refusal(exc: Exception) -> Problem:
    if isinstance(exc, people.DuplicateUser):
        return Problem(409, "Already on the team", str(exc), kind="duplicate-user")
    if isinstance(exc, people.NotAllowed):
        return Problem(403, "Forbidden", str(exc), kind="forbidden")
    if isinstance(exc, WeakPassword):
        return Problem(422, "Password too weak", str(exc), kind="weak-password")
    return Problem(422, "Invalid request", str(exc), kind="invalid-request")


REFUSED = (people.DuplicateUser, people.NotAllowed, people.BadChange, WeakPassword)


@router.get("/api/v1/users")
def list_users(actor: ApiUser, session: DbSession) -> list[dict[str, Any]]:
    """The team, active people first."""
    return [
        user_read(u, full=manages(actor) or u.id == actor.id) for u in people.list_team(session)
    ]


@router.post("/api/v1/users", status_code=201)
def add_user(body: UserCreate, actor: ApiUser, session: DbSession) -> dict[str, Any]:
    """Add a person; without a password they get an invitation link (also returned)."""
    if not manages(actor):
        raise _refusal(people.NotAllowed("only a principal or an admin adds people"))
    try:
        added = people.add_person(
            session,
            email=body.email,
            name=body.name,
            role=body.role,
            senior=body.senior,
            password=body.password,
            by=actor,
            now=clock.now(),
        )
    except REFUSED as exc:
        raise _refusal(exc) from exc
    shown = user_read(added.user, full=True)
    return shown | _link_read(added.link) if added.link else shown


@router.get("/api/v1/users/{user_id}")
def read_user(user_id: int, actor: ApiUser, session: DbSession) -> dict[str, Any]:
    user = _person(session, user_id)
    return user_read(user, full=manages(actor) or user.id == actor.id)


@router.patch("/api/v1/users/{user_id}")
def change_user(
    user_id: int, body: UserUpdate, actor: ApiUser, session: DbSession, settings: Settings
) -> dict[str, Any]:
    """Role, active, senior, name, mobile and notification settings."""
    user = _person(session, user_id)
    try:
        people.change_person(
            session,
            user=user,
            by=actor,
            changes=people.Changes(**body.model_dump(exclude_none=True)),
            phone_region=settings.agency.phone_region,
            now=clock.now(),
        )
    except REFUSED as exc:
        raise _refusal(exc) from exc
    return user_read(user, full=True)


@router.post("/api/v1/users/{user_id}/reset")
def reset_user(user_id: int, actor: ApiUser, session: DbSession) -> dict[str, Any]:
    """A new set-password link (older ones end), emailed and returned."""
    user = _person(session, user_id)
    try:
        link = people.send_reset(session, user=user, by=actor, now=clock.now())
    except REFUSED as exc:
        raise _refusal(exc) from exc
    return user_read(user, full=True) | _link_read(link)


@router.get("/api/v1/users/{user_id}/tokens")
def list_tokens(user_id: int, actor: ApiUser, session: DbSession) -> list[dict[str, Any]]:
    user = _person(session, user_id)
    _self_or_manager(actor, user)
    return [token_read(t) for t in service.tokens_of(session, user=user)]


@router.post("/api/v1/users/{user_id}/tokens", status_code=201)
def mint_token(
    user_id: int,
    actor: ApiUser,
    session: DbSession,
    settings: Settings,
    body: TokenCreate = Body(default_factory=TokenCreate),
) -> dict[str, Any]:
    """A new token that acts as this user: ``token`` is shown in this answer only.
    ``sources`` limits the events it may post to those sources (null: any source
    without a webhook secret; a signed source accepts no token at all)."""
    user = _person(session, user_id)
    _self_or_manager(actor, user)
    if not user.active:
        raise Problem(422, "Invalid request", f"{user.email} is deactivated", kind="inactive")
    if body.sources is not None:
        signed = sorted(set(body.sources) & signed_sources(settings))
        if signed:
            raise Problem(
                422,
                "Invalid request",
                f"{', '.join(signed)} accept only signed events (webhook_secret): "
                "no API token may post for them",
                kind="signed-source",
            )
    row, token = service.mint_token(
        session, user=user, name=body.name, now=clock.now(), sources=body.sources
    )
    return {"token": token} | token_read(row)


@router.delete("/api/v1/users/{user_id}/tokens/{token_id}", status_code=204)
def revoke_token(user_id: int, token_id: int, actor: ApiUser, session: DbSession) -> Response:
    """Revoke a token: it stops working at once."""
    user = _person(session, user_id)
    _self_or_manager(actor, user)
    try:
        service.revoke_token(session, user=user, token_id=token_id, now=clock.now())
    except service.UnknownToken as exc:
        raise Problem(404, "No such token", str(exc), kind="not-found") from exc
    return Response(status_code=204)
