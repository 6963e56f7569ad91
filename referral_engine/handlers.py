"""Every area's due-work handlers, registered with the worker by importing this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from referral_engine.events.service import PROCESS_EVENT
from referral_engine.jobs.registry import handles


def _prepare_events(session: Session, payloads: list[dict[str, Any]]) -> None:
    from referral_engine.decisions.service import prepare_events

    prepare_events(session, event_ids=[int(p["event_id"]) for p in payloads])


@handles(PROCESS_EVENT, prepare=_prepare_events)
def process_event(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.decisions.service import on_event

    return on_event(session, event_id=int(payload["event_id"]), now=now)


@handles("asks.expire_ask")
def expire_ask(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.decisions.service import expire_ask as expire

    return expire(session, ask_id=int(payload["ask_id"]), now=now)


@handles("tasks.escalate_task")
def escalate_task(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.tasks.service import escalate

    return escalate(session, task_id=int(payload["task_id"]), now=now)


@handles("referrals.recognize_quarter")
def recognize_quarter(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.referrals.recognition import Quarter, run

    quarter = Quarter.parse(str(payload["quarter"]))
    run(session, quarter=quarter, now=now)
    return f"recognition:{quarter}"


@handles("referrals.check_in_partner")
def check_in_partner(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.referrals.recognition import check_in_partner as check_in

    task = check_in(
        session,
        partner_id=int(payload["partner_id"]),
        quarter=str(payload["quarter"]),
        number=int(payload["number"]),
        now=now,
    )
    return "check_in:task" if task is not None else None


@handles("reports.send_digest")
def send_digest(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.reports.digest import NoPrincipal, queue_digest

    try:
        queue_digest(session, week=str(payload["week"]), now=now)
    except NoPrincipal:
        return "digest:no_principal"
    return "digest:queued"


@handles("notifications.review_round")
def review_round(session: Session, payload: dict[str, Any], now: datetime) -> str | None:
    from referral_engine.notifications.reviews import review_round as run

    done = run(session, now=now)
    return "review_round:notified" if done else None
