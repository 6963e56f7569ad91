"""Every query the contacts area makes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client, ClientIssue, Policy


def clients_matching(
    session: Session,
    *,
    external_ids: Iterable[str],
    emails: Iterable[str],
    mobiles: Iterable[str],
) -> list[Client]:
    """Every client with one of these external ids, emails or mobile numbers."""
    found: dict[int, Client] = {}
    for column, values in (
        (Client.external_id, set(external_ids)),
        (Client.email, set(emails)),
        (Client.mobile, set(mobiles)),
    ):
        values.discard(None)  # type: ignore[arg-type]
        for chunk in _chunks(sorted(values), 500):
            for client in session.scalars(select(Client).where(column.in_(chunk))):
                found[client.id] = client
    return list(found.values())


def policies_for(
    session: Session, *, keys: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], Policy]:
    keys = set(keys)
    numbers = sorted({number for _, number in keys})
    out: dict[tuple[int, str], Policy] = {}
    for chunk in _chunks(numbers, 500):
        for policy in session.scalars(select(Policy).where(Policy.number.in_(chunk))):
            if (policy.client_id, policy.number) in keys:
                out[(policy.client_id, policy.number)] = policy
    return out


def holders_of_policies(session: Session, *, numbers: Iterable[str]) -> dict[str, list[Client]]:
    """The clients holding each policy number (one query per 500 numbers)."""
    out: dict[str, list[Client]] = {}
    for chunk in _chunks(sorted(set(numbers)), 500):
        query = select(Policy.number, Client).join(Client, Client.id == Policy.client_id)
        for number, client in session.execute(query.where(Policy.number.in_(chunk))):
            holders = out.setdefault(number, [])
            if client not in holders:
                holders.append(client)
    return out


def client_by_external_id(session: Session, *, external_id: str) -> Client | None:
    return session.scalars(select(Client).where(Client.external_id == external_id)).first()


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def search_clients(
    session: Session, *, text: str, limit: int, offset: int = 0, producer_id: int | None = None
) -> list[Client]:
    """Clients matching every word of ``text``; only ``producer_id``'s when given."""
    query = select(Client)
    if producer_id is not None:
        query = query.where(Client.producer_id == producer_id)
    for word in text.split():
        pattern = f"%{word.lower()}%"
        query = query.where(
            func.lower(Client.first_name).like(pattern)
            | func.lower(Client.last_name).like(pattern)
            | func.lower(func.coalesce(Client.company, "")).like(pattern)
            | func.lower(func.coalesce(Client.email, "")).like(pattern)
            | func.coalesce(Client.mobile, "").like(pattern)
            | func.coalesce(Client.external_id, "").like(pattern)
        )
    query = query.order_by(Client.last_name, Client.first_name, Client.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def policies_of(session: Session, *, client_id: int) -> list[Policy]:
    return list(
        session.scalars(
            select(Policy).where(Policy.client_id == client_id).order_by(Policy.updated_at.desc())
        )
    )


def client_issue(session: Session, *, client_id: int, issue_id: str) -> ClientIssue | None:
    return session.scalars(
        select(ClientIssue).where(
            ClientIssue.client_id == client_id, ClientIssue.issue_id == issue_id
        )
    ).first()


def client_issues(session: Session, *, client_id: int) -> list[ClientIssue]:
    return list(
        session.scalars(
            select(ClientIssue).where(ClientIssue.client_id == client_id).order_by(ClientIssue.id)
        )
    )
