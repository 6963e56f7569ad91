"""Asks waiting for review: a digest to the reviewer at most twice a day and only with
something new; a warning two business days before an unreviewed ask expires, once."""

from __future__ import annotations

from typing import Any

from referral_engine.asks.models import Ask
from referral_engine.db import unit_of_work
from tests.agency import PUBLIC_URL, Agency, bind
from tests.notifications.support import (
    PRODUCER,
    SAM_MOBILE,
    emails_to,
    notices,
    set_person,
)
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble


def big_bind(number: int, occurred_at: str) -> dict[str, Any]:
    """A bind at a premium that goes to its producer's review (Sam Ortiz)."""
    return bind(
        id=f"epic-big-{number}",
        occurred_at=occurred_at,
        client__external_id=f"C-20{number}",
        client__first_name=f"Client{number}",
        client__email=f"client{number}@example.com",
        client__mobile=f"+1312555030{number}",
        policy={
            "number": f"HO-{number}",
            "line_of_business": "HOME",
            "premium": 25000.0,
            "transaction": "new",
        },
    )


def digests(smtp_server: SmtpServer) -> list[Any]:
    return [m for m in emails_to(smtp_server.messages, PRODUCER) if "review" in m["Subject"]]


def test_a_reviewer_gets_a_digest_at_most_twice_a_day_and_only_with_something_new(
    wired: Agency, smtp_server: SmtpServer
) -> None:
    wired.feed(big_bind(1, "2026-12-01T06:30:00-06:00"), now="2026-12-01T12:35:00Z")
    wired.tick("2026-12-01T13:00:00Z")  # Tuesday 07:00: before the first slot
    assert wired.only_ask()["status"] == "pending_review"
    assert digests(smtp_server) == []
    wired.tick("2026-12-01T14:00:00Z")  # 08:00
    [first] = digests(smtp_server)
    assert first["Subject"] == "1 ask waits for your review"
    ask_id = wired.only_ask()["id"]
    assert f"{PUBLIC_URL}/asks/{ask_id}" in first.get_content()
    assert f"{PUBLIC_URL}/review" in first.get_content()

    wired.feed(big_bind(2, "2026-12-01T08:30:00-06:00"), now="2026-12-01T14:35:00Z")
    for hour in (15, 16, 17, 18):  # 09:00 to 12:00: the 08:00 slot had its digest
        wired.tick(f"2026-12-01T{hour}:00:00Z")
    assert len(digests(smtp_server)) == 1
    wired.tick("2026-12-01T19:00:00Z")  # 13:00: the second slot, with the new ask
    second = digests(smtp_server)[1]
    assert second["Subject"] == "2 asks wait for your review"
    assert "Client1" in second.get_content() and "Client2" in second.get_content()

    wired.feed(big_bind(3, "2026-12-01T14:30:00-06:00"), now="2026-12-01T20:35:00Z")
    for hour in (21, 22, 23):  # the rest of Tuesday: no third digest
        wired.tick(f"2026-12-01T{hour}:00:00Z")
    assert len(digests(smtp_server)) == 2
    wired.tick("2026-12-02T14:00:00Z")  # Wednesday 08:00: the ask that came after 13:00
    assert digests(smtp_server)[2]["Subject"] == "3 asks wait for your review"
    wired.tick("2026-12-02T19:00:00Z")  # 13:00: nothing new since the morning
    wired.tick("2026-12-03T14:00:00Z")  # Thursday 08:00: still nothing new
    assert len(digests(smtp_server)) == 3
    keys = [n.dedupe_key for n in notices(wired.url, kind="review_digest")]
    assert len(keys) == len(set(keys)) == 3


def test_nothing_waiting_sends_no_digest(wired: Agency, smtp_server: SmtpServer) -> None:
    wired.feed(bind(), now="2026-11-30T15:00:00Z")
    for at in ("2026-11-30T16:00:00Z", "2026-12-01T14:00:00Z", "2026-12-01T19:00:00Z"):
        wired.tick(at)
    assert wired.only_ask()["status"] != "pending_review"
    assert notices(wired.url) == []


def test_a_digest_is_an_email_even_for_a_reviewer_who_takes_texts(
    wired: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    wired.feed(big_bind(1, "2026-12-01T06:30:00-06:00"), now="2026-12-01T12:35:00Z")
    wired.tick("2026-12-01T13:00:00Z")
    set_person(wired.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=True)
    wired.tick("2026-12-01T14:00:00Z")
    assert len(digests(smtp_server)) == 1
    assert not [m for m in twilio_double.messages if m["to"] == SAM_MOBILE]


# A bind Wednesday 2 December 10:00 in Chicago: its 14-day warmth window ends Wednesday
# 16 December 10:00; two business days before is Monday 14 December 10:00 (16:00 UTC).
BOUND = "2026-12-02T10:00:00-06:00"


def test_an_unreviewed_ask_warns_its_reviewer_two_business_days_before_it_expires_once(
    wired: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    wired.feed(big_bind(1, BOUND), now="2026-12-02T16:05:00Z")
    wired.tick("2026-12-02T17:00:00Z")
    ask = wired.only_ask()
    assert ask["status"] == "pending_review"
    set_person(wired.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=True)
    wired.tick("2026-12-11T16:00:00Z")  # Friday: three business days before
    wired.tick("2026-12-14T15:00:00Z")  # Monday 09:00: not yet
    assert notices(wired.url, kind="expiry_warning") == []
    wired.tick("2026-12-14T16:00:00Z")  # Monday 10:00
    wired.tick("2026-12-14T17:00:00Z")
    wired.tick("2026-12-15T16:00:00Z")
    [email] = [m for m in emails_to(smtp_server.messages, PRODUCER) if "Expires" in m["Subject"]]
    assert email["Subject"] == "Expires Wed 16 Dec 10:00 CST: the ask for Client1 Reyes"
    assert f"{PUBLIC_URL}/asks/{ask['id']}" in email.get_content()
    [text] = [m for m in twilio_double.messages if m["to"] == SAM_MOBILE]
    assert "expires Wed 16 Dec 10:00 CST" in text["body"]
    with unit_of_work(wired.url) as session:
        stored = session.get(Ask, ask["id"])
        assert stored is not None and stored.expiry_warned_at is not None
    assert {n.dedupe_key for n in notices(wired.url, kind="expiry_warning")} == {
        f"expiry:{ask['id']}:email",
        f"expiry:{ask['id']}:sms",
    }


def test_a_reviewed_ask_is_not_warned(wired: Agency, smtp_server: SmtpServer) -> None:
    wired.feed(big_bind(1, BOUND), now="2026-12-02T16:05:00Z")
    wired.tick("2026-12-02T17:00:00Z")
    ask = wired.only_ask()
    approved = wired.post(f"/api/v1/asks/{ask['id']}/approve", {}, now="2026-12-03T15:00:00Z")
    assert approved.status_code == 200, approved.text
    wired.tick("2026-12-14T16:00:00Z")
    assert notices(wired.url, kind="expiry_warning") == []
