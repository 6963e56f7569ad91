"""A referral as the API, the CLI and the pages show it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client
from referral_engine.db import load_by_id
from referral_engine.referrals import repository
from referral_engine.referrals.models import Partner, Referral, Reward, RewardStatus
from referral_engine.referrals.schemas import (
    OwnerRead,
    PartnerRead,
    ProspectRead,
    ReferralRead,
    ReferredByRead,
    RewardRead,
    TimelineEntryRead,
)
from referral_engine.users.models import User


def partner_read(partner: Partner) -> PartnerRead:
    return PartnerRead(
        id=partner.id,
        external_id=partner.external_id,
        name=partner.name,
        kind=partner.kind,
        email=partner.email,
        phone=partner.phone,
        company=partner.company,
        notes=partner.notes,
        created_at=partner.created_at,
    )


def reward_read(session: Session, reward: Reward) -> RewardRead:
    client = session.get(Client, reward.client_id) if reward.client_id else None
    return RewardRead(
        id=reward.id,
        referral_id=reward.referral_id,
        client_id=reward.client_id,
        referrer=client.display_name if client else "",
        state=reward.state,
        kind=reward.kind,
        value=reward.value,
        trigger=reward.trigger,
        status=reward.status,
        rule=reward.rule,
        proposed_at=reward.proposed_at,
        proposed_by=reward.proposed_by,
        decided_at=reward.decided_at,
        decided_by=reward.decided_by,
        note=reward.note,
        task_id=reward.task_id,
    )


def _sla_met(referral: Referral) -> bool | None:
    if referral.contact_due_at is None or referral.contacted_at is None:
        return None
    return referral.contacted_at <= referral.contact_due_at


def _owner(session: Session, referral: Referral) -> OwnerRead | None:
    owner = session.get(User, referral.owner_id) if referral.owner_id else None
    if owner is None:
        return None
    return OwnerRead(id=owner.id, name=owner.name, email=owner.email)


def read_all(session: Session, referrals: list[Referral]) -> list[ReferralRead]:
    """:func:`read` for a list, in a fixed number of queries: the owners, partners,
    rewards and rewarded clients of all of them are loaded at once (and held here, since
    the session keeps only weak references to what it loaded)."""
    ids = [r.id for r in referrals]
    owners = load_by_id(session, User, {r.owner_id for r in referrals})
    partners = load_by_id(session, Partner, {r.referred_by_partner_id for r in referrals})
    rewards: dict[int, list[Reward]] = {i: [] for i in ids}
    for reward in repository.rewards_of(session, referral_ids=ids):
        rewards[reward.referral_id].append(reward)
    clients = load_by_id(session, Client, {w.client_id for ws in rewards.values() for w in ws})
    shown = [read(session, r, rewards=rewards[r.id]) for r in referrals]
    del owners, partners, clients
    return shown


def read(
    session: Session,
    referral: Referral,
    *,
    timeline: bool = False,
    rewards: list[Reward] | None = None,
) -> ReferralRead:
    """A referral as shown; ``rewards``: its rewards, oldest first, when already loaded."""
    partner = (
        session.get(Partner, referral.referred_by_partner_id)
        if referral.referred_by_partner_id
        else None
    )
    entries = repository.entries(session, referral_id=referral.id) if timeline else None
    if rewards is None:
        rewards = repository.rewards(session, referral_id=referral.id)
    standing = [r for r in rewards if r.status != RewardStatus.declined]
    return ReferralRead(
        id=referral.id,
        status=referral.status,
        reason=referral.reason,
        prospect=ProspectRead(
            first_name=referral.first_name,
            last_name=referral.last_name,
            email=referral.email,
            mobile=referral.mobile,
            company=referral.company,
            line_of_business=referral.line_of_business,
            postal_code=referral.postal_code,
            client_id=referral.prospect_client_id,
        ),
        referred_by=ReferredByRead(
            kind=referral.referred_by_kind,
            external_id=referral.referred_by_external_id,
            name=referral.referred_by_name,
            client_id=referral.referred_by_client_id,
            partner_id=referral.referred_by_partner_id,
            partner_kind=partner.kind if partner else None,
        ),
        ask_id=referral.ask_id,
        tags=list(referral.tags or []),
        notes=referral.notes,
        disputed=referral.disputed,
        disputed_at=referral.disputed_at,
        disputed_by=referral.disputed_by,
        needs_confirmation=referral.needs_confirmation,
        confirmed_at=referral.confirmed_at,
        received_at=referral.received_at,
        owner=_owner(session, referral),
        captured_via=referral.captured_via,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        contact_due_at=referral.contact_due_at,
        contacted_at=referral.contacted_at,
        sla_met=_sla_met(referral),
        quoted_at=referral.quoted_at,
        closed_at=referral.closed_at,
        converted_at=referral.converted_at,
        converted_policy_number=referral.converted_policy_number,
        converted_line_of_business=referral.converted_line_of_business,
        converted_premium=referral.converted_premium,
        converted_commission=referral.converted_commission,
        reward_amount=standing[-1].value if standing else None,
        rewards=[reward_read(session, r) for r in rewards],
        timeline=[
            TimelineEntryRead(at=e.at, kind=e.kind, status=e.status, detail=e.detail, actor=e.actor)
            for e in entries
        ]
        if entries is not None
        else None,
    )
