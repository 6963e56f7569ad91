"""The weekly digest to the principal: rendered from the week in tests/reports/scenario.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from referral_engine.db import unit_of_work
from referral_engine.delivery.models import Message
from referral_engine.reports.digest import render_digest
from tests.agency import Agency
from tests.conftest import at
from tests.reports.scenario import build

NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def quarter(agency: Agency) -> Agency:
    build(agency)
    return agency


def test_the_digest_shows_the_weekly_four_sources_and_overdue_tasks(quarter: Agency) -> None:
    with unit_of_work(quarter.url) as session:
        subject, text = render_digest(session, "2026-W45", now=at(NOW))
    assert subject == "Week 2026-W45: 0 asks sent, 4 referrals, 1 converted"
    assert "Referrals received:        4" in text
    assert "Referrals quoted:          2" in text  # 1 and 3
    assert "Asks not sent, by reason:\n  none" in text
    sources = text.split("Top sources this week:\n")[1].split("\n\n")[0].splitlines()
    assert sources == [
        "  C-1 (client): 2 received, 1 converted",
        "  Oak Street Realty (partner:realtor): 1 received, 1 converted",
        "  Maria Lopez (partner:mortgage_broker): 1 received, 0 converted",
    ]
    # Open and past due on 11-20: referral 4's contact task, five thank-yous (all but the
    # external source) and four referrer updates: one "we reached out" each for 6, 1, 3
    # and 2 (none of the people introduced agreed that more be shared).
    assert "Overdue tasks: 10\n" in text


def test_send_puts_the_digest_in_the_outbox_without_an_email_provider(quarter: Agency) -> None:
    quarter.configure('[agency]\nprincipal_email = "owner@agency.example"\n')
    out = quarter.run("report", "digest", "--week", "2026-W45", "--send", now=NOW)
    assert "Subject: Week 2026-W45" in out and "owner@agency.example: outbox" in out
    with unit_of_work(quarter.url) as session:
        [message] = session.scalars(select(Message).where(Message.kind == "digest")).all()
        assert (message.channel, message.to, message.status) == (
            "email",
            "owner@agency.example",
            "outbox",
        )
        assert "Top sources this week" in message.body


def test_send_without_a_principal_email_exits_2(quarter: Agency) -> None:
    out = quarter.run("report", "digest", "--week", "2026-W45", "--send", now=NOW, expect=2)
    assert "principal_email" in out
