"""The pure rules of notifications: channels, quiet nights, digest slots, expiry warnings."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from referral_engine.decisions.calendar import BusinessCalendar
from referral_engine.notifications import rules
from tests.conftest import at

CHICAGO = ZoneInfo("America/Chicago")
CALENDAR = BusinessCalendar(zone=CHICAGO, holidays="US")


@pytest.mark.parametrize(
    ("notify_email", "mobile", "notify_sms", "expected"),
    [
        (True, None, False, ("email",)),
        (True, "+13125550199", False, ("email",)),
        (True, "+13125550199", True, ("email", "sms")),
        (False, "+13125550199", True, ("sms",)),
        (True, None, True, ("email",)),  # said yes to texts but gave no number
        (True, "  ", True, ("email",)),
        (False, None, False, ()),
    ],
)
def test_a_person_is_told_on_the_channels_they_chose(
    notify_email: bool, mobile: str | None, notify_sms: bool, expected: tuple[str, ...]
) -> None:
    assert rules.channels(notify_email=notify_email, mobile=mobile, notify_sms=notify_sms) == (
        expected
    )


@pytest.mark.parametrize(
    ("now", "quiet_nights", "expected"),
    [
        ("2026-12-01T11:30:00-06:00", True, "2026-12-01T11:30:00-06:00"),  # daytime
        ("2026-12-01T20:59:00-06:00", True, "2026-12-01T20:59:00-06:00"),
        ("2026-12-01T21:00:00-06:00", True, "2026-12-02T07:00:00-06:00"),  # held
        ("2026-12-01T23:45:00-06:00", True, "2026-12-02T07:00:00-06:00"),
        ("2026-12-02T03:10:00-06:00", True, "2026-12-02T07:00:00-06:00"),  # after midnight
        ("2026-12-02T07:00:00-06:00", True, "2026-12-02T07:00:00-06:00"),  # over
        ("2026-12-01T23:45:00-06:00", False, "2026-12-01T23:45:00-06:00"),  # at once
        # Saturday night before the fall-back change: 07:00 CST on Sunday
        ("2026-10-31T22:30:00-05:00", True, "2026-11-01T07:00:00-06:00"),
    ],
)
def test_quiet_nights_hold_a_notice_until_seven(
    now: str, quiet_nights: bool, expected: str
) -> None:
    assert rules.deliver_at(at(now), CHICAGO, quiet_nights=quiet_nights) == at(expected)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        ("2026-12-01T07:59:00-06:00", None),  # Tuesday, before the first slot
        ("2026-12-01T08:00:00-06:00", "2026-12-01T08:00:00-06:00"),
        ("2026-12-01T12:59:00-06:00", "2026-12-01T08:00:00-06:00"),
        ("2026-12-01T13:00:00-06:00", "2026-12-01T13:00:00-06:00"),
        ("2026-12-01T23:59:00-06:00", "2026-12-01T13:00:00-06:00"),
        ("2026-12-05T10:00:00-06:00", None),  # Saturday
        ("2026-11-26T10:00:00-06:00", None),  # Thanksgiving
    ],
)
def test_a_review_digest_has_two_slots_on_each_business_day(now: str, slot: str | None) -> None:
    found = rules.digest_slot(at(now), CALENDAR)
    assert found == (at(slot) if slot else None)


@pytest.mark.parametrize(
    ("entered", "last", "news"),
    [
        ([], None, False),  # nothing waits
        (["2026-12-01T14:00:00Z"], None, True),  # never told
        (["2026-12-01T14:00:00Z"], "2026-12-01T14:05:00Z", False),  # already told
        (["2026-12-01T14:00:00Z", "2026-12-01T15:00:00Z"], "2026-12-01T14:05:00Z", True),
    ],
)
def test_a_digest_needs_an_ask_the_reviewer_was_not_told_about(
    entered: list[str], last: str | None, news: bool
) -> None:
    last_at = at(last) if last else None
    assert rules.has_news([at(e) for e in entered], last_at) is news


@pytest.mark.parametrize(
    ("expires", "warn_from"),
    [
        ("2026-12-11T15:00:00-06:00", "2026-12-09T15:00:00-06:00"),  # Friday -> Wednesday
        ("2026-12-14T09:30:00-06:00", "2026-12-10T09:30:00-06:00"),  # Monday -> Thursday
        ("2026-12-13T12:00:00-06:00", "2026-12-10T12:00:00-06:00"),  # Sunday -> Thursday
        # Monday after Thanksgiving: Friday counts, Thursday (the holiday) does not
        ("2026-11-30T10:00:00-06:00", "2026-11-25T10:00:00-06:00"),
    ],
)
def test_an_unreviewed_ask_is_warned_two_business_days_before_it_expires(
    expires: str, warn_from: str
) -> None:
    assert rules.expiry_warning_from(at(expires), CALENDAR) == at(warn_from)


def test_every_instant_returned_is_utc() -> None:
    held = rules.deliver_at(at("2026-12-01T22:00:00-06:00"), CHICAGO, quiet_nights=True)
    now = rules.deliver_at(at("2026-12-01T10:00:00-06:00"), CHICAGO, quiet_nights=True)
    slot = rules.digest_slot(at("2026-12-01T09:00:00-06:00"), CALENDAR)
    warn = rules.expiry_warning_from(at("2026-12-11T15:00:00-06:00"), CALENDAR)
    assert slot is not None
    assert {held.tzinfo, now.tzinfo, slot.tzinfo, warn.tzinfo} == {UTC}
