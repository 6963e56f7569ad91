"""The referred person's privacy: what their referrer may hear, and who may be messaged.

What callers may rely on:

* Whether someone quoted, bought or was declined — and anything about their coverage —
  is theirs to share (GLBA; NAIC Model #672: research R34). The referrer hears how it
  went only when the referred person consented: their newest ``share_outcome`` statement
  on the referral grants it. In California that consent must be written (a form or a
  signed application) and at most a year old (Cal. Ins. Code §791.13, R34 [85]).
* :func:`update_for` says what a referrer is told when a referral reaches a status:
  without that consent only "we reached out — thank you", once, at first contact, and
  nothing for quoting, converted or not converted; with it, each step (still never a
  premium, a line of business or a policy number).
* :func:`recipient_refusal` is the senders' guard: a referred person gets no automated
  message (SMS or email) — nobody can consent for them, and their first contact is a
  person's task (R35). Only a client's own address under that client's own recorded
  consent is let through. The delivery area calls it just before a message leaves; it
  lives here because the referrals area knows who was referred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from referral_engine.compliance.places import state_of_postal_code
from referral_engine.contacts import consent
from referral_engine.contacts.consent import ConsentStatement
from referral_engine.contacts.models import (
    Client,
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
)
from referral_engine.referrals import repository
from referral_engine.referrals.models import Referral, ReferralStatus

REACHED_OUT = "reached_out"
"""The one update a referrer gets without the referred person's consent."""
WRITTEN = frozenset({ConsentMethod.form, ConsentMethod.signed_application})
CA_CONSENT_LASTS = timedelta(days=365)
REFUSAL = (
    "the recipient was referred to us by someone else: no automated message without their"
    " own consent — a person makes the first contact (research R35)"
)


@dataclass(frozen=True)
class OutcomeConsent:
    """The facts of a share-outcome statement that decide whether it counts."""

    status: str
    method: str
    given_at: datetime

    @classmethod
    def of(cls, row: ConsentRecord) -> OutcomeConsent:
        return cls(status=row.status, method=row.method, given_at=row.given_at)


def may_share(
    statement: OutcomeConsent | None, *, prospect_state: str | None, now: datetime
) -> bool:
    """Does this (newest) statement let the referrer hear how it went? Pure."""
    if statement is None or statement.status != ConsentStatus.granted:
        return False
    if prospect_state == "CA":
        written = statement.method in WRITTEN
        return written and now - statement.given_at <= CA_CONSENT_LASTS
    return True


def update_for(status: ReferralStatus, *, shared: bool) -> str | None:
    """The update template a referrer gets when the referral reaches ``status``. Pure."""
    if shared:
        named = (ReferralStatus.contacted, ReferralStatus.quoting, ReferralStatus.converted)
        return str(status) if status in named else None
    if status in (ReferralStatus.contacted, ReferralStatus.quoting):
        return REACHED_OUT  # the first contact, however it is recorded
    return None


def prospect_state(session: Session, referral: Referral) -> str | None:
    if referral.prospect_client_id is not None:
        client = session.get(Client, referral.prospect_client_id)
        if client is not None and client.state:
            return client.state
    return state_of_postal_code(referral.postal_code)


def outcome_shared(session: Session, referral: Referral, *, now: datetime) -> bool:
    """May the referrer hear how ``referral`` went?"""
    row = consent.latest(session, purpose=ConsentPurpose.share_outcome, referral_id=referral.id)
    facts = OutcomeConsent.of(row) if row is not None else None
    return may_share(facts, prospect_state=prospect_state(session, referral), now=now)


def sharing(session: Session, referrals: list[Referral], *, now: datetime) -> set[int]:
    """The ids of ``referrals`` whose outcome the referrer may hear (one query)."""
    newest = repository.newest_consents(
        session, purpose=ConsentPurpose.share_outcome, referral_ids=[r.id for r in referrals]
    )
    return {
        r.id
        for r in referrals
        if r.id in newest
        and may_share(
            OutcomeConsent.of(newest[r.id]), prospect_state=prospect_state(session, r), now=now
        )
    }


def record_outcome_consent(
    session: Session,
    referral: Referral,
    *,
    statement: ConsentStatement,
    recorded_by_id: int | None,
    now: datetime,
) -> ConsentRecord | None:
    """The referred person's word on sharing the outcome, kept as proof on the referral;
    raises :class:`consent.BadConsent` when it would not stand as proof."""
    return consent.record(
        session,
        referral_id=referral.id,
        statement=statement,
        recorded_by_id=recorded_by_id,
        now=now,
    )


def recipient_refusal(
    session: Session, *, channel: str, to: str, client: Client | None
) -> str | None:
    """Why a message on ``channel`` to ``to`` must not leave, or None when it may."""
    if not repository.is_prospect_address(session, channel=channel, address=to):
        return None
    own = (
        client is not None
        and to.strip().lower()
        == ((client.mobile if channel == "sms" else client.email) or "").strip().lower()
    )
    if own and client is not None and consent.state_of(client, channel) == ConsentStatus.granted:
        return None  # a client in their own right, who consented themselves
    return REFUSAL
