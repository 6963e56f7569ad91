"""Set-password links: an invitation (valid 7 days) or a password reset (valid 1 day).

What a caller may rely on:

- the link carries a random 256-bit token; only its SHA-256 is stored, so a copy of the
  database cannot be used to sign in;
- a link works once, until it expires, and issuing a newer link for the same person
  ends every older one at once;
- the email goes through the exactly-once message sender (one ``Message`` per link,
  ``dedupe_key = "invite:<id>"``, addressed to the user), so it leaves through the
  configured email provider; with none, it waits in the outbox and the link is returned
  to the manager (page, API, CLI) to hand over;
- once a link is used or replaced, its message no longer holds a working link, and an
  unsent copy of it is not sent.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.delivery.messages import queue
from referral_engine.delivery.models import Message, MessageStatus
from referral_engine.settings import provider_settings
from referral_engine.users.models import Invitation, User
from referral_engine.users.service import hash_token


class Purpose(StrEnum):
    invite = "invite"
    reset = "reset"


LIFETIME = {Purpose.invite: timedelta(days=7), Purpose.reset: timedelta(days=1)}
_LINK = re.compile(r"/invite/\S+")


class LinkGone(LookupError):
    """The link is unknown, used, replaced by a newer one, or expired."""


@dataclass(frozen=True)
class IssuedLink:
    """A fresh link: ``url`` is shown once to whoever issued it and never stored."""

    url: str
    purpose: Purpose
    expires_at: datetime
    emailed: bool  # an email provider will send it; else it waits in the outbox


def link_url(token: str) -> str:
    return f"{provider_settings().public_url.rstrip('/')}/invite/{token}"


def issue_link(
    session: Session, *, user: User, purpose: Purpose, by: str, now: datetime
) -> IssuedLink:
    """A new set-password link for ``user``, emailed through the message sender; every
    older open link of theirs ends now."""
    _end_open_links(session, user=user, now=now, why="a newer link replaced this one")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user_id=user.id,
        token_hash=hash_token(token),
        purpose=purpose,
        created_at=now,
        expires_at=now + LIFETIME[purpose],
        created_by=by,
    )
    session.add(invitation)
    if purpose == Purpose.invite:
        user.invited_at = now
    session.flush()
    url = link_url(token)
    message = _queue_email(session, user=user, invitation=invitation, url=url, by=by, now=now)
    return IssuedLink(
        url=url,
        purpose=purpose,
        expires_at=invitation.expires_at,
        emailed=message.status == MessageStatus.queued,
    )


def open_link(session: Session, *, token: str, now: datetime) -> tuple[Invitation, User]:
    """The invitation behind a link that still works, and its (active) user."""
    invitation = session.scalars(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    ).first()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        raise LinkGone("this link has been used, replaced by a newer one, or has expired")
    user = session.get(User, invitation.user_id)
    if user is None or not user.active:
        raise LinkGone("this account is not active")
    return invitation, user


def mark_used(session: Session, *, invitation: Invitation, now: datetime) -> None:
    """The link did its job: it works no more and its message loses the link."""
    invitation.used_at = now
    _retire_message(session, invitation=invitation, why="the link was used before it was sent")
    session.flush()


def end_links(session: Session, *, user: User, now: datetime) -> None:
    """Every open link of ``user`` stops working (the account was deactivated)."""
    _end_open_links(session, user=user, now=now, why="the account was deactivated")


def _end_open_links(session: Session, *, user: User, now: datetime, why: str) -> None:
    open_links = session.scalars(
        select(Invitation).where(
            Invitation.user_id == user.id,
            Invitation.used_at.is_(None),
            Invitation.expires_at > now,
        )
    )
    for invitation in open_links:
        invitation.expires_at = now
        _retire_message(session, invitation=invitation, why=why)
    session.flush()


def _retire_message(session: Session, *, invitation: Invitation, why: str) -> None:
    message = session.scalars(
        select(Message).where(Message.dedupe_key == _dedupe_key(invitation))
    ).first()
    if message is None:
        return
    message.body = _LINK.sub("/invite/(no longer valid)", message.body)
    if message.status in (MessageStatus.queued, MessageStatus.outbox):
        message.status, message.error = MessageStatus.failed, why


def _dedupe_key(invitation: Invitation) -> str:
    return f"invite:{invitation.id}"


def _queue_email(
    session: Session, *, user: User, invitation: Invitation, url: str, by: str, now: datetime
) -> Message:
    agency = load_settings(session).agency.name
    days = LIFETIME[Purpose(invitation.purpose)].days
    valid = f"The link works once, for {days} day{'s' if days > 1 else ''}."
    if invitation.purpose == Purpose.invite:
        subject = f"{by} invited you to {agency}'s Referral Engine"
        opening = (
            f"{by} invited you to {agency}'s Referral Engine as {_article(user.role)} "
            f"{user.role}. Choose your password here to sign in:"
        )
    else:
        subject = f"Reset your {agency} Referral Engine password"
        opening = f"{by} sent you a link to choose a new password:"
    body = (
        f"Hello {user.name},\n\n{opening}\n\n{url}\n\n{valid} "
        f"You sign in with this address, {user.email}.\n"
    )
    return queue(
        session,
        kind="staff_invite" if invitation.purpose == Purpose.invite else "staff_reset",
        user_id=user.id,
        dedupe_key=_dedupe_key(invitation),
        channel="email",
        to=user.email,
        subject=subject,
        body=body,
        now=now,
    )


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
