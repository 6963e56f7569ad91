"""Partners: businesses that send referrals (realtors, lenders, dealers, CPAs, …)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.events.schemas import ReferredBy
from referral_engine.referrals import repository, rules
from referral_engine.referrals.models import Partner, PartnerKind
from referral_engine.referrals.schemas import PartnerCreate


class PartnerExists(ValueError):
    """Another partner already has that external id (HTTP 409)."""


def create(session: Session, *, partner_in: PartnerCreate, now: datetime) -> Partner:
    if partner_in.external_id and repository.partner_by_external_id(
        session, external_id=partner_in.external_id
    ):
        raise PartnerExists(f"a partner with external_id {partner_in.external_id!r} exists")
    partner = Partner(
        external_id=partner_in.external_id,
        name=partner_in.name,
        kind=partner_in.kind,
        email=partner_in.email,
        phone=partner_in.phone,
        company=partner_in.company,
        notes=partner_in.notes,
        created_at=now,
    )
    session.add(partner)
    session.flush()
    return partner


def listing(
    session: Session, *, kind: PartnerKind | None, limit: int, offset: int
) -> list[Partner]:
    """Partners by name."""
    return repository.partners(session, kind=kind, limit=limit, offset=offset)


def resolve(session: Session, *, referred_by: ReferredBy, now: datetime) -> Partner:
    """The partner a referral names: by external id, else by name (ignoring case), else a
    new partner whose kind comes from ``partner_type`` ("Realtor", "mortgage broker")."""
    external_id, name = referred_by.external_id, referred_by.name
    if not (external_id or name):
        raise rules.InvalidReferral(
            "referred_by", "a partner referral needs the partner's external_id or name"
        )
    found = None
    if external_id:
        found = repository.partner_by_external_id(session, external_id=external_id)
    if found is None and name:
        found = repository.partner_by_name(session, name=name)
        if found is not None and external_id and found.external_id is None:
            found.external_id = external_id  # the id was unknown here until now
        elif found is not None and external_id and found.external_id != external_id:
            found = None  # same name, another partner's id: a different partner
    if found is not None:
        return found
    partner = Partner(
        external_id=external_id,
        name=name or external_id or "",
        kind=rules.partner_kind(referred_by.partner_type),
        notes="",
        created_at=now,
    )
    session.add(partner)
    session.flush()
    return partner
