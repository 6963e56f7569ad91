"""An email source's mailbox: `referral mail fetch` against the real IMAP server of
tests/imap_server.py → events → asks; quarantined messages get a task; seen flags."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from referral_engine.db import unit_of_work
from referral_engine.events.models import Event
from referral_engine.tasks.models import Task
from tests import imap_server as imap_testing
from tests.agency import Agency
from tests.conftest import DATA
from tests.imap_server import ImapServer

imap_server = imap_testing.imap_server

TUNING = DATA / "mail" / "tuning"
NOW = "2026-11-30T16:00:00Z"
SOURCE = '[sources.carrier-inbox]\nkind = "email"\nimap_url_env = "CARRIER_INBOX_URL"\n'


@pytest.fixture
def inbox(agency: Agency, imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch) -> ImapServer:
    agency.configure(SOURCE)
    monkeypatch.setenv("CARRIER_INBOX_URL", imap_server.url)
    return imap_server


def fetch(agency: Agency, *, now: str = NOW, expect: int = 0) -> str:
    return agency.run("mail", "fetch", "--source", "carrier-inbox", now=now, expect=expect)


def count(agency: Agency, model: type) -> int:
    with unit_of_work(agency.url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_unseen_emails_become_events_and_asks_and_are_marked_seen(
    agency: Agency, inbox: ImapServer
) -> None:
    old = inbox.deliver((TUNING / "granite-renewal.eml").read_bytes(), seen=True)
    good = inbox.deliver((TUNING / "northwind-auto.eml").read_bytes())
    unclear = inbox.deliver((TUNING / "general-two-policies.eml").read_bytes())
    out = fetch(agency)
    assert f"INBOX:{good}: accepted (email-" in out
    assert f"INBOX:{unclear}: quarantined (policy number is ambiguous" in out
    assert "2 message(s): 1 accepted, 0 duplicate, 1 quarantined" in out
    assert inbox.seen(good) and inbox.seen(unclear) and inbox.seen(old)
    assert count(agency, Event) == 1 and count(agency, Task) == 1
    agency.tick(NOW)
    [ask] = agency.asks()
    assert ask["trigger"] == "policy.bound"


def test_a_second_fetch_reads_only_new_mail_and_a_copy_is_a_duplicate(
    agency: Agency, inbox: ImapServer
) -> None:
    inbox.deliver((TUNING / "agencydesk-new.eml").read_bytes())
    fetch(agency)
    assert "0 message(s)" in fetch(agency, now="2026-11-30T16:05:00Z")
    inbox.deliver((TUNING / "agencydesk-new.eml").read_bytes())
    out = fetch(agency, now="2026-11-30T16:10:00Z")
    assert "0 accepted, 1 duplicate, 0 quarantined" in out
    assert count(agency, Event) == 1


def test_a_source_without_a_mailbox_says_what_to_set(
    agency: Agency, imap_server: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency.configure('[sources.carrier-inbox]\nkind = "email"\n')
    assert "has no mailbox: set imap_url_env" in fetch(agency, expect=2)
    agency.configure(SOURCE)
    monkeypatch.delenv("CARRIER_INBOX_URL", raising=False)
    assert "environment variable CARRIER_INBOX_URL is not set" in fetch(agency, expect=2)
    monkeypatch.setenv("CARRIER_INBOX_URL", "https://u:secret-word@mail.example/INBOX")
    out = fetch(agency, expect=2)
    assert "scheme must be imap:// or imaps://" in out and "secret-word" not in out


def test_a_refused_login_fails_with_exit_1_and_no_password_shown(
    agency: Agency, inbox: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox.deliver((TUNING / "northwind-auto.eml").read_bytes())
    wrong = inbox.url.replace("@127.0.0.1", "x@127.0.0.1")
    monkeypatch.setenv("CARRIER_INBOX_URL", wrong)
    out = fetch(agency, expect=1)
    assert "login" in out.lower() and "pa ss" not in out
    assert count(agency, Event) == 0
    assert not inbox.seen("1")


def test_the_worker_reads_the_mailbox_every_poll_minutes_and_sources_poll_reads_it_now(
    agency: Agency, inbox: ImapServer
) -> None:
    """An email source with a mailbox is read on the worker's schedule like a poll
    source (poll_minutes, 15 by default), and `referral sources poll NAME` reads it now."""
    inbox.deliver((TUNING / "northwind-auto.eml").read_bytes())
    out = agency.tick(NOW)
    assert "sources.poll" in out
    assert count(agency, Event) == 1
    unclear = inbox.deliver((TUNING / "general-two-policies.eml").read_bytes())
    agency.tick("2026-11-30T16:05:00Z")
    assert count(agency, Task) == 0, "not due again before poll_minutes have passed"
    polled = agency.run("sources", "poll", "carrier-inbox", now="2026-11-30T16:06:00Z")
    assert "carrier-inbox: read 1 record(s)" in polled and "1 quarantined" in polled
    assert count(agency, Task) == 1 and inbox.seen(unclear)
    health = agency.run("sources", "list", "--format", "json", now="2026-11-30T16:07:00Z")
    assert '"last_success_at"' in health and "2026-11-30T16:06" in health
