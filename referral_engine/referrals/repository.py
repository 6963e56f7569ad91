"""Every query the referrals area makes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from referral_engine.contacts.models import Client, ConsentPurpose, ConsentRecord
from referral_engine.referrals.models import (
    Partner,
    PartnerKind,
    Referral,
    ReferralEntry,
    ReferralStatus,
    Reward,
    RewardStatus,
)
from referral_engine.referrals.rules import OPEN
from referral_engine.search import Search, matching, ordered, page_of, within
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
    search: Search | None = None,
) -> list[Referral]:
    """Newest first; ``search`` as the Referrals page searches."""
    query = select(Referral)
    if search:
        referrer = aliased(Client)
        query = query.outerjoin(referrer, referrer.id == Referral.referred_by_client_id)
        query = query.where(_referral_matches(search, referrer))
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


def entries_of(
    session: Session, *, referral_ids: list[int], kind: str
) -> set[tuple[int, str | None]]:
    """(referral id, status) of the ``kind`` entries of these referrals (one query)."""
    if not referral_ids:
        return set()
    query = select(ReferralEntry.referral_id, ReferralEntry.status).where(
        ReferralEntry.referral_id.in_(referral_ids), ReferralEntry.kind == kind
    )
    return set(session.execute(query).tuples())


def received_at() -> ColumnElement[datetime]:
    """When a referral counted as received: a person's confirmation for one drafted from
    a reply, its capture otherwise."""
    return func.coalesce(Referral.confirmed_at, Referral.created_at)


def referred_between(session: Session, *, start: datetime, end: datetime) -> list[Referral]:
    """Referrals from a client or partner on record, received (:func:`received_at`) or
    converted in [start, end)."""
    query = select(Referral).where(
        or_(
            Referral.referred_by_client_id.is_not(None),
            Referral.referred_by_partner_id.is_not(None),
        ),
        or_(
            and_(received_at() >= start, received_at() < end),
            and_(Referral.converted_at >= start, Referral.converted_at < end),
        ),
    )
    return list(session.scalars(query.order_by(Referral.id)))


def referrer_counts(
    session: Session, *, start: datetime, end: datetime
) -> list[tuple[str, int, int, int, str | None, str | None]]:
    """Per referrer on record — a client or a partner the referral names by id — whose
    referrals count for recognition (neither disputed nor waiting for confirmation),
    over those received (:func:`received_at`) or converted in [start, end): (kind,
    referrer id, received in it, converted in it, and the referred-by name and external
    id the first of them recorded), in the order of that first referral. One query,
    counted in the database."""
    kind = Referral.referred_by_kind
    referrer_id = case(
        (kind == "client", Referral.referred_by_client_id), else_=Referral.referred_by_partner_id
    ).label("referrer_id")
    received = and_(received_at() >= start, received_at() < end)
    converted = and_(Referral.converted_at >= start, Referral.converted_at < end)
    counted = (
        select(
            kind.label("kind"),
            referrer_id,
            func.sum(case((received, 1), else_=0)).label("received"),
            func.sum(case((converted, 1), else_=0)).label("converted"),
            func.min(Referral.id).label("first_id"),
        )
        .where(
            or_(
                and_(kind == "client", Referral.referred_by_client_id.is_not(None)),
                and_(kind == "partner", Referral.referred_by_partner_id.is_not(None)),
            ),
            or_(received, converted),
            Referral.disputed.is_(False),
            Referral.needs_confirmation.is_(False),
        )
        .group_by(kind, referrer_id)
        .subquery()
    )
    first = aliased(Referral)
    query = (
        select(
            counted.c.kind,
            counted.c.referrer_id,
            counted.c.received,
            counted.c.converted,
            first.referred_by_name,
            first.referred_by_external_id,
        )
        .join(first, first.id == counted.c.first_id)
        .order_by(counted.c.first_id)
    )
    return [
        (kind, int(rid), int(got or 0), int(won or 0), name, external_id)
        for kind, rid, got, won, name, external_id in session.execute(query).tuples()
    ]


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


# -- the referred person's privacy, the referrer's publicity -------------------------------


def is_prospect_address(session: Session, *, channel: str, address: str) -> bool:
    """Is ``address`` (a mobile for SMS, an email otherwise) a referred person's?"""
    if channel == "sms":
        condition = Referral.mobile == address
    else:
        condition = func.lower(Referral.email) == address.strip().lower()
    return session.scalars(select(Referral.id).where(condition).limit(1)).first() is not None


def newest_consents(
    session: Session,
    *,
    purpose: ConsentPurpose,
    referral_ids: list[int] | None = None,
    client_ids: list[int] | None = None,
) -> dict[int, ConsentRecord]:
    """The newest statement for ``purpose`` per referral (or per client), in one query."""
    if referral_ids is not None:
        column = ConsentRecord.referral_id
        ids = referral_ids
    else:
        column = ConsentRecord.client_id
        ids = client_ids or []
    if not ids:
        return {}
    query = (
        select(ConsentRecord)
        .where(ConsentRecord.purpose == purpose, column.in_(ids))
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    newest: dict[int, ConsentRecord] = {}
    for row in session.scalars(query):
        key = row.referral_id if referral_ids is not None else row.client_id
        if key is not None:
            newest[key] = row  # later rows win
    return newest


# -- rewards -----------------------------------------------------------------------------

COUNTED = (RewardStatus.proposed, RewardStatus.approved)
"""Rewards that count against a cap: given, or waiting to be."""


def reward(session: Session, reward_id: int, *, for_update: bool = False) -> Reward | None:
    query = select(Reward).where(Reward.id == reward_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def reward_by_key(session: Session, *, key: str) -> Reward | None:
    return session.scalars(select(Reward).where(Reward.key == key)).first()


def rewards(
    session: Session,
    *,
    status: RewardStatus | None = None,
    statuses: tuple[RewardStatus, ...] | None = None,
    referral_id: int | None = None,
    client_ids: list[int] | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Reward]:
    """Oldest first."""
    query = select(Reward)
    if status is not None:
        query = query.where(Reward.status == status)
    if statuses is not None:
        query = query.where(Reward.status.in_(statuses))
    if referral_id is not None:
        query = query.where(Reward.referral_id == referral_id)
    if client_ids is not None:
        query = query.where(Reward.client_id.in_(client_ids))
    query = query.order_by(Reward.proposed_at, Reward.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def rewards_of(session: Session, *, referral_ids: list[int]) -> list[Reward]:
    """Every reward of these referrals, oldest first (one query)."""
    if not referral_ids:
        return []
    query = select(Reward).where(Reward.referral_id.in_(referral_ids))
    return list(session.scalars(query.order_by(Reward.proposed_at, Reward.id)))


def rewarded_since(
    session: Session, *, client_id: int, since: datetime, other_than: int | None = None
) -> float:
    """What ``client_id`` was given or offered (approved or waiting) from ``since``."""
    query = select(func.coalesce(func.sum(Reward.value), 0)).where(
        Reward.client_id == client_id,
        Reward.status.in_(COUNTED),
        Reward.proposed_at >= since,
    )
    if other_than is not None:
        query = query.where(Reward.id != other_than)
    return float(session.scalars(query).one())


def referrer_producers(session: Session, *, client_ids: Collection[int]) -> dict[int, int | None]:
    """The producer of each referring client in ``client_ids``."""
    if not client_ids:
        return {}
    query = select(Client.id, Client.producer_id).where(Client.id.in_(list(client_ids)))
    return {client_id: producer_id for client_id, producer_id in session.execute(query).tuples()}


def made_by_client(session: Session, *, client_id: int, limit: int) -> list[Referral]:
    """The newest ``limit`` referrals the client made, newest first."""
    query = (
        select(Referral)
        .where(Referral.referred_by_client_id == client_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


REFERRAL_SORTS = {
    "created": (Referral.created_at,),
    "name": (Referral.last_name, Referral.first_name),
    "status": (Referral.status,),
    "due": (Referral.contact_due_at,),
}


def page(
    session: Session,
    *,
    search: Search,
    status: ReferralStatus | None = None,
    book_of: int | None = None,
    sort: str = "created",
    descending: bool = True,
    since: datetime | None = None,
    before: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Referral], int]:
    """One page of referrals and how many match. Search: the prospect's name, company,
    email or mobile (any format), the referrer's name, a converted policy number.
    ``book_of``: a person's own — those they own, or, with no owner yet, those referred by
    a client they produce."""
    referrer = aliased(Client)
    query = select(Referral).outerjoin(referrer, referrer.id == Referral.referred_by_client_id)
    query = query.where(_referral_matches(search, referrer))
    if status is not None:
        query = query.where(Referral.status == status)
    if book_of is not None:
        unowned = and_(Referral.owner_id.is_(None), referrer.producer_id == book_of)
        query = query.where(or_(Referral.owner_id == book_of, unowned))
    query = query.where(within(Referral.created_at, since, before))
    order = [ordered(c, descending) for c in REFERRAL_SORTS[sort]]
    query = query.order_by(*order, Referral.id.desc() if descending else Referral.id)
    found, total = page_of(session, query, key=Referral.id, limit=limit, offset=offset)
    return [referral for (referral,) in found], total


def _referral_matches(search: Search, referrer: Any) -> ColumnElement[bool]:
    """The prospect's name, company, email or mobile (any format), the referrer's name
    (``referrer``: the referring client, outer-joined), a converted policy number."""
    return matching(
        search,
        text=[
            Referral.first_name,
            Referral.last_name,
            Referral.company,
            Referral.email,
            Referral.referred_by_name,
            Referral.converted_policy_number,
            referrer.first_name,
            referrer.last_name,
        ],
        phones=[Referral.mobile],
    )
