"""Due work: enqueue in the caller's transaction, claim safely, finish or retry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from referral_engine.jobs.models import Job

LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class DueJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


def enqueue(
    session: Session, *, kind: str, key: str, run_at: datetime, payload: dict[str, Any]
) -> None:
    """Add due work unless work with the same key exists (then nothing changes)."""
    enqueue_many(session, [{"kind": kind, "dedupe_key": key, "run_at": run_at, "payload": payload}])


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = [{"attempts": 0, **row} for row in rows]
    session.connection().execute(
        insert(Job).on_conflict_do_nothing(index_elements=["dedupe_key"]), values
    )


def claim_due(session: Session, *, now: datetime, limit: int = 50) -> list[DueJob]:
    """Lease up to ``limit`` due jobs to this worker.

    On PostgreSQL rows are taken with ``FOR UPDATE SKIP LOCKED`` so several workers
    never take the same job; on SQLite the write transaction (BEGIN IMMEDIATE) already
    serializes workers. The lease is committed by the caller before any job runs; a
    worker that dies leaves the lease to run out, after which another worker retries.
    """
    query = (
        select(Job)
        .where(
            Job.done_at.is_(None),
            Job.run_at <= now,
            or_(Job.locked_until.is_(None), Job.locked_until <= now),
        )
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.scalars(query))
    for job in jobs:
        job.locked_until = now + LEASE
        job.attempts += 1
    session.flush()
    return [
        DueJob(id=j.id, kind=j.kind, payload=dict(j.payload), attempts=j.attempts) for j in jobs
    ]


def finish(session: Session, *, job_id: int, now: datetime) -> None:
    job = session.get(Job, job_id)
    if job is not None:
        job.done_at = now
        job.locked_until = None
        job.last_error = None


def finish_many(session: Session, *, job_ids: Sequence[int], now: datetime) -> None:
    """Mark jobs done in one statement (a chunk the worker ran in one transaction)."""
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids))
        .values(done_at=now, locked_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )


def retry_later(session: Session, *, job_id: int, run_at: datetime, error: str) -> None:
    job = session.get(Job, job_id)
    if job is not None:
        job.run_at = run_at
        job.locked_until = None
        job.last_error = error[:2000]


def give_up(session: Session, *, job_id: int, now: datetime, error: str) -> None:
    job = session.get(Job, job_id)
    if job is not None:
        job.done_at = now
        job.locked_until = None
        job.last_error = error[:2000]


def pending_count(session: Session) -> int:
    return len(list(session.scalars(select(Job.id).where(Job.done_at.is_(None)))))
