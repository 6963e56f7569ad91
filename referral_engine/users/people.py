"""The team: adding people, changing their role or details, deactivating, passwords.

What callers may rely on:

- one row per email address: adding a person whom an event already named as producer
  (no password, never invited) updates that row (name, role, senior) and invites it;
  any other existing address is a :class:`DuplicateUser`;
- only an admin may make someone an admin or change an admin; nobody deactivates
  themselves, and the last active admin can be neither deactivated nor demoted;
- deactivating ends every web session of the person, revokes their API tokens and ends
  their set-password links, all in the same transaction;
- a new password meets :mod:`referral_engine.users.passwords`; setting one ends every
  web session of that person but the one it was set in (``keep``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.events.schemas import to_e164
from referral_engine.search import Search, matching, ordered, page_of
from referral_engine.users import invitations, service, web_sessions
from referral_engine.users.invitations import IssuedLink, Purpose
from referral_engine.users.models import Role, User, manages
from referral_engine.users.passwords import check_password


class DuplicateUser(ValueError):
    """Someone on the team already has that email address."""


class NotAllowed(PermissionError):
    """The acting person may not make this change."""


class BadChange(ValueError):
    """A change that cannot be stored as asked (a mobile that is not a number, texts
    without a mobile, a wrong current password)."""


@dataclass(frozen=True)
class Added:
    user: User
    link: IssuedLink | None  # None when a password was given


@dataclass(frozen=True)
class Changes:
    """What a PATCH may change; ``None`` leaves a field as it is (``mobile=""`` clears)."""

    name: str | None = None
    role: Role | None = None
    active: bool | None = None
    senior: bool | None = None
    mobile: str | None = None
    notify_email: bool | None = None
    notify_sms: bool | None = None
    quiet_nights: bool | None = None


SELF_SERVICE = ("name", "mobile", "notify_email", "notify_sms", "quiet_nights")


def actor_name(user: User | None) -> str:
    return user.name or user.email if user is not None else "Your agency's administrator"


def list_team(session: Session) -> list[User]:
    """Everyone, active first, by name."""
    return list(session.scalars(select(User).order_by(User.active.desc(), User.name, User.id)))


TEAM_SORTS = {"name": (User.name,), "email": (User.email,), "role": (User.role,)}


def team_page(
    session: Session,
    *,
    search: Search,
    role: str | None = None,
    sort: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[User], int]:
    """One page of the team, active first, and how many match. Search: name, email, the
    mobile (any format)."""
    query = select(User).where(matching(search, text=[User.name, User.email], phones=[User.mobile]))
    if role:
        query = query.where(User.role == role)
    order = [ordered(c, descending) for c in TEAM_SORTS[sort]]
    query = query.order_by(User.active.desc(), *order, User.id.desc() if descending else User.id)
    found, total = page_of(session, query, key=User.id, limit=limit, offset=offset)
    return [user for (user,) in found], total


def add_person(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    senior: bool = False,
    password: str | None = None,
    by: User | None,
    now: datetime,
) -> Added:
    """Add a person (``by`` None: the command line). Without a password they are sent
    an invitation link."""
    _may_grant(by, role)
    if password is not None:
        check_password(password)
    user = service.find_by_email(session, email=email)
    if user is not None and not _known_only_from_events(user):
        raise DuplicateUser(f"{email} is already on the team")
    if user is None:
        user = service.create_user(
            session, email=email, name=name or email, role=role, senior=senior
        )
    else:
        user.name, user.role, user.senior = name or user.name, role, senior
    if password is not None:
        set_new_password(session, user=user, password=password, now=now)
        return Added(user=user, link=None)
    link = invitations.issue_link(
        session, user=user, purpose=Purpose.invite, by=actor_name(by), now=now
    )
    return Added(user=user, link=link)


def _known_only_from_events(user: User) -> bool:
    return user.active and user.password_hash is None and user.invited_at is None


def send_reset(session: Session, *, user: User, by: User | None, now: datetime) -> IssuedLink:
    """A new set-password link: an invitation again for someone who never set a
    password, else a reset. Older links end."""
    if by is not None and not manages(by):
        raise NotAllowed("only a principal or an admin sends set-password links")
    if not user.active:
        raise BadChange(f"{user.email} is deactivated: reactivate them first")
    if user.role == Role.admin and by is not None and by.role != Role.admin:
        raise NotAllowed("only an admin resets an admin's password")
    purpose = Purpose.reset if user.password_hash else Purpose.invite
    return invitations.issue_link(session, user=user, purpose=purpose, by=actor_name(by), now=now)


def change_person(
    session: Session,
    *,
    user: User,
    by: User | None,
    changes: Changes,
    phone_region: str,
    now: datetime,
) -> User:
    """Apply a PATCH. A person changes their own name, mobile and notification
    settings; a manager changes anything, within the admin rules above. Every check
    comes before the first change, so a refused PATCH leaves the person as they were."""
    asked = {k: v for k, v in vars(changes).items() if v is not None}
    own = by is not None and by.id == user.id and not set(asked) - set(SELF_SERVICE)
    if by is not None and not manages(by) and not own:
        raise NotAllowed("only a principal or an admin changes roles and accounts")
    if changes.role is not None and changes.role != user.role:
        _may_grant(by, changes.role)
        _may_change_admin(by, user)
        if user.role == Role.admin:
            _keep_an_admin(session, user)
    mobile = _mobile(changes.mobile, phone_region) if changes.mobile is not None else user.mobile
    if mobile is None and changes.notify_sms:
        raise BadChange("texts need a mobile number: add one first")
    if changes.active is False and user.active:
        deactivate(session, user=user, by=by, now=now)
    elif changes.active is True:
        _may_change_admin(by, user)
        user.active = True
    user.mobile = mobile
    for field in ("name", "role", "senior", "notify_email", "notify_sms", "quiet_nights"):
        if field in asked:
            setattr(user, field, asked[field])
    if user.mobile is None:
        user.notify_sms = False  # no number: nowhere to text
    session.flush()
    return user


def _mobile(raw: str, region: str) -> str | None:
    if not raw.strip():
        return None
    try:
        return to_e164(raw.strip(), region)
    except ValueError as exc:
        raise BadChange(f"mobile: {exc}") from exc


def deactivate(session: Session, *, user: User, by: User | None, now: datetime) -> User:
    """End the person's access at once: sessions, API tokens and open links."""
    if by is not None and not manages(by):
        raise NotAllowed("only a principal or an admin deactivates people")
    if by is not None and by.id == user.id:
        raise NotAllowed("you cannot deactivate yourself")
    _may_change_admin(by, user)
    if user.role == Role.admin:
        _keep_an_admin(session, user)
    user.active = False
    web_sessions.end_all(session, user=user, now=now)
    service.revoke_all_tokens(session, user=user, now=now)
    invitations.end_links(session, user=user, now=now)
    session.flush()
    return user


def set_new_password(
    session: Session, *, user: User, password: str, now: datetime, keep: str | None = None
) -> None:
    """Set a password that meets the policy; every web session of the person ends but
    ``keep`` (the token of the session it was set in, if any)."""
    check_password(password)
    service.set_password(session, user=user, password=password)
    user.password_changed_at = now
    web_sessions.end_all(session, user=user, now=now, keep=keep)
    session.flush()


def change_password(
    session: Session,
    *,
    user: User,
    current: str,
    new: str,
    now: datetime,
    keep: str | None = None,
) -> None:
    """The person's own change: the current password first, then the policy; the
    session of ``keep`` stays signed in."""
    try:
        service.authenticate(session, email=user.email, password=current)
    except service.UnknownUser as exc:
        raise BadChange("the current password is not right") from exc
    set_new_password(session, user=user, password=new, now=now, keep=keep)


def _may_grant(by: User | None, role: Role) -> None:
    if by is None:
        return
    if not manages(by):
        raise NotAllowed("only a principal or an admin adds people and changes roles")
    if role == Role.admin and by.role != Role.admin:
        raise NotAllowed("only an admin makes someone an admin")


def _may_change_admin(by: User | None, user: User) -> None:
    if by is not None and user.role == Role.admin and by.role != Role.admin:
        raise NotAllowed("only an admin changes an admin's account")


def _keep_an_admin(session: Session, user: User) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.admin, User.active.is_(True), User.id != user.id)
    )
    if not others:
        raise NotAllowed(f"{user.email} is the last active admin: make another admin first")
