"""Conversion: a bound policy whose client is an open referral's prospect converts it.

Matching, strongest first: the prospect is already linked to this client record,
then the same email, then the same mobile, then the same first and last name in the
same postal code. Within one kind of match the oldest open referral wins (the first
introduction gets the credit). A client is never their own referral.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client
from referral_engine.events.models import Event
from referral_engine.referrals import messages, priority, repository, rewards, rules
from referral_engine.referrals.models import Referral, ReferralStatus
from referral_engine.referrals.rules import OPEN
from referral_engine.referrals.timeline import record
from referral_engine.users.actor import SYSTEM

BIND_TRANSACTIONS = (None, "new", "rewrite")


def is_bind(event: Event) -> bool:
    """``policy.bound`` as new business or a rewrite (no transaction reads as new)."""
    return event.type == "policy.bound" and event.transaction in BIND_TRANSACTIONS


def open_match(
    session: Session, *, client: Client, among: Sequence[Referral] | None = None
) -> Referral | None:
    """The open referral whose prospect is ``client``, by the rules above; or None.

    ``among``: referrals read already for a chunk of events (any superset of the open
    ones that could match); without it they are read here.
    """
    if among is None:
        found = repository.open_for(
            session,
            prospect_client_id=client.id,
            email=client.email,
            mobile=client.mobile,
            last_name=client.last_name or None,
        )
    else:
        found = sorted(
            (r for r in among if r.status in OPEN and _may_be(r, client)),
            key=lambda r: (r.created_at, r.id),
        )
    candidates = [r for r in found if r.referred_by_client_id != client.id]
    tests: list[Callable[[Referral], bool]] = [
        lambda r: r.prospect_client_id == client.id,
        lambda r: bool(client.email) and r.email == client.email,
        lambda r: bool(client.mobile) and r.mobile == client.mobile,
        lambda r: rules.same_person_by_name(
            client.first_name,
            client.last_name,
            client.postal_code,
            r.first_name,
            r.last_name,
            r.postal_code,
        ),
    ]
    for test in tests:
        for referral in candidates:
            if test(referral):
                return referral
    return None


def _may_be(referral: Referral, client: Client) -> bool:
    """What :func:`repository.open_for` selects, for a referral already in hand."""
    last = (client.last_name or "").strip().lower()
    return (
        referral.prospect_client_id == client.id
        or (bool(client.email) and referral.email == client.email)
        or (bool(client.mobile) and referral.mobile == client.mobile)
        or (bool(last) and (referral.last_name or "").lower() == last)
    )


def _money(value: float | None) -> str:
    return f"${value:,.2f}" if value is not None else "unknown"


def convert(
    session: Session, referral: Referral, *, event: Event, client: Client, now: datetime
) -> Referral:
    """Mark ``referral`` converted by the bind in ``event``; a disputed attribution stays
    disputed (the credit is recorded, the dispute still needs a person). A referral still
    drafted from a reply is confirmed by the bind itself: it counts as received now and
    gets the reward program's reward, as a confirmation would give."""
    policy: dict[str, Any] = event.payload.get("policy") or {}
    before = referral.status
    drafted = referral.needs_confirmation
    if drafted:
        referral.needs_confirmation = False
        referral.received_at = referral.received_at or now
        referral.tags = rules.without(referral.tags, rules.DRAFT)
    referral.status = ReferralStatus.converted
    referral.reason = None
    referral.closed_at = now
    referral.converted_at = now
    referral.converted_event_id = event.id
    referral.converted_policy_number = event.policy_number
    referral.converted_line_of_business = event.line_of_business
    referral.converted_premium = policy.get("premium")
    referral.converted_commission = policy.get("commission")
    referral.prospect_client_id = client.id
    referral.tags = rules.merged(referral.tags, [rules.CONVERTED])
    referral.updated_at = now
    credit = f"credited to {priority.referrer_name(referral)} ({referral.referred_by_kind})"
    if referral.disputed:
        credit += "; the attribution is disputed"
    if drafted:
        credit += "; the bind confirms the referral drafted from the reply"
    what = event.policy_number or "a policy"
    if event.line_of_business:
        what += f" ({event.line_of_business})"
    # The referrer's update goes just before the conversion entry (the last word).
    messages.inform(session, referral, status=ReferralStatus.converted, now=now, actor=SYSTEM)
    record(
        session,
        referral,
        kind="converted",
        status=ReferralStatus.converted,
        detail=(
            f"{before} → converted: {client.display_name} bound {what}, premium "
            f"{_money(referral.converted_premium)}, commission "
            f"{_money(referral.converted_commission)} (event {event.external_id} from "
            f"{event.source}); {credit}; tagged {rules.CONVERTED}"
        ),
        now=now,
        actor=SYSTEM,
    )
    priority.close_contact_task(session, referral, user=None, now=now)
    if drafted:
        rewards.on_received(session, referral, now=now, actor=SYSTEM)
    return referral
