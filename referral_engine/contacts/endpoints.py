"""Consent with proof, per client: read the state and its history; record a statement."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from referral_engine import clock
from referral_engine.contacts import consent
from referral_engine.contacts.models import Client, ConsentPurpose
from referral_engine.contacts.schemas import ConsentCreate, consent_read
from referral_engine.replies.statements import record_statement
from referral_engine.web.deps import ApiUser, DbSession
from referral_engine.web.problems import Problem

router = APIRouter(tags=["contacts"])


def _client(session: DbSession, client_id: int) -> Client:
    client = session.get(Client, client_id) if 0 < client_id < 2**63 else None
    if client is None:
        raise Problem(404, "No such contact", f"no contact {client_id}", kind="not-found")
    return client


def consent_state(session: DbSession, client: Client) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "email": consent.state_of(client, ConsentPurpose.email),
        "sms": consent.state_of(client, ConsentPurpose.sms),
        "publicity": (
            "granted"
            if consent.granted(session, purpose=ConsentPurpose.publicity, client_id=client.id)
            else "not granted"
        ),
        "records": [consent_read(r) for r in consent.history(session, client_id=client.id)],
    }


@router.get("/api/v1/contacts/{client_id}/consent")
def read_consent(client_id: int, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """The client's consent per purpose (granted, refused, revoked, unknown) and every
    statement that proves it, newest first."""
    return consent_state(session, _client(session, client_id))


@router.post("/api/v1/contacts/{client_id}/consent", status_code=201)
def record_consent(
    client_id: int, body: ConsentCreate, user: ApiUser, session: DbSession
) -> dict[str, Any]:
    """Record consent given, refused or revoked — by form, signed application, on the
    phone or in person (with the staff member's name). A revocation stops the client's
    open asks on that channel at once."""
    client = _client(session, client_id)
    try:
        row = record_statement(session, client=client, body=body, user=user, now=clock.now())
    except consent.BadConsent as exc:
        raise Problem(422, "Consent not recorded", str(exc), kind="invalid-request") from exc
    return consent_read(row) if row else consent_state(session, client)
