"""`referral demo`: the simulated agency runs through the real ingest path and due work."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, Outcome, RawInput
from referral_engine.jobs.models import Job
from referral_engine.users.models import User
from tests.conftest import at, run_cli

NOW = "2026-11-23T18:00:00Z"


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'demo.db'}"


@pytest.fixture
def demo_output(cli: CliRunner, demo_db: str) -> str:
    code, out, err = run_cli(
        cli, "--db", demo_db, "--now", NOW, "demo", "--no-serve", "--weeks", "4", "--seed", "7"
    )
    assert code == 0, err
    return out


def test_demo_prints_the_agency_summary_and_the_weekly_table(demo_output: str) -> None:
    assert "Lakeside Insurance Group — 4 simulated weeks" in demo_output
    assert "Week by week" in demo_output
    assert "2026-W47" in demo_output
    assert "principal@lakeside.example" in demo_output


def test_demo_agency_has_fourteen_staff(demo_output: str, demo_db: str) -> None:
    with unit_of_work(demo_db) as session:
        staff = session.scalar(
            select(func.count()).select_from(User).where(User.email.like("%@lakeside.example"))
        )
    assert staff == 14


def test_demo_binds_about_forty_a_month_in_both_segments(demo_output: str, demo_db: str) -> None:
    with unit_of_work(demo_db) as session:
        binds = session.execute(
            select(Event.segment, func.count())
            .where(Event.type == "policy.bound")
            .group_by(Event.segment)
        ).all()
    by_segment = dict(binds)
    assert 25 <= sum(by_segment.values()) <= 60
    assert by_segment.get("personal", 0) > 0 and by_segment.get("commercial", 0) > 0


def test_demo_feeds_retries_and_bad_rows_through_the_real_ingest(
    demo_output: str, demo_db: str
) -> None:
    with unit_of_work(demo_db) as session:
        outcomes = dict(
            session.execute(select(RawInput.outcome, func.count()).group_by(RawInput.outcome)).all()
        )
        pending = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.done_at.is_(None), Job.run_at <= at(NOW))
        )
    assert outcomes[Outcome.accepted] > 0
    assert outcomes.get(Outcome.duplicate, 0) > 0
    assert pending == 0, "the demo ticks time forward until no due work is left"


def test_demo_is_deterministic_for_a_seed_and_now(cli: CliRunner, tmp_path: Path) -> None:
    counts = []
    for name in ("a.db", "b.db"):
        url = f"sqlite:///{tmp_path / name}"
        code, _, err = run_cli(
            cli, "--db", url, "--now", NOW, "demo", "--no-serve", "--weeks", "2", "--seed", "3"
        )
        assert code == 0, err
        with unit_of_work(url) as session:
            rows = session.execute(select(Event.source, Event.external_id, Event.type)).all()
        counts.append(json.dumps(sorted(map(list, rows))))
    assert counts[0] == counts[1]


def test_demo_shows_asks_scheduled_capped_and_reviewed_with_reasons(
    demo_output: str, demo_db: str
) -> None:
    from referral_engine.asks.models import Ask, AskEntry

    assert "Asks, and why" in demo_output
    assert "Producers worked the review queue" in demo_output
    with unit_of_work(demo_db) as session:
        statuses = dict(
            session.execute(select(Ask.status, func.count()).group_by(Ask.status)).all()
        )
        rules = set(session.scalars(select(AskEntry.rule).where(AskEntry.kind == "rule")))
        reviews = set(session.scalars(select(AskEntry.status).where(AskEntry.kind == "review")))
    assert statuses.get("scheduled", 0) > 0 and statuses.get("suppressed", 0) > 0
    assert {"bind_delay", "send_hour", "frequency_cap", "needs_review", "open_issue"} <= rules
    assert "approved" in reviews


def test_demo_sends_through_the_sender_and_replies_come_back_through_the_reply_code(
    demo_output: str, demo_db: str
) -> None:
    from referral_engine.asks.models import Ask
    from referral_engine.delivery.models import Message
    from referral_engine.replies.models import Reply
    from referral_engine.tasks.models import Task

    assert "Replies came back and were read" in demo_output
    with unit_of_work(demo_db) as session:
        sent = session.scalar(select(func.count()).select_from(Ask).where(Ask.status == "sent"))
        messages = session.scalar(
            select(func.count()).select_from(Message).where(Message.kind == "ask")
        )
        kinds = set(session.scalars(select(Reply.kind)))
        tasks = session.scalar(select(func.count()).select_from(Task))
    assert sent and messages == sent
    assert "hot" in kinds
    assert tasks and tasks >= len(kinds)


def test_demo_referrals_convert_and_the_new_clients_are_asked_in_turn(
    demo_output: str, demo_db: str
) -> None:
    from referral_engine.asks.models import Ask
    from referral_engine.referrals.models import Referral

    with unit_of_work(demo_db) as session:
        converted = session.scalars(
            select(Referral).where(Referral.status == "converted", Referral.captured_via == "reply")
        ).all()
        assert converted, "an introduced person became a client"
        new_clients = [r.prospect_client_id for r in converted if r.prospect_client_id]
        asked = session.scalar(
            select(func.count()).select_from(Ask).where(Ask.client_id.in_(new_clients))
        )
    assert asked, "the converted prospect's bind fires the loop again"


def test_demo_prints_each_staff_sign_in_that_works_and_leaves_work_in_their_queues(
    demo_output: str, demo_db: str
) -> None:
    from fastapi.testclient import TestClient

    from referral_engine.web.app import create_app

    assert "Sign in as anyone on the team" in demo_output
    rows = [
        line.strip("│ ").split("│")
        for line in demo_output.splitlines()
        if "@lakeside.example" in line and line.startswith("│")
    ]
    people = {cells[0].strip(): cells for cells in rows}
    assert len(people) == 14
    waiting = sum(int(cells[3]) + int(cells[4]) for cells in people.values())
    assert waiting > 0, "the team's last week is left in its members' own queues"
    for email in ("principal@lakeside.example", "sam.ortiz@lakeside.example"):
        password = people[email][1].strip()
        assert len(password) >= 12
        with TestClient(create_app(demo_db)) as browser:
            answer = browser.post(
                "/login", data={"email": email, "password": password}, follow_redirects=False
            )
            assert answer.status_code == 303, (email, answer.text[:200])


def test_demo_team_confirms_most_drafted_referrals_within_two_business_days(
    demo_output: str, demo_db: str
) -> None:
    from referral_engine.delivery.models import Message
    from referral_engine.referrals.models import Referral

    assert "Referrals drafted from replies and confirmed by the team" in demo_output
    with unit_of_work(demo_db) as session:
        drafted = session.scalars(select(Referral).where(Referral.captured_via == "reply")).all()
        confirmed = [r for r in drafted if r.confirmed_at is not None]
        thanked = set(session.scalars(select(Message.client_id).where(Message.kind == "thanks")))
    assert len(confirmed) * 2 > len(drafted) > 0
    for referral in confirmed:
        assert not referral.needs_confirmation and referral.contact_task_id is not None
        assert referral.confirmed_at - referral.created_at < timedelta(days=5)
        assert referral.referred_by_client_id in thanked
