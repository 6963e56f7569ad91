"""Every area's due-work handlers, registered with the worker by importing this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from referral_engine.events.service import PROCESS_EVENT
from referral_engine.worker import handles


@handles(PROCESS_EVENT)
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
