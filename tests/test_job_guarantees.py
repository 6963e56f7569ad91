"""The job queue keeps what docs/operations.md promises ("Due work and the worker" and "What
is guaranteed when a process dies"): a failing job runs again after 2^attempts minutes and
is given up on its 5th attempt; every claim counts one attempt; a lease holds for 5 minutes
of the claiming worker's `now`; a job's effects and its done mark commit together; and two
workers on PostgreSQL never take the same job.

The handlers here are the test's own, registered for the test only. Every step passes its
`now` to the worker, so nothing depends on the day the suite runs and nothing sleeps.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.orm import Session

from referral_engine import worker
from referral_engine.db import normalize_url, unit_of_work
from referral_engine.jobs import service as jobs
from referral_engine.jobs.models import Job
from tests.conftest import utc

NOW = utc(2026, 3, 2, 9, 0)
LEASE = timedelta(minutes=5)
JUST = timedelta(microseconds=1)
NEVER = utc(2100, 1, 1)  # the effects' own run_at: the worker never reaches them

FAILS = "tests.always_fail"
SUCCEEDS = "tests.write_effect"
WRITES_THEN_FAILS = "tests.write_effect_then_fail"
WRITES_THEN_IS_KILLED = "tests.write_effect_then_be_killed"
NOT_YET_THEN_FAILS = "tests.not_yet_then_fail"


class Killed(BaseException):
    """The worker process dying (Ctrl-C, SIGTERM) while a job is in its hands."""


def write_effect(session: Session, payload: dict[str, Any]) -> None:
    """A handler's effect: a row in the handler's transaction, findable by its key."""
    jobs.enqueue(
        session, kind="tests.effect", key=f"effect:{payload['name']}", run_at=NEVER, payload={}
    )


@pytest.fixture(autouse=True)
def _only_the_tests_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass here runs this file's jobs alone: the worker's recurring work (the hourly
    review round) would share their chunk and run them twice on a failure."""
    monkeypatch.setattr(worker, "_schedule_rounds", lambda url, now: None)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, datetime]]:
    """Registers this file's handlers for the test; lists every call as (kind, now)."""
    calls: list[tuple[str, datetime]] = []

    def handler(kind: str, act: Callable[[Session, dict[str, Any], datetime], None]) -> None:
        def run(session: Session, payload: dict[str, Any], now: datetime) -> str:
            calls.append((kind, now))
            act(session, payload, now)
            return "done"

        monkeypatch.setitem(worker.HANDLERS, kind, run)

    def fail(session: Session, payload: dict[str, Any], now: datetime) -> None:
        raise RuntimeError("the provider said no")

    def succeed(session: Session, payload: dict[str, Any], now: datetime) -> None:
        write_effect(session, payload)

    def write_then_fail(session: Session, payload: dict[str, Any], now: datetime) -> None:
        write_effect(session, payload)
        raise RuntimeError("failed after writing")

    def write_then_be_killed(session: Session, payload: dict[str, Any], now: datetime) -> None:
        write_effect(session, payload)
        raise Killed

    def not_yet_then_fail(session: Session, payload: dict[str, Any], now: datetime) -> None:
        if now < datetime.fromisoformat(payload["ready_at"]):
            raise worker.RetryLater(now + timedelta(hours=1), "not yet")
        raise RuntimeError("ready, and failing")

    handler(FAILS, fail)
    handler(SUCCEEDS, succeed)
    handler(WRITES_THEN_FAILS, write_then_fail)
    handler(WRITES_THEN_IS_KILLED, write_then_be_killed)
    handler(NOT_YET_THEN_FAILS, not_yet_then_fail)
    return calls


def work(url: str, *, now: datetime) -> worker.TickReport:
    """One worker pass at ``now``, as `referral tick --now` runs it. A few batches at most:
    a job that keeps coming due within the pass fails the test instead of spinning."""
    return worker.run_due(url, now=now, max_batches=3)


def add_job(
    url: str,
    kind: str,
    *,
    run_at: datetime = NOW,
    name: str = "job-1",
    attempts: int = 0,
    payload: dict[str, Any] | None = None,
) -> int:
    """Enqueue due work as a cause would; ``attempts`` sets how many claims it has had."""
    with unit_of_work(url) as session:
        jobs.enqueue(
            session, kind=kind, key=name, run_at=run_at, payload={"name": name, **(payload or {})}
        )
        job_id = session.scalars(select(Job.id).where(Job.dedupe_key == name)).one()
        session.execute(update(Job).where(Job.id == job_id).values(attempts=attempts))
    return job_id


def job_row(url: str, job_id: int) -> Job:
    with unit_of_work(url) as session:
        job = session.get(Job, job_id)
        assert job is not None, "the job row is gone"
        session.expunge(job)
        return job


def state(url: str, job_id: int) -> tuple[int, datetime, datetime | None, datetime | None]:
    """(attempts, run_at, locked_until, done_at) of a job."""
    job = job_row(url, job_id)
    return job.attempts, job.run_at, job.locked_until, job.done_at


def effect_exists(url: str, name: str = "job-1") -> bool:
    with unit_of_work(url) as session:
        key = f"effect:{name}"
        return session.scalars(select(Job.id).where(Job.dedupe_key == key)).first() is not None


# Retry and give-up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "backoff"),
    [
        (1, timedelta(minutes=2)),
        (2, timedelta(minutes=4)),
        (3, timedelta(minutes=8)),
        (4, timedelta(minutes=16)),
    ],
)
def test_a_job_failing_on_attempts_one_to_four_is_due_again_after_two_to_the_attempt_minutes(
    db_url: str, ran: list[tuple[str, datetime]], attempt: int, backoff: timedelta
) -> None:
    job_id = add_job(db_url, FAILS, attempts=attempt - 1)

    report = work(db_url, now=NOW)

    assert ran == [(FAILS, NOW)]
    assert (report.failed, report.retried) == (1, 0)
    job = job_row(db_url, job_id)
    assert (job.attempts, job.run_at, job.locked_until, job.done_at) == (
        attempt,
        NOW + backoff,
        None,
        None,
    )
    assert job.last_error is not None and "the provider said no" in job.last_error


def test_a_job_failing_on_its_fifth_attempt_is_given_up_and_never_claimed_again(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, FAILS, attempts=4)

    work(db_url, now=NOW)

    job = job_row(db_url, job_id)
    assert (job.attempts, job.locked_until, job.done_at) == (5, None, NOW)
    assert job.last_error is not None and "the provider said no" in job.last_error
    work(db_url, now=NOW + timedelta(days=30))
    assert ran == [(FAILS, NOW)]
    assert state(db_url, job_id) == (5, NOW, None, NOW)


def test_a_job_that_always_fails_runs_five_times_at_the_backoff_instants_then_stops(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, FAILS)
    runs = [NOW]
    for minutes in (2, 4, 8, 16):
        runs.append(runs[-1] + timedelta(minutes=minutes))

    for attempt, (at, next_at) in enumerate(zip(runs, [*runs[1:], None], strict=True), 1):
        work(db_url, now=at - JUST)
        assert len(ran) == attempt - 1, f"attempt {attempt} ran before it was due"
        work(db_url, now=at)
        assert ran[-1] == (FAILS, at)
        if next_at is not None:
            assert state(db_url, job_id) == (attempt, next_at, None, None)
        else:
            assert state(db_url, job_id) == (5, at, None, at)

    work(db_url, now=runs[-1] + timedelta(days=365))
    assert [at for _, at in ran] == runs


# Attempts ------------------------------------------------------------------------------


def test_a_successful_run_counts_one_attempt_and_marks_the_job_done(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, SUCCEEDS)

    report = work(db_url, now=NOW)

    assert report.ran[SUCCEEDS] == 1
    assert state(db_url, job_id) == (1, NOW, None, NOW)
    work(db_url, now=NOW + timedelta(days=1))
    assert ran == [(SUCCEEDS, NOW)]


@pytest.mark.parametrize("attempts_before", [0, 1, 3, 7])
def test_each_claim_adds_exactly_one_attempt(db_url: str, attempts_before: int) -> None:
    job_id = add_job(db_url, FAILS, attempts=attempts_before)

    with unit_of_work(db_url) as session:
        [claimed] = jobs.claim_due(session, now=NOW)

    assert claimed.attempts == attempts_before + 1
    assert job_row(db_url, job_id).attempts == attempts_before + 1


def test_not_yet_counts_its_claim_toward_the_five_attempts(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    ready_at = NOW + timedelta(hours=4)
    job_id = add_job(db_url, NOT_YET_THEN_FAILS, payload={"ready_at": ready_at.isoformat()})

    for hour in range(4):
        at = NOW + timedelta(hours=hour)
        report = work(db_url, now=at)
        assert (report.failed, report.retried) == (0, 1)
        assert state(db_url, job_id) == (hour + 1, at + timedelta(hours=1), None, None)

    report = work(db_url, now=ready_at)

    assert report.failed == 1
    assert state(db_url, job_id) == (5, ready_at, None, ready_at)
    assert len(ran) == 5


# Leases --------------------------------------------------------------------------------


def test_a_job_claimed_by_a_worker_that_died_waits_out_its_lease_then_runs(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, SUCCEEDS)
    with unit_of_work(db_url) as session:  # a worker claims, commits, and dies
        assert [j.id for j in jobs.claim_due(session, now=NOW)] == [job_id]
    assert state(db_url, job_id) == (1, NOW, NOW + LEASE, None)

    work(db_url, now=NOW + LEASE - JUST)
    assert ran == []
    assert state(db_url, job_id) == (1, NOW, NOW + LEASE, None)

    work(db_url, now=NOW + LEASE)
    assert ran == [(SUCCEEDS, NOW + LEASE)]
    assert state(db_url, job_id) == (2, NOW, None, NOW + LEASE)


@pytest.mark.parametrize("claimed_at", [utc(2001, 1, 1, 12), utc(2091, 6, 30, 23, 58)])
def test_a_lease_lasts_five_minutes_of_the_claiming_workers_now_not_of_the_wall_clock(
    db_url: str, claimed_at: datetime
) -> None:
    job_id = add_job(db_url, SUCCEEDS, run_at=utc(2000, 1, 1))

    with unit_of_work(db_url) as session:
        jobs.claim_due(session, now=claimed_at)
    with unit_of_work(db_url) as session:
        still_leased = jobs.claim_due(session, now=claimed_at + LEASE - JUST)
    with unit_of_work(db_url) as session:
        lease_over = jobs.claim_due(session, now=claimed_at + LEASE)

    assert (still_leased, [j.id for j in lease_over]) == ([], [job_id])
    assert job_row(db_url, job_id).locked_until == claimed_at + 2 * LEASE


# A job's effects and its done mark -----------------------------------------------------


def test_a_worker_killed_mid_job_leaves_no_effects_and_the_job_leased_and_not_done(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, WRITES_THEN_IS_KILLED)

    with pytest.raises(Killed):
        work(db_url, now=NOW)

    assert not effect_exists(db_url)
    assert state(db_url, job_id) == (1, NOW, NOW + LEASE, None)
    work(db_url, now=NOW + LEASE - JUST)
    assert len(ran) == 1


def test_a_worker_killed_at_the_done_mark_leaves_no_effects_and_the_job_not_done(
    db_url: str, ran: list[tuple[str, datetime]], monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = add_job(db_url, SUCCEEDS)

    def killed(session: Session, *, job_id: int, now: datetime) -> None:
        session.flush()  # the effects are on their way to the database when it dies
        raise Killed

    monkeypatch.setattr(jobs, "finish", killed)
    with pytest.raises(Killed):
        work(db_url, now=NOW)

    assert ran == [(SUCCEEDS, NOW)]
    assert not effect_exists(db_url)
    assert state(db_url, job_id) == (1, NOW, NOW + LEASE, None)


def test_a_jobs_effects_and_done_mark_commit_together(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, SUCCEEDS)

    work(db_url, now=NOW)

    assert effect_exists(db_url)
    assert job_row(db_url, job_id).done_at == NOW


def test_a_failing_job_leaves_none_of_its_effects(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    job_id = add_job(db_url, WRITES_THEN_FAILS)

    work(db_url, now=NOW)

    assert not effect_exists(db_url)
    assert state(db_url, job_id) == (1, NOW + timedelta(minutes=2), None, None)


# Two workers on PostgreSQL -------------------------------------------------------------
# PostgreSQL only: SQLite serializes workers with its write lock, PostgreSQL relies on the
# claim's FOR UPDATE SKIP LOCKED. Each worker has its own engine, hence its own connection.


@pytest.fixture
def workers(pg_database: str) -> Iterator[tuple[Session, Session]]:
    """Two workers' sessions on the PostgreSQL test database, each with its own engine.

    A lock wait longer than 10 s raises, so a claim that waits for the other worker's
    rows instead of skipping them fails the test instead of hanging it.
    """
    with unit_of_work(pg_database) as session:
        session.execute(delete(Job))
    engines = [
        create_engine(
            normalize_url(pg_database),
            pool_size=1,
            connect_args={"options": "-c lock_timeout=10000"},
        )
        for _ in range(2)
    ]
    sessions = [Session(engine, autoflush=False, expire_on_commit=False) for engine in engines]
    yield sessions[0], sessions[1]
    for session, engine in zip(sessions, engines, strict=True):
        session.close()
        engine.dispose()


def add_due_jobs(url: str, count: int) -> set[int]:
    with unit_of_work(url) as session:
        jobs.enqueue_many(
            session,
            [
                {"kind": FAILS, "dedupe_key": f"job-{n}", "run_at": NOW, "payload": {}}
                for n in range(count)
            ],
        )
        return set(session.scalars(select(Job.id)))


def in_threads(*bodies: Callable[[], None], timeout: float = 30) -> list[BaseException]:
    """Run each callable in its own thread; returns what they raised."""
    errors: list[BaseException] = []

    def guarded(run: Callable[[], None]) -> None:
        try:
            run()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(run,), daemon=True) for run in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker is still blocked"
    return errors


def test_on_postgresql_two_workers_claiming_at_the_same_moment_skip_each_others_rows(
    pg_database: str, workers: tuple[Session, Session]
) -> None:
    add_due_jobs(pg_database, 200)
    both_hold_a_claim = threading.Barrier(2, timeout=5)
    batches: list[list[int]] = [[], []]

    def claim_and_hold(n: int) -> Callable[[], None]:
        def run() -> None:
            session = workers[n]
            with session.begin():
                batches[n] = [j.id for j in jobs.claim_due(session, now=NOW, limit=50)]
                # The claim stays uncommitted until the other worker has claimed too.
                both_hold_a_claim.wait()

        return run

    errors = in_threads(claim_and_hold(0), claim_and_hold(1))

    assert errors == [], "a worker waited for the other's rows instead of skipping them"
    assert [len(batch) for batch in batches] == [50, 50]
    assert set(batches[0]).isdisjoint(batches[1])


def test_on_postgresql_two_workers_claiming_in_lockstep_take_every_job_exactly_once(
    pg_database: str, workers: tuple[Session, Session]
) -> None:
    all_jobs = add_due_jobs(pg_database, 200)
    rounds = 15  # 2 workers x 15 rounds x 10 jobs: room for all 200 however they split
    round_start = threading.Barrier(2, timeout=10)
    claimed: Counter[int] = Counter()
    lock = threading.Lock()

    def claim_rounds(session: Session) -> Callable[[], None]:
        def run() -> None:
            for _ in range(rounds):
                round_start.wait()
                with session.begin():
                    batch = jobs.claim_due(session, now=NOW, limit=10)
                with lock:
                    claimed.update(j.id for j in batch)

        return run

    errors = in_threads(claim_rounds(workers[0]), claim_rounds(workers[1]))

    assert errors == []
    twice = sorted(job_id for job_id, times in claimed.items() if times > 1)
    assert twice == [], f"{len(twice)} jobs were claimed by both workers"
    assert set(claimed) == all_jobs


# Chunks: many jobs in one transaction -------------------------------------------------


def test_jobs_run_together_commit_together_and_a_failing_one_fails_alone(
    db_url: str, ran: list[tuple[str, datetime]]
) -> None:
    done = [add_job(db_url, SUCCEEDS, name=f"job-{n}") for n in (1, 2)]
    failing = add_job(db_url, WRITES_THEN_FAILS, name="job-3")

    report = work(db_url, now=NOW)

    assert effect_exists(db_url, "job-1") and effect_exists(db_url, "job-2")
    assert not effect_exists(db_url, "job-3")
    assert [job_row(db_url, job_id).done_at for job_id in done] == [NOW, NOW]
    assert state(db_url, failing) == (1, NOW + timedelta(minutes=2), None, None)
    assert report.ran[SUCCEEDS] == 2 and report.failed == 1
    # The chunk was tried whole, rolled back, then each job ran alone: the two good jobs
    # ran twice, their effects are there once (a handler is safe to run twice).
    assert Counter(kind for kind, _ in ran) == {SUCCEEDS: 4, WRITES_THEN_FAILS: 2}


def test_a_kinds_preparer_reads_once_for_all_its_jobs_in_the_chunks_transaction(
    db_url: str, ran: list[tuple[str, datetime]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared: list[list[str]] = []

    def prepare(session: Session, payloads: list[dict[str, Any]]) -> None:
        prepared.append(sorted(p["name"] for p in payloads))

    monkeypatch.setitem(worker.PREPARERS, SUCCEEDS, prepare)
    for n in range(1, 6):
        add_job(db_url, SUCCEEDS, name=f"job-{n}")

    worker.run_due(db_url, now=NOW, chunk=3, max_batches=3)

    assert prepared == [["job-1", "job-2", "job-3"], ["job-4", "job-5"]]
    assert all(effect_exists(db_url, f"job-{n}") for n in range(1, 6))
