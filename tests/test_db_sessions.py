"""What every unit of work may rely on from referral_engine.db: SQLite writers of one
process take turns (no busy-handler sleeps between them), a flush of many new rows numbers
them itself, and what a transaction memoizes is dropped when it is changed or ends."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import event, select

from referral_engine.agency.service import load_settings, update_settings
from referral_engine.db import _WriteTurn, engine_for, memo, unit_of_work
from referral_engine.jobs import service as jobs
from referral_engine.jobs.models import Job
from tests.conftest import utc

NOW = utc(2026, 3, 2, 9, 0)


def test_a_sqlite_writer_waits_its_turn_in_this_process_and_goes_when_the_first_is_done(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    event.listen(
        engine_for(sqlite_url),
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: statements.append(statement),
    )
    # No timed waits (the suite also runs under a shifted clock): the second writer says
    # when it reaches the turn, and the test waits for that.
    reached = threading.Event()
    take = _WriteTurn.take

    def taking(turn: _WriteTurn, info: dict[str, object]) -> None:
        if threading.current_thread().name == "second-writer":
            reached.set()
        take(turn, info)

    monkeypatch.setattr(_WriteTurn, "take", taking)

    def second_writer() -> None:
        with unit_of_work(sqlite_url) as session:
            jobs.enqueue(session, kind="tests.second", key="second", run_at=NOW, payload={})

    thread = threading.Thread(target=second_writer, name="second-writer", daemon=True)
    with unit_of_work(sqlite_url) as session:
        jobs.enqueue(session, kind="tests.first", key="first", run_at=NOW, payload={})
        thread.start()
        assert reached.wait(30)
        # The second writer waits for this transaction's turn, not at SQLite's lock: it
        # has sent no BEGIN.
        assert statements.count("BEGIN IMMEDIATE") == 1
    thread.join()

    assert statements.count("BEGIN IMMEDIATE") == 2
    with unit_of_work(sqlite_url) as session:
        assert set(session.scalars(select(Job.dedupe_key))) >= {"first", "second"}


def test_new_rows_of_one_flush_are_numbered_in_order_and_written_in_one_statement(
    sqlite_url: str,
) -> None:
    inserts: list[str] = []
    event.listen(
        engine_for(sqlite_url),
        "before_cursor_execute",
        lambda _c, _cur, statement, *_a: (
            inserts.append(statement) if statement.startswith("INSERT INTO jobs") else None
        ),
    )
    with unit_of_work(sqlite_url) as session:
        rows = [
            Job(kind="tests.n", dedupe_key=f"n-{n}", run_at=NOW, payload={}, attempts=0)
            for n in range(5)
        ]
        session.add_all(rows)
        session.flush()
        ids = [row.id for row in rows]

    assert len(inserts) == 1
    assert ids == sorted(ids) and len(set(ids)) == 5
    with unit_of_work(sqlite_url) as session:
        keys = session.scalars(select(Job.dedupe_key).where(Job.id.in_(ids)).order_by(Job.id))
        assert list(keys) == [f"n-{n}" for n in range(5)]


def test_settings_read_once_per_transaction_are_read_again_after_a_change(
    db_url: str, tmp_path: Path
) -> None:
    with unit_of_work(db_url) as session:
        first = load_settings(session)
        assert load_settings(session) is first  # one read per transaction
        update_settings(session, changes={"timing": {"send_hour": 14}})
        assert load_settings(session).timing.send_hour == 14
    with unit_of_work(db_url) as session:
        assert load_settings(session).timing.send_hour == 14


def test_a_memo_is_dropped_when_its_transaction_rolls_back(db_url: str) -> None:
    made: list[int] = []

    with unit_of_work(db_url) as session:

        def make() -> int:
            session.scalars(select(Job.id).limit(1)).all()  # what is memoized is read
            made.append(1)
            return len(made)

        assert memo(session, "tests.value", make) == 1
        assert memo(session, "tests.value", make) == 1
        session.rollback()
        assert memo(session, "tests.value", make) == 2
