"""Every query the referrals area makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client
from referral_engine.referrals.models import (
    Partner,
    PartnerKind,
    Referral,
    ReferralEntry,
    ReferralStatus,
)
from referral_engine.referrals.rules import OPEN
from referral_engine.users.models import Role, User


def get(session: Session, referral_id: int, *, for_update: bool = False) -> Referral | None:
    query = select(Referral).where(Referral.id == referral_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def listing(
    session: Session,
    *,
    status: ReferralStatus | None,
    referred_by_kind: str | None,
    limit: int,
    offset: int,
) -> list[Referral]:
    """Newest first."""
    query = select(Referral)
    if status is not None:
        query = query.where(Referral.status == status)
    if referred_by_kind is not None:
        query = query.where(Referral.referred_by_kind == referred_by_kind)
    query = query.order_by(Referral.created_at.desc(), Referral.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def entries(session: Session, *, referral_id: int) -> list[ReferralEntry]:
    query = select(ReferralEntry).where(ReferralEntry.referral_id == referral_id)
    return list(session.scalars(query.order_by(ReferralEntry.at, ReferralEntry.id)))


def has_entry(session: Session, *, referral_id: int, kind: str, status: str | None) -> bool:
    query = select(ReferralEntry.id).where(
        ReferralEntry.referral_id == referral_id,
        ReferralEntry.kind == kind,
        ReferralEntry.status == status,
    )
    return session.scalars(query.limit(1)).first() is not None


def referred_between(session: Session, *, start: datetime, end: datetime) -> list[Referral]:
    """Referrals from a client or partner on record, captured or converted in
    [start, end)."""
    query = select(Referral).where(
        or_(
            Referral.referred_by_client_id.is_not(None),
            Referral.referred_by_partner_id.is_not(None),
        ),
        or_(
            and_(Referral.created_at >= start, Referral.created_at < end),
            and_(Referral.converted_at >= start, Referral.converted_at < end),
        ),
    )
    return list(session.scalars(query.order_by(Referral.id)))


def by_source_event(session: Session, *, event_id: int) -> Referral | None:
    return session.scalars(select(Referral).where(Referral.source_event_id == event_id)).first()


def by_converted_event(session: Session, *, event_id: int) -> Referral | None:
    query = select(Referral).where(Referral.converted_event_id == event_id)
    return session.scalars(query.order_by(Referral.id)).first()


def open_for(
    session: Session,
    *,
    prospect_client_id: int | None = None,
    email: str | None = None,
    mobile: str | None = None,
    last_name: str | None = None,
) -> list[Referral]:
    """Open referrals (new, contacted, quoting) whose prospect is this client, has this
    email or mobile, or this last name (ignoring case) — oldest first."""
    conditions = []
    if prospect_client_id is not None:
        conditions.append(Referral.prospect_client_id == prospect_client_id)
    if email:
        conditions.append(Referral.email == email)
    if mobile:
        conditions.append(Referral.mobile == mobile)
    if last_name:
        conditions.append(func.lower(Referral.last_name) == last_name.strip().lower())
    if not conditions:
        return []
    query = (
        select(Referral)
        .where(Referral.status.in_(OPEN), or_(*conditions))
        .order_by(Referral.created_at, Referral.id)
    )
    return list(session.scalars(query))


def partners(
    session: Session, *, kind: PartnerKind | None, limit: int, offset: int
) -> list[Partner]:
    query = select(Partner)
    if kind is not None:
        query = query.where(Partner.kind == kind)
    query = query.order_by(func.lower(Partner.name), Partner.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def partner_by_external_id(session: Session, *, external_id: str) -> Partner | None:
    return session.scalars(select(Partner).where(Partner.external_id == external_id)).first()


def partner_by_name(session: Session, *, name: str) -> Partner | None:
    query = select(Partner).where(func.lower(Partner.name) == name.strip().lower())
    return session.scalars(query.order_by(Partner.id)).first()


def client_by_external_id(session: Session, *, external_id: str) -> Client | None:
    return session.scalars(select(Client).where(Client.external_id == external_id)).first()


def first_senior_csr(session: Session) -> User | None:
    query = select(User).where(User.role == Role.csr, User.senior.is_(True), User.active.is_(True))
    return session.scalars(query.order_by(User.id)).first()
