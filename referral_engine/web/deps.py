"""Request dependencies: the transaction, the signed-in user, the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.db import session_factory
from referral_engine.settings import AgencySettings
from referral_engine.users import service as users
from referral_engine.users.models import ApiToken, Role, User
from referral_engine.web.problems import Problem


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    session = session_factory(request.app.state.db_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the transaction commits before the response is sent, so a 202
# never reports an event that a failed commit then lost.
DbSession = Annotated[Session, Depends(db_session, scope="function")]


def agency_settings(session: DbSession) -> AgencySettings:
    return load_settings(session)


Settings = Annotated[AgencySettings, Depends(agency_settings)]


def api_user(request: Request, session: DbSession) -> User:
    """The user behind ``Authorization: Bearer <token>``, or 401."""
    return authenticate(request, session)


def authenticate(request: Request, session: Session) -> User:
    """:func:`api_user` for a route that opens its own transaction."""
    return authenticate_token(request, session)[0]


def authenticate_token(request: Request, session: Session) -> tuple[User, ApiToken]:
    """:func:`authenticate`, with the token's row (the sources it may post for)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "Not signed in",
            "send Authorization: Bearer <token>",
            kind="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        return users.token_holder(session, token=token.strip())
    except users.UnknownUser as exc:
        raise Problem(
            401,
            "Not signed in",
            str(exc),
            kind="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc


ApiUser = Annotated[User, Depends(api_user)]


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise Problem(
            403, "Forbidden", f"this needs the role {' or '.join(roles)}", kind="forbidden"
        )
