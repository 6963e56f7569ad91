"""What the simulated agency's people do each day in `referral demo`.

Producers work their review queue through the same use cases as the web app and the
API: most pending asks are approved (a few with edited wording), some deferred to a
better day, a few declined with a reason, and some left until their warmth runs out.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from referral_engine.asks import repository as asks_repository
from referral_engine.asks import review
from referral_engine.asks import service as asks
from referral_engine.asks.models import AskStatus
from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import User

TIMING_RULES = ("bind_delay", "delay", "send_hour")
DECLINE_REASONS = (
    "Client is in the middle of a claim dispute with the carrier",
    "Already asked this client in person at the closing",
    "Relationship is new and fragile; will ask at renewal",
)


def work_review_queue(
    url: str, *, day: date, zone: ZoneInfo, rng: random.Random, principal: str
) -> Counter[str]:
    """Each producer reviews the asks that waited since an earlier day, mid-morning."""
    now = datetime.combine(day, time(11), zone)
    done: Counter[str] = Counter()
    if day.weekday() >= 5:
        return done
    with unit_of_work(url) as session:
        admin = users.find_by_email(session, email=principal)
        waiting = [
            ask
            for ask, _ in asks_repository.listing(session, status=AskStatus.pending_review)
            if ask.created_at < now - timedelta(hours=12)
        ]
        for ask in waiting:
            reviewer = session.get(User, ask.producer_id) if ask.producer_id else admin
            if reviewer is None:
                continue
            roll = rng.random()
            try:
                if roll < 0.55:
                    review.approve_ask(session, ask_id=ask.id, user=reviewer, now=now)
                    done["approved"] += 1
                elif roll < 0.65:
                    body = ask.draft_body.replace("Just reply", "Reply anytime", 1)
                    review.approve_ask(
                        session,
                        ask_id=ask.id,
                        user=reviewer,
                        now=now,
                        subject=ask.draft_subject,
                        body=body,
                    )
                    done["approved with edits"] += 1
                elif roll < 0.8:
                    until = datetime.combine(day + timedelta(days=2), time(14), zone)
                    review.defer_ask(session, ask_id=ask.id, user=reviewer, until=until, now=now)
                    done["deferred"] += 1
                elif roll < 0.9:
                    reason = rng.choice(DECLINE_REASONS)
                    review.decline_ask(
                        session, ask_id=ask.id, user=reviewer, reason=reason, now=now
                    )
                    done["declined"] += 1
                else:
                    done["put off to another day"] += 1
            except (asks.ReviewRefused, asks.DraftRefused):
                done["refused"] += 1
    return done


def ask_outcomes(session: Session) -> dict[str, Any]:
    """Asks by status, the rules behind each status, and one explained example each."""
    by_status: dict[str, dict[str, Any]] = {}
    for ask, client in asks_repository.listing(session, limit=100_000):
        status = str(ask.status)
        entry = by_status.setdefault(status, {"count": 0, "rules": Counter(), "example": None})
        entry["count"] += 1
        deciding = [r for r in ask.reasons if r["rule"] not in TIMING_RULES]
        for reason in deciding:
            entry["rules"][reason["rule"]] += 1
        if entry["example"] is None and deciding:
            last = deciding[-1]
            entry["example"] = f"{client.display_name}: {last['rule']} — {last['detail']}"
    return by_status


def print_asks(console: Console, asks: dict[str, Any], reviewed: dict[str, int]) -> None:
    table = Table(title="Asks, and why", title_justify="left")
    for column in ("Status", "Asks", "Rules that decided them", "For example"):
        table.add_column(column, justify="right" if column == "Asks" else "left")
    for status in AskStatus:
        entry = asks.get(status.value)
        if not entry:
            continue
        rules = ", ".join(f"{rule} {n}" for rule, n in entry["rules"].most_common())
        table.add_row(status.value, str(entry["count"]), rules, entry["example"] or "")
    console.print(table)
    if reviewed:
        done = ", ".join(f"{n} {what}" for what, n in sorted(reviewed.items()))
        waiting = asks.get("pending_review", {}).get("count", 0)
        console.print(
            f"Producers worked the review queue: {done}; {waiting} "
            f"ask{'' if waiting == 1 else 's'} wait in their queues now."
        )


def work_tasks(
    url: str, *, day: date, at: time, zone: ZoneInfo, rng: random.Random
) -> Counter[str]:
    """Twice a day people work their open tasks: most get done the same day (a
    referral's contact task done moves the referral to contacted, as on the Tasks page)."""
    from sqlalchemy import select

    from referral_engine.referrals import service as referrals
    from referral_engine.tasks import service as tasks
    from referral_engine.tasks.models import Task, TaskStatus

    now = datetime.combine(day, at, zone)
    done: Counter[str] = Counter()
    if day.weekday() >= 5:
        return done
    with unit_of_work(url) as session:
        open_tasks = session.scalars(
            select(Task).where(Task.status == TaskStatus.open, Task.created_at <= now)
        ).all()
        for task in open_tasks:
            worker = session.get(User, task.assignee_id) if task.assignee_id else None
            if worker is not None and rng.random() < 0.8:
                tasks.complete(session, task_id=task.id, user=worker, now=now)
                referrals.contact_task_done(session, task=task, user=worker, now=now)
                done["done"] += 1
    return done


def reply_outcomes(session: Session) -> dict[str, Any]:
    from sqlalchemy import func, select

    from referral_engine.replies.models import Reply
    from referral_engine.tasks.models import Task

    kinds = dict(session.execute(select(Reply.kind, func.count()).group_by(Reply.kind)).all())
    escalated = session.scalar(
        select(func.count()).select_from(Task).where(Task.escalated_at.is_not(None))
    )
    example = session.scalars(select(Reply).where(Reply.kind == "hot").limit(1)).first()
    return {
        "kinds": {str(k): int(v) for k, v in kinds.items()},
        "escalated": int(escalated or 0),
        "example": f"“{example.text}” — {example.why}" if example else "",
    }


def print_replies(console: Console, replies: dict[str, Any], tasks: dict[str, int]) -> None:
    kinds = replies.get("kinds", {})
    if not kinds:
        return
    read = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(kinds.items()))
    console.print(f"Replies came back and were read: {read}.")
    if replies.get("example"):
        console.print(f"  For example {replies['example']}", highlight=False)
    console.print(
        f"Tasks: {tasks.get('done', 0)} worked by the team; "
        f"{replies.get('escalated', 0)} escalated to the principal when overdue."
    )


def staff_workload(url: str, staff: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each staff member's sign-in and the work waiting in their own queues: asks for
    them to review (a manager also gets asks without a producer) and their open tasks."""
    from sqlalchemy import func, select

    from referral_engine.asks.models import Ask
    from referral_engine.tasks.models import Task, TaskStatus
    from referral_engine.users.models import manages

    rows: list[dict[str, Any]] = []
    with unit_of_work(url) as session:
        waiting = dict(
            session.execute(
                select(Ask.producer_id, func.count())
                .where(Ask.status == AskStatus.pending_review)
                .group_by(Ask.producer_id)
            ).all()
        )
        open_tasks = dict(
            session.execute(
                select(Task.assignee_id, func.count())
                .where(Task.status == TaskStatus.open)
                .group_by(Task.assignee_id)
            ).all()
        )
        for email, password in staff:
            user = users.find_by_email(session, email=email)
            if user is None:
                continue
            review = int(waiting.get(user.id, 0))
            if manages(user):
                review += int(waiting.get(None, 0))
            rows.append(
                {
                    "email": user.email,
                    "name": user.name,
                    "role": str(user.role),
                    "password": password,
                    "to_review": review,
                    "open_tasks": int(open_tasks.get(user.id, 0)),
                }
            )
    return rows


def print_sign_ins(console: Console, staff: list[dict[str, Any]]) -> None:
    """Who can sign in, with which password, and what waits for them there."""
    table = Table(title="Sign in as anyone on the team", title_justify="left")
    for column in ("Email", "Password", "Role", "Review", "Tasks"):
        table.add_column(column, no_wrap=True, justify="right" if column[0] in "RT" else "left")
    table.columns[2].justify = "left"
    for person in staff:
        table.add_row(
            person["email"],
            person["password"],
            person["role"],
            str(person["to_review"]),
            str(person["open_tasks"]),
        )
    console.print(table)
    console.print("Review: asks waiting for their approval; Tasks: their open tasks.")
