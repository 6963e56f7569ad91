"""The task list's query: one page of tasks with their clients, and the count."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from referral_engine.contacts.models import Client
from referral_engine.referrals.models import Referral
from referral_engine.search import Search, matching, ordered, page_of
from referral_engine.tasks.models import Task, TaskStatus

TASK_SORTS = {
    "due": (Task.due_at,),
    "created": (Task.created_at,),
    "title": (Task.title,),
    "kind": (Task.kind,),
}


def page(
    session: Session,
    *,
    search: Search,
    status: TaskStatus | None = TaskStatus.open,
    person_id: int | None = None,
    hot_only: bool = False,
    sort: str = "due",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[tuple[Task, Client | None]], int]:
    """One page of tasks (with the client each is about) and how many match. Search: the
    title and detail, the client's name, email or mobile (any format), and for a
    referral's task the referred person's and the referring client's email or mobile.
    ``person_id``: the tasks assigned or escalated to that person."""
    referrer = aliased(Client)
    query = (
        select(Task, Client)
        .outerjoin(Client, Client.id == Task.client_id)
        .outerjoin(Referral, Referral.id == Task.referral_id)
        .outerjoin(referrer, referrer.id == Referral.referred_by_client_id)
    )
    query = query.where(
        matching(
            search,
            text=[
                Task.title,
                Task.detail,
                Client.first_name,
                Client.last_name,
                Client.email,
                Referral.email,
                referrer.email,
            ],
            phones=[Client.mobile, Referral.mobile, referrer.mobile],
        )
    )
    if status is not None:
        query = query.where(Task.status == status)
    if person_id is not None:
        query = query.where(or_(Task.assignee_id == person_id, Task.escalated_to_id == person_id))
    if hot_only:
        query = query.where(Task.priority == "hot")
    order = [ordered(c, descending) for c in TASK_SORTS[sort]]
    query = query.order_by(*order, Task.id.desc() if descending else Task.id)
    return page_of(session, query, key=Task.id, limit=limit, offset=offset)
