"""The `referral` command: init, tick, report, --now, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.users.models import ApiToken, User
from tests.conftest import ADMIN_EMAIL, ADMIN_TOKEN, run_cli
from tests.factories import event, write_jsonl


def test_init_creates_the_database_and_the_first_admin(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REFERRAL_ADMIN_TOKEN", "REFERRAL_ADMIN_EMAIL", "REFERRAL_ADMIN_PASSWORD"):
        monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = run_cli(cli, "--db", url, "init")
    assert code == 0
    assert "password:" in out and "API token: rk_" in out
    token = out.split("API token: ")[1].split()[0]
    with unit_of_work(url) as session:
        admin = session.scalars(select(User)).one()
        stored = session.scalars(select(ApiToken.token_hash)).one()
    assert admin.role == "admin"
    assert admin.password_hash and admin.password_hash.startswith("$argon2")
    assert token not in stored  # only a hash is kept


def test_init_uses_the_admin_environment_variables(cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = run_cli(cli, "--db", url, "init")
    assert code == 0
    assert ADMIN_EMAIL in out and ADMIN_TOKEN in out


@pytest.mark.parametrize("weak", ["short1", "qwerty123456"])
def test_init_refuses_a_weak_admin_password_and_creates_nothing(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("REFERRAL_ADMIN_PASSWORD", weak)
    database = tmp_path / "new.db"
    code, out, err = run_cli(cli, "--db", f"sqlite:///{database}", "init")
    assert code == 2
    assert "REFERRAL_ADMIN_PASSWORD" in out + err and "Nothing was changed" in out + err
    assert not database.exists() or database.stat().st_size == 0


def test_init_twice_keeps_the_admin_and_updates_settings(cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    config = tmp_path / "agency.toml"
    config.write_text('[agency]\nname = "Lakeside"\n[timing]\nbind_delay_business_days = 2\n')
    run_cli(cli, "--db", url, "init", "--config", str(config))
    config.write_text('[agency]\nname = "Lakeside Group"\ntimezone = "America/Denver"\n')
    code, out, _ = run_cli(cli, "--db", url, "init", "--config", str(config))
    assert code == 0 and "Admin exists" in out
    with unit_of_work(url) as session:
        settings = load_settings(session)
        assert len(session.scalars(select(User)).all()) == 1
    assert (settings.agency.name, settings.agency.timezone) == ("Lakeside Group", "America/Denver")
    assert settings.timing.bind_delay_business_days == 2, "keys left out keep their values"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[agency\nname=1", "not valid TOML"),
        ('[agency]\ntimezone = "Mars/Base"\n', "agency.timezone"),
        ("[timing]\nsend_hour = 22\n", "quiet hours"),
        ('[timing]\nquiet_start = "9pm"\n', "timing.quiet_start"),
        ('[agency]\nholidays = "XX"\n', "agency.holidays"),
        ('[sources.epic]\nwebhook_secret = "abc"\n', "whsec_"),
        ('[agency]\nnmae = "typo"\n', "agency.nmae"),
    ],
)
def test_bad_settings_are_refused_with_exit_2_and_nothing_changes(
    cli: CliRunner, tmp_path: Path, toml: str, message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    good = tmp_path / "good.toml"
    good.write_text('[agency]\nname = "Lakeside"\n')
    run_cli(cli, "--db", url, "init", "--config", str(good))
    bad = tmp_path / "bad.toml"
    bad.write_text(toml)
    code, _, err = run_cli(cli, "--db", url, "init", "--config", str(bad))
    assert code == 2
    assert message in err
    with unit_of_work(url) as session:
        assert load_settings(session).agency.name == "Lakeside"


def test_a_bad_now_is_refused_with_exit_2(cli: CliRunner, ready_db: str) -> None:
    code, _, err = run_cli(cli, "--db", ready_db, "--now", "next tuesday", "tick")
    assert code == 2
    assert "--now" in err


def test_commands_refuse_a_database_that_was_never_initialized(
    cli: CliRunner, tmp_path: Path
) -> None:
    code, _, err = run_cli(cli, "--db", f"sqlite:///{tmp_path / 'empty.db'}", "tick")
    assert code == 2
    assert "referral init" in err


def test_tick_runs_due_work_once(cli: CliRunner, ready_db: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", [event()])
    imported_at, ticked_at = "2026-11-25T21:00:00Z", "2026-11-25T22:00:00Z"
    run_cli(cli, "--db", ready_db, "--now", imported_at, "import", str(path), "--source", "epic")
    code, out, _ = run_cli(cli, "--db", ready_db, "--now", ticked_at, "tick")
    assert code == 0
    assert "events.process_event: 1" in out
    code, out, _ = run_cli(cli, "--db", ready_db, "--now", ticked_at, "tick")
    assert "Nothing due" in out


def test_the_weekly_report_counts_binds_of_that_week(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [
            event(id="b1"),
            event(id="b2", occurred_at="2026-11-30T10:00:00-06:00"),
            event(id="r1", type="policy.renewed", policy__transaction="renewal"),
        ],
    )
    run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic")
    code, out, _ = run_cli(
        cli, "--db", ready_db, "report", "weekly", "--week", "2026-W48", "--format", "json"
    )
    assert code == 0
    numbers = json.loads(out)
    assert (numbers["week"], numbers["binds_detected"]) == ("2026-W48", 1)


def test_the_weekly_report_refuses_a_bad_week(cli: CliRunner, ready_db: str) -> None:
    code, _, err = run_cli(cli, "--db", ready_db, "report", "weekly", "--week", "2026-48")
    assert code == 2
    assert "2026-W48" in err


def test_the_weekly_table_reads_well(cli: CliRunner, ready_db: str) -> None:
    code, out, _ = run_cli(
        cli, "--db", ready_db, "--now", "2026-11-25T12:00:00Z", "report", "weekly"
    )
    assert code == 0
    assert "Week 2026-W48" in out and "Binds detected" in out
