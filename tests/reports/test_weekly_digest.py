"""The weekly digest reaches the principal on Monday morning without anyone asking."""

from __future__ import annotations

import pytest

from tests.agency import Agency, bind
from tests.smtp_server import SmtpServer


def test_the_digest_is_emailed_to_the_principal_monday_morning(
    agency: Agency, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> None:
    monkeypatch.setenv("REFERRAL_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("REFERRAL_MAIL_FROM", "Lakeside Insurance <asks@agency.example>")
    agency.configure(
        '[agency]\nprincipal_email = "principal@agency.example"\n'
        'postal_address = "200 W Lake St, Chicago, IL 60606"\n'
    )
    agency.feed(bind(), now="2026-11-25T22:00:00Z")  # 2026-W48
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick("2026-11-30T12:59:00Z")  # Monday 06:59 in Chicago: not yet
    assert [m for m in smtp_server.messages if m["To"] == "principal@agency.example"] == []
    agency.tick("2026-11-30T13:00:00Z")  # Monday 07:00
    agency.tick("2026-11-30T13:05:00Z")
    [digest] = [m for m in smtp_server.messages if m["To"] == "principal@agency.example"]
    # The week that just ended (2026-W48, with the bind), not the week that starts (W49).
    assert str(digest["Subject"]) == "Week 2026-W48: 0 asks sent, 0 referrals, 0 converted"
    assert digest.get_content().splitlines()[:3] == [
        "My Agency: referrals, week 2026-W48",
        "",
        "  Binds detected:            1",
    ]
