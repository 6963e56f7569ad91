"""The state changes subscribers receive, one function per event type, each called on
one line where the change happens (in that change's transaction).

Payloads are small: ids, the client's ``external_id``, statuses, rules and reasons,
channels and times, and a referral's prospect as the agency recorded them. Never the
text of a reply, a message body from or about a referred person, or a task's detail;
the one message body sent is an ask's own draft when it waits in the outbox
(``ask.outbox``), for an agency's own tool to send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.referrals.models import Referral
from referral_engine.replies.models import Reply
from referral_engine.tasks.models import Task
from referral_engine.users.models import User
from referral_engine.webhooks.service import emit, instant, wanted


def _external_id(session: Session, client_id: int | None) -> str | None:
    client = session.get(Client, client_id) if client_id is not None else None
    return client.external_id if client is not None else None


def _ask(session: Session, ask: Ask) -> dict[str, Any]:
    return {
        "ask_id": ask.id,
        "client_external_id": _external_id(session, ask.client_id),
        "trigger": ask.trigger,
        "status": str(ask.status),
        "channel": ask.channel,
    }


def ask_decided(session: Session, ask: Ask, *, now: datetime, by: str | None = None) -> None:
    """An ask got its decision, or a new one (a later fact, a review, a release):
    ``status`` with the rules behind it; ``decided_by`` the person, or null (the rules)."""
    if not wanted(session, "ask.decided"):
        return
    data = _ask(session, ask) | {
        "scheduled_for": instant(ask.scheduled_for),
        "expires_at": instant(ask.expires_at),
        "reasons": [{"rule": r.get("rule"), "detail": r.get("detail")} for r in ask.reasons],
        "decided_by": by,
    }
    emit(session, type="ask.decided", data=data, client_id=ask.client_id, now=now)


def ask_sent(session: Session, ask: Ask, *, now: datetime, by: str | None = None) -> None:
    """An ask went out: through its provider, or by hand (``sent_by`` the person)."""
    if not wanted(session, "ask.sent"):
        return
    data = _ask(session, ask) | {"sent_at": instant(ask.sent_at or now), "sent_by": by}
    emit(session, type="ask.sent", data=data, client_id=ask.client_id, now=now)


def ask_outbox(session: Session, ask: Ask, *, to: str, now: datetime) -> None:
    """An ask is due but its channel has no provider: the draft, for the agency's own
    tool to send (then ``POST /api/v1/asks/{id}/mark-sent``)."""
    if not wanted(session, "ask.outbox"):
        return
    data = _ask(session, ask) | {
        "to": to,
        "draft": {"subject": ask.draft_subject, "body": ask.draft_body},
    }
    emit(session, type="ask.outbox", data=data, client_id=ask.client_id, now=now)


def reply_received(session: Session, reply: Reply, *, now: datetime) -> None:
    """A reply came back and was read (never its text)."""
    if not wanted(session, "reply.received"):
        return
    data = {
        "reply_id": reply.id,
        "ask_id": reply.ask_id,
        "client_external_id": _external_id(session, reply.client_id),
        "channel": reply.channel,
        "kind": reply.kind,
        "received_at": instant(reply.received_at),
    }
    emit(session, type="reply.received", data=data, client_id=reply.client_id, now=now)


def _task(session: Session, task: Task) -> dict[str, Any]:
    assignee = session.get(User, task.assignee_id) if task.assignee_id else None
    return {
        "task_id": task.id,
        "kind": task.kind,
        "priority": task.priority,
        "title": task.title,
        "status": str(task.status),
        "assignee": assignee.email if assignee else None,
        "client_external_id": _external_id(session, _task_client(session, task)),
        "ask_id": task.ask_id,
        "reply_id": task.reply_id,
        "referral_id": task.referral_id,
        "due_at": instant(task.due_at),
    }


def _task_client(session: Session, task: Task) -> int | None:
    """The client a task is about: its own, else its referral's referrer (a referral's
    contact task goes in that client's order, after the referral)."""
    if task.client_id is not None or task.referral_id is None:
        return task.client_id
    referral = session.get(Referral, task.referral_id)
    return referral.referred_by_client_id if referral is not None else None


def task_created(session: Session, task: Task, *, now: datetime) -> None:
    if not wanted(session, "task.created"):
        return
    client_id = _task_client(session, task)
    emit(session, type="task.created", data=_task(session, task), client_id=client_id, now=now)


def task_done(session: Session, task: Task, *, now: datetime) -> None:
    if not wanted(session, "task.done"):
        return
    data = _task(session, task) | {"done_at": instant(task.done_at), "done_by": task.done_by}
    emit(session, type="task.done", data=data, client_id=_task_client(session, task), now=now)


def _referral(session: Session, referral: Referral) -> dict[str, Any]:
    return {
        "referral_id": referral.id,
        "status": str(referral.status),
        "captured_via": referral.captured_via,
        "needs_confirmation": referral.needs_confirmation,
        "referred_by": {
            "kind": referral.referred_by_kind,
            "external_id": referral.referred_by_external_id,
            "name": referral.referred_by_name,
        },
        "ask_id": referral.ask_id,
        "tags": list(referral.tags),
    }


def _prospect(referral: Referral) -> dict[str, Any]:
    return {
        "first_name": referral.first_name,
        "last_name": referral.last_name,
        "email": referral.email,
        "mobile": referral.mobile,
        "company": referral.company,
        "line_of_business": referral.line_of_business,
    }


def referral_created(session: Session, referral: Referral, *, now: datetime) -> None:
    """A referral was recorded (a draft from a reply has ``needs_confirmation`` true)."""
    if not wanted(session, "referral.created"):
        return
    data = _referral(session, referral) | {
        "prospect": _prospect(referral),
        "received_at": instant(referral.received_at),
    }
    client_id = referral.referred_by_client_id
    emit(session, type="referral.created", data=data, client_id=client_id, now=now)


def referral_confirmed(session: Session, referral: Referral, *, now: datetime) -> None:
    """A referral drafted from a reply was confirmed (by a person, or by the prospect's
    bind): it counts as received now."""
    if not wanted(session, "referral.confirmed"):
        return
    data = _referral(session, referral) | {
        "prospect": _prospect(referral),
        "received_at": instant(referral.received_at),
    }
    client_id = referral.referred_by_client_id
    emit(session, type="referral.confirmed", data=data, client_id=client_id, now=now)


def referral_status_changed(
    session: Session, referral: Referral, *, previous: str, now: datetime
) -> None:
    """A referral moved (contacted, quoting, converted, not converted with a reason)."""
    if not wanted(session, "referral.status_changed"):
        return
    data = _referral(session, referral) | {
        "previous_status": str(previous),
        "reason": referral.reason,
        "policy_number": referral.converted_policy_number,
        "line_of_business": referral.converted_line_of_business,
        "premium": referral.converted_premium,
        "commission": referral.converted_commission,
    }
    client_id = referral.referred_by_client_id
    emit(session, type="referral.status_changed", data=data, client_id=client_id, now=now)
