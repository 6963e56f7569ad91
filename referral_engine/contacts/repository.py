"""Every query the contacts area makes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, exists, func, select, union
from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client, ClientIssue, Policy
from referral_engine.search import Search, matching, ordered, page_of


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


CLIENT_SORTS = {
    "name": (Client.last_name, Client.first_name),
    "company": (Client.company,),
    "email": (Client.email,),
    "since": (Client.client_since,),
    "added": (Client.created_at,),
}


SEARCHED = (Client.first_name, Client.last_name, Client.company, Client.email, Client.external_id)
"""What a search of clients reads, besides the mobile (any format) and policy numbers."""


def search_clients(
    session: Session,
    *,
    search: Search,
    limit: int,
    offset: int = 0,
    producer_id: int | None = None,
    sort: str = "name",
    descending: bool = False,
) -> tuple[list[Client], int]:
    """One page of clients matching ``search`` (name, company, email, id, a policy number
    they hold, the mobile in any format) and how many match; ``producer_id``'s only when
    given."""
    query = select(Client)
    if producer_id is not None:
        query = query.where(Client.producer_id == producer_id)
    query = query.where(
        matching(search, text=SEARCHED, phones=[Client.mobile], also=[_holds_policy])
    )
    order = [ordered(c, descending) for c in CLIENT_SORTS[sort]]
    query = query.order_by(*order, Client.id.desc() if descending else Client.id)
    found, total = page_of(session, query, key=Client.id, limit=limit, offset=offset)
    return [client for (client,) in found], total


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


def ids_found(term: Search) -> Select[Any] | CompoundSelect:
    """The ids of the clients one search term finds (see :func:`search_clients`), as a
    query of their own: the clients matching it, with those holding such a policy."""
    by_client = select(Client.id).where(matching(term, text=SEARCHED, phones=[Client.mobile]))
    if not term.words:
        return by_client
    number = func.lower(Policy.number).contains(term.words[0], autoescape=True)
    return union(by_client, select(Policy.client_id).where(number))


def _holds_policy(word: str) -> ColumnElement[bool]:
    """The client holds a policy whose number contains ``word``."""
    number = func.lower(Policy.number).contains(word, autoescape=True)
    return exists().where(Policy.client_id == Client.id, number)
