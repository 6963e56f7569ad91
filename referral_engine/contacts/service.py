"""Client identity and facts: resolve who an event is about and keep what it says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.compliance.places import state_of_postal_code
from referral_engine.contacts import consent, repository
from referral_engine.contacts.consent import ConsentStatement
from referral_engine.contacts.models import (
    Client,
    ClientIssue,
    ConsentMethod,
    ConsentPurpose,
    ConsentStatus,
    Policy,
)
from referral_engine.events.schemas import ClientIn, EventIn, PolicyIn


class ClientIndex:
    """Clients of one batch, found by external id, else email, else mobile."""

    def __init__(self, clients: Sequence[Client]) -> None:
        self.by_external: dict[str, Client] = {}
        self.by_email: dict[str, Client] = {}
        self.by_mobile: dict[str, Client] = {}
        for client in clients:
            self.remember(client)

    def remember(self, client: Client) -> None:
        if client.external_id:
            self.by_external[client.external_id] = client
        if client.email:
            self.by_email.setdefault(client.email, client)
        if client.mobile:
            self.by_mobile.setdefault(client.mobile, client)

    def find(self, facts: ClientIn) -> Client | None:
        if facts.external_id:
            # An external id is authoritative: a different id is a different client even
            # when the email matches (a household sharing one address).
            found = self.by_external.get(facts.external_id)
            if found is not None:
                return found
            candidate = (facts.email and self.by_email.get(facts.email)) or (
                facts.mobile and self.by_mobile.get(facts.mobile)
            )
            if candidate and candidate.external_id is None:
                return candidate
            return None
        if facts.email and facts.email in self.by_email:
            return self.by_email[facts.email]
        if facts.mobile and facts.mobile in self.by_mobile:
            return self.by_mobile[facts.mobile]
        return None


def index_for(session: Session, events: Sequence[EventIn]) -> ClientIndex:
    clients = repository.clients_matching(
        session,
        external_ids=[e.client.external_id for e in events if e.client.external_id],
        emails=[e.client.email for e in events if e.client.email],
        mobiles=[e.client.mobile for e in events if e.client.mobile],
    )
    return ClientIndex(clients)


def policy_holders(session: Session, *, numbers: Sequence[str]) -> dict[str, list[Client]]:
    """Who holds each of these policy numbers already (a carrier's email that names no
    client is matched to the client the agency system told us about)."""
    return repository.holders_of_policies(session, numbers=numbers)


def resolve_client(
    session: Session,
    *,
    index: ClientIndex,
    facts: ClientIn,
    producer_id: int | None,
    now: datetime,
) -> Client:
    """The client these facts describe, created if new, with the facts applied."""
    client = index.find(facts)
    if client is None:
        client = Client(
            first_name="",
            last_name="",
            email_opted_out=False,
            sms_opted_out=False,
            sensitive=False,
            created_at=now,
            updated_at=now,
        )
        session.add(client)
    apply_facts(client, facts=facts, producer_id=producer_id, now=now)
    index.remember(client)
    return client


def apply_facts(client: Client, *, facts: ClientIn, producer_id: int | None, now: datetime) -> None:
    """Keep what the source says; a field it leaves empty keeps its stored value.

    The state is the source's; without one, a new postal code brings its own state (a US
    ZIP code's, None for anything else) and an unchanged one keeps the stored state.
    """
    if facts.state is not None:
        client.state = facts.state
    elif facts.postal_code is not None and (
        client.state is None or facts.postal_code != client.postal_code
    ):
        client.state = state_of_postal_code(facts.postal_code)
    for name in (
        "external_id",
        "first_name",
        "last_name",
        "company",
        "email",
        "mobile",
        "postal_code",
        "timezone",
        "client_since",
        "preferred_channel",
    ):
        value = getattr(facts, name)
        if value is not None:
            setattr(client, name, value)
    if "sensitive" in facts.model_fields_set:
        client.sensitive = facts.sensitive
    if producer_id is not None:
        client.producer_id = producer_id
    client.updated_at = now


def record_reported_consent(
    ledger: consent.ConsentLedger,
    *,
    client: Client,
    facts: ClientIn,
    source: str,
    at: datetime,
    now: datetime,
) -> None:
    """What a source says of the client's consent, kept as proof (``source`` names the
    system or file) and applied as :mod:`referral_engine.contacts.consent` allows; the
    caller writes the ``ledger`` once for a whole batch.

    A bare true/false is "imported" as of ``at`` (the event's instant); a detailed one
    keeps its own instant, method and wording. A statement that would not stand as proof
    (verbal with no staff name, say) is kept as imported, with the reason in its note.
    """
    for purpose, value in (
        (ConsentPurpose.email, facts.consent.email),
        (ConsentPurpose.sms, facts.consent.sms),
    ):
        if value is None:
            continue
        if isinstance(value, bool):
            statement = ConsentStatement(
                purpose=purpose,
                status=ConsentStatus.granted if value else ConsentStatus.refused,
                method=ConsentMethod.imported,
                given_at=min(at, now),
                source=source,
            )
        else:
            statement = ConsentStatement(
                purpose=purpose,
                status=ConsentStatus(value.status),
                method=ConsentMethod(value.method),
                given_at=min(value.at or at, now),
                wording=value.wording,
                address=value.number,
                staff_name=value.staff_name,
                source=source,
            )
        try:
            ledger.add(client=client, statement=statement, now=now)
        except consent.BadConsent as exc:
            fallback = replace(statement, method=ConsentMethod.imported, note=f"as imported: {exc}")
            try:
                ledger.add(client=client, statement=fallback, now=now)
            except consent.BadConsent:
                continue  # consent to texts with no number to text: nothing to record


def upsert_policies(
    session: Session, *, items: Sequence[tuple[Client, PolicyIn]], now: datetime
) -> None:
    """Create or update the policies named by a batch of events."""
    keyed = [(c, p) for c, p in items if p.number]
    known = repository.policies_for(session, keys=[(c.id, p.number or "") for c, p in keyed])
    for client, facts in keyed:
        key = (client.id, facts.number or "")
        policy = known.get(key)
        if policy is None:
            policy = Policy(
                client_id=client.id, number=facts.number, status="active", updated_at=now
            )
            session.add(policy)
            known[key] = policy
        for name in (
            "line_of_business",
            "segment",
            "carrier",
            "premium",
            "commission",
            "effective_date",
        ):
            value = getattr(facts, name)
            if value is not None:
                setattr(policy, name, value)
        if facts.transaction:
            policy.last_transaction = facts.transaction
            if facts.transaction == "cancellation":
                policy.status = "cancelled"
            elif facts.transaction in ("new", "rewrite", "renewal", "reinstatement"):
                policy.status = "active"
        policy.updated_at = now


def issue_opened(
    session: Session, *, client_id: int, issue_id: str, kind: str, at: datetime
) -> ClientIssue:
    """Record an open issue; a repeat (or one reported after its resolution) keeps the
    earliest opening and any resolution already known."""
    issue = repository.client_issue(session, client_id=client_id, issue_id=issue_id)
    if issue is None:
        issue = ClientIssue(client_id=client_id, issue_id=issue_id, kind=kind, opened_at=at)
        session.add(issue)
    elif issue.opened_at is None or at < issue.opened_at:
        issue.opened_at = at
    session.flush()
    return issue


def issue_resolved(
    session: Session, *, client_id: int, issue_id: str, kind: str, at: datetime
) -> ClientIssue:
    """Record a resolution (events may arrive out of order: a resolution first is kept)."""
    issue = repository.client_issue(session, client_id=client_id, issue_id=issue_id)
    if issue is None:
        issue = ClientIssue(client_id=client_id, issue_id=issue_id, kind=kind, opened_at=None)
        session.add(issue)
    if issue.resolved_at is None or at > issue.resolved_at:
        issue.resolved_at = at
    session.flush()
    return issue


def open_issues(session: Session, *, client_id: int, at: datetime) -> list[ClientIssue]:
    return [i for i in repository.client_issues(session, client_id=client_id) if i.open_at(at)]


def complaint_received(client: Client, *, at: datetime) -> None:
    if client.last_complaint_at is None or at > client.last_complaint_at:
        client.last_complaint_at = at
