"""`referral users add|list|reset|deactivate` through the command line."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from tests.conftest import run_cli


def _link(text: str) -> str:
    found = re.search(r"\S+/invite/\S+", text)
    assert found, text
    return found.group(0)


def test_add_prints_the_invitation_link(cli: CliRunner, ready_db: str) -> None:
    code, out, _ = run_cli(
        cli, "--db", ready_db, "users", "add", "Sam@Agency.example", "--role", "producer",
        "--name", "Sam Ortiz",
    )  # fmt: skip
    assert code == 0
    assert "Added Sam Ortiz <sam@agency.example> as producer." in out
    assert "/invite/" in _link(out)
    assert "give them this link yourself" in out


def test_add_a_senior_csr_then_list_shows_the_team(cli: CliRunner, ready_db: str) -> None:
    run_cli(
        cli, "--db", ready_db, "users", "add", "kim@agency.example", "--role", "csr", "--senior"
    )
    code, out, _ = run_cli(cli, "--db", ready_db, "users", "list")
    assert code == 0
    row = next(line for line in out.splitlines() if "kim@agency.example" in line)
    assert "csr" in row and "yes" in row and "invited" in row


def test_bad_input_exits_2_and_changes_nothing(cli: CliRunner, ready_db: str) -> None:
    bad_role = run_cli(cli, "--db", ready_db, "users", "add", "x@agency.example", "--role", "boss")
    assert bad_role[0] == 2
    bad_email = run_cli(cli, "--db", ready_db, "users", "add", "nope", "--role", "csr")
    assert bad_email[0] == 2 and "nope" in bad_email[2]
    run_cli(cli, "--db", ready_db, "users", "add", "kim@agency.example", "--role", "csr")
    again = run_cli(cli, "--db", ready_db, "users", "add", "kim@agency.example", "--role", "csr")
    assert again[0] == 2 and "already on the team" in again[2]
    unknown = run_cli(cli, "--db", ready_db, "users", "deactivate", "who@agency.example")
    assert unknown[0] == 2
    _, out, _ = run_cli(cli, "--db", ready_db, "users", "list")
    assert "x@agency.example" not in out and "nope" not in out


def test_deactivate_revokes_the_persons_tokens(cli: CliRunner, ready_db: str) -> None:
    run_cli(cli, "--db", ready_db, "users", "add", "kim@agency.example", "--role", "csr")
    with unit_of_work(ready_db) as session:
        kim = users.find_by_email(session, email="kim@agency.example")
        assert kim is not None
        token = users.issue_token(session, user=kim, name="laptop")
    code, out, _ = run_cli(cli, "--db", ready_db, "users", "deactivate", "kim@agency.example")
    assert code == 0 and "Deactivated kim@agency.example" in out
    with unit_of_work(ready_db) as session:
        try:
            users.user_for_token(session, token=token)
        except users.UnknownUser:
            pass
        else:
            raise AssertionError("a deactivated person's token still works")


def test_reset_prints_a_new_link_and_the_old_one_ends(cli: CliRunner, ready_db: str) -> None:
    _, first, _ = run_cli(
        cli, "--db", ready_db, "users", "add", "kim@agency.example", "--role", "csr"
    )
    code, second, _ = run_cli(cli, "--db", ready_db, "users", "reset", "kim@agency.example")
    assert code == 0 and _link(second) != _link(first)
    from referral_engine import clock
    from referral_engine.users import invitations

    with unit_of_work(ready_db) as session:
        now = clock.now()
        invitations.open_link(session, token=_link(second).rsplit("/", 1)[1], now=now)
        try:
            invitations.open_link(session, token=_link(first).rsplit("/", 1)[1], now=now)
        except invitations.LinkGone:
            pass
        else:
            raise AssertionError("the older link still works")
