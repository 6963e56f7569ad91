"""What a client said about being contacted, told to a person (on the phone, in person,
on a signed form), recorded with its proof and acted on.

Used by the API, the CLI and the contact page alike. A revocation opts the client out at
once and stops their open asks on that channel; a grant or refusal re-checks the channel
of their open asks (an ask waiting for consent can then be approved).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.contacts import consent
from referral_engine.contacts.consent import ConsentStatement
from referral_engine.contacts.models import Client, ConsentRecord, ConsentStatus
from referral_engine.contacts.schemas import ConsentCreate
from referral_engine.decisions import service as decisions
from referral_engine.events.schemas import to_e164
from referral_engine.replies import revocation
from referral_engine.users.models import User


def record_statement(
    session: Session, *, client: Client, body: ConsentCreate, user: User | None, now: datetime
) -> ConsentRecord | None:
    """Record ``body`` for ``client`` as said to ``user``; raises consent.BadConsent."""
    staff = body.staff_name
    if not staff and body.method in consent.STAFF_METHODS and user is not None:
        staff = user.name or user.email
    number = body.number
    if number:
        try:
            number = to_e164(number, load_settings(session).agency.phone_region)
        except ValueError as exc:
            raise consent.BadConsent(f"number: {exc}") from exc
    statement = ConsentStatement(
        purpose=body.purpose,
        status=body.status,
        method=body.method,
        given_at=body.at or now,
        wording=body.wording,
        address=number,
        staff_name=staff,
        source=body.source,
        note=body.note,
    )
    if body.purpose in consent.MESSAGING and body.status == ConsentStatus.revoked:
        consent.check(statement, now=now)
        revocation.opt_out(
            session,
            client,
            channel=body.purpose,
            method=body.method,
            said=body.wording,
            staff_name=staff,
            recorded_by_id=user.id if user else None,
            now=now,
        )
        return consent.latest(session, purpose=body.purpose, client_id=client.id)
    row = consent.record(
        session,
        client=client,
        statement=statement,
        recorded_by_id=user.id if user else None,
        now=now,
    )
    if body.purpose in consent.MESSAGING:
        decisions.recheck_consent(session, client=client, now=now)
    return row
