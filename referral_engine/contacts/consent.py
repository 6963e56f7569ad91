"""Consent with proof: every grant, refusal and revocation is a record, and the client's
current state follows the newest one that may change it.

What callers may rely on:

* :func:`record` checks a statement (:class:`BadConsent` says what is missing in plain
  words), stores it as a :class:`ConsentRecord` that is never changed afterwards, and
  brings the client's ``consent_*`` / ``*_opted_out`` columns in step.
* A revocation opts the client out of that channel at once: every number and address of
  the agency stops messaging them there (the state is the client's, not a sender's).
* Only the person themselves (a form, a signed application, their own reply, words said
  to a named member of staff) can lift a revocation. A system import that still says
  "consent: yes" after the client revoked is recorded as what the import said, and the
  client stays opted out — the source's data is older than the client's word.
* An import that repeats the state already recorded adds nothing, and neither does a
  statement already on record word for word (a source sends the same signed application
  with every event): nightly syncs would otherwise bury the proof under copies.
* Publicity and a referred person's permission to share the outcome are consents of
  their own (:class:`ConsentPurpose`), separate from messaging and revocable the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from referral_engine.clock import as_utc
from referral_engine.contacts.models import (
    Client,
    ConsentMethod,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
)

# Methods that name the member of staff who heard (or received) it.
STAFF_METHODS = frozenset(
    {
        ConsentMethod.verbal,
        ConsentMethod.phone,
        ConsentMethod.in_person,
        ConsentMethod.email,
        ConsentMethod.letter,
    }
)
# Methods by which the person's own affirmative word reaches us: these may lift a revocation.
OWN_WORD = frozenset(
    {
        ConsentMethod.form,
        ConsentMethod.signed_application,
        ConsentMethod.verbal,
        ConsentMethod.reply,
        ConsentMethod.phone,
        ConsentMethod.in_person,
        ConsentMethod.email,
        ConsentMethod.letter,
    }
)
MESSAGING = frozenset({ConsentPurpose.email, ConsentPurpose.sms})


class BadConsent(ValueError):
    """A consent statement that lacks what would prove it."""


@dataclass(frozen=True)
class ConsentStatement:
    """What someone said, how and when; ``address`` is the number (SMS) or address (email)."""

    purpose: ConsentPurpose
    status: ConsentStatus
    method: ConsentMethod
    given_at: datetime
    wording: str | None = None
    address: str | None = None
    staff_name: str | None = None
    source: str | None = None
    note: str | None = None


def check(statement: ConsentStatement, *, now: datetime) -> None:
    """Refuse a statement that would not stand as proof."""
    if statement.method in STAFF_METHODS and not (statement.staff_name or "").strip():
        raise BadConsent(
            f"consent given {statement.method.replace('_', ' ')} needs the name of the member "
            "of staff who heard it"
        )
    if statement.method == ConsentMethod.imported and not (statement.source or "").strip():
        raise BadConsent("imported consent needs its source: the file or system it came from")
    if (
        statement.status == ConsentStatus.granted
        and statement.method in (ConsentMethod.form, ConsentMethod.signed_application)
        and not (statement.wording or "").strip()
    ):
        raise BadConsent("consent by form or signed application needs the wording the client saw")
    if (
        statement.purpose == ConsentPurpose.sms
        and statement.status == ConsentStatus.granted
        and not statement.address
    ):
        raise BadConsent("consent to texts needs the mobile number it covers")
    if statement.given_at > now:
        raise BadConsent("consent cannot be given in the future")


def record(
    session: Session,
    *,
    client: Client | None = None,
    referral_id: int | None = None,
    statement: ConsentStatement,
    recorded_by_id: int | None = None,
    now: datetime,
) -> ConsentRecord | None:
    """Store ``statement`` for a client (or a referred person) and apply it.

    Returns the new record, or None when it repeats what is on record (an import of the
    state already held, or the same statement word for word).
    Raises :class:`BadConsent` when the statement would not stand as proof.
    """
    ledger = ConsentLedger(session, [client.id] if client is not None and client.id else [])
    values = ledger.decide(
        client=client,
        referral_id=referral_id,
        statement=statement,
        recorded_by_id=recorded_by_id,
        now=now,
    )
    if values is None:
        return None
    row = ConsentRecord(**values)
    session.add(row)
    session.flush()
    return row


Key = tuple[int, str, str, str, datetime, str | None, str | None]


class ConsentLedger:
    """What is on record for a set of clients, read in one query, and the statements
    decided against it; :meth:`write` stores the new ones in one insert.

    The import of a chunk of events records its clients' reported consent through one
    ledger; :func:`record` is a ledger of one statement. The rules are the same.
    """

    def __init__(self, session: Session, client_ids: Iterable[int]) -> None:
        self.session = session
        self._known: set[Key] = set()
        self._revoked: dict[tuple[int, str], datetime] = {}
        self._rows: list[tuple[Client, dict[str, Any]]] = []
        ids = sorted(set(client_ids))
        for start in range(0, len(ids), 500):
            for row in session.execute(
                select(
                    ConsentRecord.client_id,
                    ConsentRecord.purpose,
                    ConsentRecord.status,
                    ConsentRecord.method,
                    ConsentRecord.given_at,
                    ConsentRecord.wording,
                    ConsentRecord.address,
                ).where(ConsentRecord.client_id.in_(ids[start : start + 500]))
            ):
                client_id, purpose, status, method, given_at, wording, address = row
                if client_id is not None:
                    self._remember(
                        (client_id, purpose, status, method, as_utc(given_at), wording, address)
                    )

    def _remember(self, key: Key) -> None:
        self._known.add(key)
        client_id, purpose, status, _method, given_at, _wording, _address = key
        if status == ConsentStatus.revoked:
            latest = self._revoked.get((client_id, purpose))
            if latest is None or given_at > latest:
                self._revoked[(client_id, purpose)] = given_at

    def decide(
        self,
        *,
        client: Client | None,
        statement: ConsentStatement,
        now: datetime,
        referral_id: int | None = None,
        recorded_by_id: int | None = None,
    ) -> dict[str, Any] | None:
        """Check ``statement`` and apply it to the client's columns; returns the record's
        values, or None when it repeats what is on record. Raises :class:`BadConsent`."""
        if statement.purpose == ConsentPurpose.sms and not statement.address and client:
            statement = _with_address(statement, client.mobile)
        if statement.purpose == ConsentPurpose.email and not statement.address and client:
            statement = _with_address(statement, client.email)
        check(statement, now=now)
        note = statement.note
        if client is not None:
            key: Key = (
                _key_of(client),
                statement.purpose,
                statement.status,
                statement.method,
                as_utc(statement.given_at),
                statement.wording,
                statement.address,
            )
            # The same statement (what, when, how, the words, the number) is on record
            # already: every event from a source that keeps the signed application repeats it.
            if key in self._known:
                return None
        if client is not None and statement.purpose in MESSAGING:
            if statement.method == ConsentMethod.imported and _repeats(client, statement):
                return None
            revoked = None
            if client.id is not None and state_of(client, statement.purpose) == "revoked":
                revoked = self._revoked.get((client.id, statement.purpose))
            note = _apply(client, statement, revoked_at=revoked) or note
        values: dict[str, Any] = {
            "client_id": client.id if client is not None else None,
            "referral_id": referral_id,
            "purpose": statement.purpose,
            "status": statement.status,
            "method": statement.method,
            "given_at": statement.given_at,
            "recorded_at": now,
            "recorded_by_id": recorded_by_id,
            "staff_name": statement.staff_name,
            "source": statement.source,
            "wording": statement.wording,
            "address": statement.address,
            "note": note,
        }
        if client is not None:
            self._remember(key)
        return values

    def add(self, *, client: Client, statement: ConsentStatement, now: datetime) -> bool:
        """Decide ``statement`` and keep it for :meth:`write`; False when it repeats.

        The client may be new (not flushed yet): its consent columns are set here, so it
        is inserted with them, and :meth:`write` takes its id when the rows go in.
        """
        values = self.decide(client=client, statement=statement, now=now)
        if values is not None:
            self._rows.append((client, values))
        return values is not None

    def write(self) -> None:
        """Store every statement added since the last write, in one insert (the clients
        must have been flushed)."""
        if self._rows:
            rows = [{**values, "client_id": client.id} for client, values in self._rows]
            self.session.connection().execute(insert(ConsentRecord), rows)
            self._rows = []


def _key_of(client: Client) -> int:
    """The client's id; a client not stored yet is known by its object (negative, so
    it never meets a stored id) until it is."""
    return client.id if client.id is not None else -id(client)


def _with_address(statement: ConsentStatement, address: str | None) -> ConsentStatement:
    return replace(statement, address=address)


def _repeats(client: Client, statement: ConsentStatement) -> bool:
    return state_of(client, statement.purpose) == statement.status


def _apply(
    client: Client, statement: ConsentStatement, *, revoked_at: datetime | None
) -> str | None:
    """Bring the client's columns in step; returns a note when the statement is kept as
    proof of what was said but does not change the state."""
    email = statement.purpose == ConsentPurpose.email
    if statement.status == ConsentStatus.revoked:
        if email:
            client.email_opted_out = True
        else:
            client.sms_opted_out = True
        return None
    opted_out = client.email_opted_out if email else client.sms_opted_out
    if statement.status == ConsentStatus.granted and opted_out:
        if statement.method not in OWN_WORD:
            return "kept opted out: the client revoked, and only their own word lifts that"
        if revoked_at is not None and statement.given_at < revoked_at:
            return "kept opted out: this consent is older than the client's revocation"
        if email:
            client.email_opted_out = False
        else:
            client.sms_opted_out = False
    granted = statement.status == ConsentStatus.granted
    if email:
        client.consent_email = granted
    else:
        client.consent_sms = granted
    return None


def state_of(client: Client, purpose: ConsentPurpose | str) -> str:
    """granted, refused, revoked or unknown, for a messaging channel of a client."""
    email = purpose == ConsentPurpose.email
    if client.email_opted_out if email else client.sms_opted_out:
        return ConsentStatus.revoked
    value = client.consent_email if email else client.consent_sms
    if value is None:
        return "unknown"
    return ConsentStatus.granted if value else ConsentStatus.refused


def history(
    session: Session, *, client_id: int | None = None, referral_id: int | None = None
) -> list[ConsentRecord]:
    """Every statement of a client (or referred person), newest first."""
    query = select(ConsentRecord)
    if client_id is not None:
        query = query.where(ConsentRecord.client_id == client_id)
    if referral_id is not None:
        query = query.where(ConsentRecord.referral_id == referral_id)
    return list(
        session.scalars(query.order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc()))
    )


def latest(
    session: Session,
    *,
    purpose: ConsentPurpose,
    client_id: int | None = None,
    referral_id: int | None = None,
) -> ConsentRecord | None:
    """The newest statement for one purpose (publicity, share_outcome, ...)."""
    for row in history(session, client_id=client_id, referral_id=referral_id):
        if row.purpose == purpose:
            return row
    return None


def granted(
    session: Session,
    *,
    purpose: ConsentPurpose,
    client_id: int | None = None,
    referral_id: int | None = None,
) -> bool:
    """True only when the newest statement for ``purpose`` grants it."""
    row = latest(session, purpose=purpose, client_id=client_id, referral_id=referral_id)
    return row is not None and row.status == ConsentStatus.granted
