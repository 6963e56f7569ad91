"""When an ask goes out: business days, recipient zones, quiet hours, DST.

Unless a test says otherwise: agency in America/Chicago with the "US" calendar, a delay of
3 business days, send hour 10:00 recipient-local, quiet hours 21:00-08:00. Expected
instants are written in UTC, with the recipient-local reading beside them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_engine.decisions.calendar import (
    BusinessCalendar,
    QuietHours,
    RecipientZone,
    SendWindow,
    in_quiet_hours_local,
    recipient_zone,
)

CHICAGO = ZoneInfo("America/Chicago")
NIGHT = QuietHours(start=time(21), end=time(8))


def send_window(
    *,
    recipient: str = "America/Chicago",
    holidays: str = "US",
    agency: str = "America/Chicago",
    send_hour: int = 10,
    quiet: QuietHours = NIGHT,
) -> SendWindow:
    return SendWindow(
        calendar=BusinessCalendar.for_agency(agency, holidays),
        recipient=ZoneInfo(recipient),
        send_hour=send_hour,
        quiet=quiet,
    )


def chicago(year: int, month: int, day: int, hour: int = 14, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- business days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holidays", "bind", "expected"),
    [
        pytest.param("US", chicago(2026, 6, 1), utc(2026, 6, 4, 15), id="monday-asks-thursday"),
        pytest.param("US", chicago(2026, 6, 3), utc(2026, 6, 8, 15), id="wednesday-asks-monday"),
        pytest.param("US", chicago(2026, 6, 5), utc(2026, 6, 10, 15), id="friday-asks-wednesday"),
        pytest.param("US", chicago(2026, 6, 6), utc(2026, 6, 10, 15), id="saturday-asks-wednesday"),
        pytest.param("US", chicago(2026, 6, 7), utc(2026, 6, 10, 15), id="sunday-asks-wednesday"),
        pytest.param(
            "US",
            chicago(2026, 6, 1, 23, 30),  # already Tuesday in UTC
            utc(2026, 6, 4, 15),
            id="late-monday-counts-from-the-agency-local-monday",
        ),
        pytest.param(
            "US",
            chicago(2026, 11, 25),  # Thu 26 Thanksgiving; Fri 27 is a business day in "US"
            utc(2026, 12, 1, 16),  # Tue 10:00 CST
            id="wednesday-before-thanksgiving-asks-the-next-tuesday",
        ),
        pytest.param(
            "US-TX",
            chicago(2026, 11, 25),  # Texas also closes on the Friday after Thanksgiving
            utc(2026, 12, 2, 16),  # Wed 10:00 CST
            id="texas-wednesday-before-thanksgiving-asks-the-next-wednesday",
        ),
        pytest.param(
            "US",
            chicago(2026, 2, 26),  # Mon Mar 2 is Texas Independence Day, not a US holiday
            utc(2026, 3, 3, 16),  # Tue 10:00 CST
            id="thursday-before-texas-independence-day-asks-tuesday",
        ),
        pytest.param(
            "US-TX",
            chicago(2026, 2, 26),
            utc(2026, 3, 4, 16),  # Wed 10:00 CST
            id="texas-thursday-before-texas-independence-day-asks-wednesday",
        ),
        pytest.param(
            "US",
            chicago(2026, 7, 1),  # Sat Jul 4 is observed on Fri Jul 3
            utc(2026, 7, 7, 15),  # Tue 10:00 CDT
            id="wednesday-before-observed-independence-day-asks-tuesday",
        ),
        pytest.param(
            "US",
            chicago(2026, 12, 23),  # Fri Dec 25 Christmas
            utc(2026, 12, 29, 16),  # Tue 10:00 CST
            id="wednesday-before-christmas-asks-the-next-tuesday",
        ),
        pytest.param(
            "US",
            chicago(2026, 12, 29),  # Fri Jan 1 2027 New Year's Day
            utc(2027, 1, 4, 16),  # Mon 10:00 CST
            id="tuesday-before-new-year-asks-monday",
        ),
        pytest.param(
            "US",
            chicago(2027, 1, 13),  # Mon Jan 18 2027 Martin Luther King Jr. Day
            utc(2027, 1, 19, 16),  # Tue 10:00 CST
            id="wednesday-before-mlk-day-asks-tuesday",
        ),
    ],
)
def test_bind_is_asked_three_business_days_later_at_ten(
    holidays: str, bind: datetime, expected: datetime
) -> None:
    window = send_window(holidays=holidays)
    assert window.first_slot_after(bind, 3) == expected


def test_scheduled_instants_are_in_utc() -> None:
    slot = send_window().first_slot_after(chicago(2026, 6, 1), 3)
    assert slot.tzinfo is UTC


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        pytest.param(chicago(2026, 6, 1, 8), utc(2026, 6, 1, 15), id="8am-bind-asks-at-ten"),
        pytest.param(chicago(2026, 6, 1, 9), utc(2026, 6, 2, 15), id="9am-bind-asks-tomorrow"),
        pytest.param(chicago(2026, 6, 1, 9, 30), utc(2026, 6, 2, 15), id="same-hour-tomorrow"),
        pytest.param(chicago(2026, 6, 1, 15), utc(2026, 6, 2, 15), id="after-ten-tomorrow"),
        pytest.param(chicago(2026, 6, 6, 8), utc(2026, 6, 8, 15), id="saturday-asks-monday"),
    ],
)
def test_no_delay_never_asks_within_an_hour_of_the_bind(bind: datetime, expected: datetime) -> None:
    assert send_window().first_slot_after(bind, 0) == expected


@pytest.mark.parametrize(
    ("holidays", "day", "business"),
    [
        pytest.param("US", date(2026, 6, 1), True, id="ordinary-monday"),
        pytest.param("US", date(2026, 6, 6), False, id="saturday"),
        pytest.param("US", date(2026, 6, 7), False, id="sunday"),
        pytest.param("US", date(2026, 11, 26), False, id="thanksgiving"),
        pytest.param("US", date(2026, 11, 27), True, id="black-friday-in-us"),
        pytest.param("US-TX", date(2026, 11, 27), False, id="black-friday-in-texas"),
        pytest.param("US", date(2026, 7, 3), False, id="observed-independence-day"),
        pytest.param("CA", date(2026, 7, 1), False, id="canada-day"),
        pytest.param("US", date(2026, 7, 1), True, id="canada-day-in-us"),
    ],
)
def test_business_days_are_weekdays_that_are_not_public_holidays(
    holidays: str, day: date, business: bool
) -> None:
    assert BusinessCalendar(zone=CHICAGO, holidays=holidays).is_business_day(day) is business


@pytest.mark.parametrize(
    ("day", "name"),
    [
        pytest.param(date(2026, 11, 26), "Thanksgiving Day", id="thanksgiving"),
        pytest.param(date(2026, 7, 3), "Independence Day (observed)", id="observed"),
        pytest.param(date(2026, 6, 1), None, id="ordinary-day"),
    ],
)
def test_holiday_name_explains_a_skipped_day(day: date, name: str | None) -> None:
    assert BusinessCalendar(zone=CHICAGO).holiday_name(day) == name


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 6, 1), date(2026, 6, 1), id="business-day-itself"),
        pytest.param(date(2026, 6, 6), date(2026, 6, 8), id="saturday-gives-monday"),
        pytest.param(date(2026, 11, 26), date(2026, 11, 27), id="thanksgiving-gives-friday"),
    ],
)
def test_adding_zero_business_days_gives_that_day_or_the_next_business_day(
    day: date, expected: date
) -> None:
    calendar = BusinessCalendar(zone=CHICAGO)
    assert calendar.add_business_days(day, 0) == expected
    assert calendar.next_business_day_on_or_after(day) == expected


def test_adding_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(zone=CHICAGO).add_business_days(date(2026, 6, 1), -1)


def test_local_date_is_read_in_the_agency_zone() -> None:
    late_monday = chicago(2026, 6, 1, 23, 30)
    assert late_monday.astimezone(UTC).date() == date(2026, 6, 2)
    assert BusinessCalendar(zone=CHICAGO).local_date(late_monday) == date(2026, 6, 1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(zone=CHICAGO).local_date(datetime(2026, 6, 1, 12))
    with pytest.raises(ValueError):
        send_window().first_slot_after(datetime(2026, 6, 1, 12), 3)


@pytest.mark.parametrize(
    ("timezone", "holidays"),
    [
        pytest.param("Mars/Olympus_Mons", "US", id="unknown-zone"),
        pytest.param("America/Chicago", "ZZ", id="unknown-country"),
        pytest.param("America/Chicago", "US-XX", id="unknown-subdivision"),
    ],
)
def test_for_agency_refuses_unknown_zones_and_calendars(timezone: str, holidays: str) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar.for_agency(timezone, holidays)


# --- quiet hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "local", "expected"),
    [
        pytest.param(NIGHT, time(20, 59), False, id="before-start"),
        pytest.param(NIGHT, time(21), True, id="at-start"),
        pytest.param(NIGHT, time(0), True, id="midnight"),
        pytest.param(NIGHT, time(7, 59), True, id="before-end"),
        pytest.param(NIGHT, time(8), False, id="at-end"),
        pytest.param(QuietHours(time(12), time(13)), time(12, 30), True, id="daytime-inside"),
        pytest.param(QuietHours(time(12), time(13)), time(13), False, id="daytime-at-end"),
        pytest.param(QuietHours(time(9), time(9)), time(9), False, id="equal-means-none"),
    ],
)
def test_quiet_hours_are_half_open_and_wrap_midnight(
    quiet: QuietHours, local: time, expected: bool
) -> None:
    assert quiet.contains(local) is expected
    assert in_quiet_hours_local(local, quiet.start, quiet.end) is expected


# --- recipient zones -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        pytest.param("America/Chicago", utc(2026, 6, 4, 15), id="chicago-10-cdt"),
        pytest.param("America/New_York", utc(2026, 6, 4, 14), id="new-york-10-edt"),
        pytest.param("America/Los_Angeles", utc(2026, 6, 4, 17), id="los-angeles-10-pdt"),
        pytest.param("Pacific/Honolulu", utc(2026, 6, 4, 20), id="honolulu-10-hst"),
        pytest.param("Europe/London", utc(2026, 6, 4, 9), id="london-10-bst"),
    ],
)
def test_ask_goes_out_at_ten_in_the_recipients_own_zone(recipient: str, expected: datetime) -> None:
    window = send_window(recipient=recipient)
    assert window.first_slot_after(chicago(2026, 6, 1), 3) == expected


def test_client_timezone_wins_over_the_mobile_number() -> None:
    found = recipient_zone(
        client_timezone="America/Denver", mobile="+13125550123", agency_zone=CHICAGO
    )
    assert found == RecipientZone(zone=ZoneInfo("America/Denver"), basis="client")


@pytest.mark.parametrize(
    "client_timezone",
    ["Mars/Olympus_Mons", "", "   ", "../../etc/passwd", "/etc/localtime", "localtime", None],
)
def test_unusable_client_timezone_falls_back_to_the_mobile_number(
    client_timezone: str | None,
) -> None:
    found = recipient_zone(
        client_timezone=client_timezone,
        mobile="+12125550123",
        agency_zone=CHICAGO,
    )
    assert found == RecipientZone(zone=ZoneInfo("America/New_York"), basis="mobile")


@pytest.mark.parametrize(
    ("mobile", "zone"),
    [
        pytest.param("+13125550123", "America/Chicago", id="chicago-312"),
        pytest.param("+12125550123", "America/New_York", id="new-york-212"),
        pytest.param("+442079460000", "Europe/London", id="london-20"),
    ],
)
def test_mobile_number_gives_its_zone(mobile: str, zone: str) -> None:
    found = recipient_zone(
        client_timezone=None, mobile=mobile, agency_zone=ZoneInfo("Pacific/Honolulu")
    )
    assert found == RecipientZone(zone=ZoneInfo(zone), basis="mobile")


@pytest.mark.parametrize(
    ("agency", "expected"),
    [
        pytest.param("America/Chicago", "America/Chicago", id="agency-zone-among-candidates"),
        pytest.param("Europe/Berlin", "America/Adak", id="else-first-in-sorted-order"),
    ],
)
def test_number_spanning_several_zones_prefers_the_agency_zone(agency: str, expected: str) -> None:
    toll_free = "+18005550123"  # spans every North American zone
    found = recipient_zone(client_timezone=None, mobile=toll_free, agency_zone=ZoneInfo(agency))
    assert found == RecipientZone(zone=ZoneInfo(expected), basis="mobile")


@pytest.mark.parametrize(
    "mobile", ["not a number", "12345", "+", "+1312555", "+999", "", None], ids=repr
)
def test_unusable_mobile_falls_back_to_the_agency_zone(mobile: str | None) -> None:
    found = recipient_zone(client_timezone="Nowhere/Land", mobile=mobile, agency_zone=CHICAGO)
    assert found == RecipientZone(zone=CHICAGO, basis="agency")


@settings(deadline=None, max_examples=200)
@given(client_timezone=st.none() | st.text(), mobile=st.none() | st.text())
def test_recipient_zone_never_raises(client_timezone: str | None, mobile: str | None) -> None:
    found = recipient_zone(client_timezone=client_timezone, mobile=mobile, agency_zone=CHICAGO)
    assert found.basis in {"client", "mobile", "agency"}


# --- daylight saving time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipient", "bind", "expected"),
    [
        pytest.param(
            "America/Chicago",
            chicago(2026, 3, 3),
            utc(2026, 3, 6, 16),
            id="friday-before-2026-spring-forward-10-cst",
        ),
        pytest.param(
            "America/Chicago",
            chicago(2026, 3, 4),
            utc(2026, 3, 9, 15),
            id="monday-after-2026-spring-forward-10-cdt",
        ),
        pytest.param(
            "America/Chicago",
            chicago(2027, 3, 10),
            utc(2027, 3, 15, 15),
            id="monday-after-2027-spring-forward-10-cdt",
        ),
        pytest.param(
            "Europe/London",  # the UK moves three weeks after the US
            chicago(2026, 3, 4),
            utc(2026, 3, 9, 10),
            id="london-still-on-gmt-after-us-spring-forward",
        ),
        pytest.param(
            "America/Chicago",
            chicago(2026, 10, 27),
            utc(2026, 10, 30, 15),
            id="friday-before-2026-fall-back-10-cdt",
        ),
        pytest.param(
            "America/Chicago",
            chicago(2026, 10, 28),
            utc(2026, 11, 2, 16),
            id="monday-after-2026-fall-back-10-cst",
        ),
    ],
)
def test_send_around_a_dst_change_stays_at_ten_local(
    recipient: str, bind: datetime, expected: datetime
) -> None:
    slot = send_window(recipient=recipient).first_slot_after(bind, 3)
    assert slot == expected
    assert slot.astimezone(ZoneInfo(recipient)).time() == time(10)


def test_send_hour_skipped_by_spring_forward_moves_to_the_end_of_the_gap() -> None:
    slot = send_window(send_hour=2).at_send_hour(date(2026, 3, 8))
    assert slot == utc(2026, 3, 8, 8)
    assert slot.astimezone(CHICAGO).time() == time(3)


def test_send_hour_repeated_by_fall_back_is_its_first_occurrence() -> None:
    # 01:00-01:59 happens twice on 2026-11-01: first at UTC-5 (06:00Z), then at UTC-6 (07:00Z).
    slot = send_window(send_hour=1).at_send_hour(date(2026, 11, 1))
    assert slot == utc(2026, 11, 1, 6)


def test_wall_time_in_a_skipped_day_moves_to_the_first_instant_after_the_gap() -> None:
    # Samoa jumped from the end of 2011-12-29 straight to 2011-12-31 (UTC-10 to UTC+14).
    window = send_window(recipient="Pacific/Apia")
    slot = window.at_send_hour(date(2011, 12, 30))
    assert slot == utc(2011, 12, 30, 10)
    assert slot.astimezone(ZoneInfo("Pacific/Apia")) == datetime(
        2011, 12, 31, tzinfo=ZoneInfo("Pacific/Apia")
    )


def test_business_day_the_recipients_zone_skips_is_not_sent_on() -> None:
    # Fri 2011-12-30 never happened in Samoa; its slot would be Saturday midnight, which is
    # neither a business day nor outside quiet hours. Mon Jan 2 is New Year's Day observed.
    apia = ZoneInfo("Pacific/Apia")
    window = send_window(recipient="Pacific/Apia")
    slot = window.next_slot(datetime(2011, 12, 29, 12, tzinfo=apia))
    assert slot.astimezone(apia) == datetime(2012, 1, 3, 10, tzinfo=apia)


# --- next slot and earliest allowed --------------------------------------------------------


def test_friday_night_is_moved_to_monday_at_ten() -> None:
    friday_night = chicago(2026, 6, 5, 22)
    assert send_window().next_slot(friday_night) == utc(2026, 6, 8, 15)
    assert send_window().earliest_allowed(friday_night) == utc(2026, 6, 8, 15)


def test_holiday_is_moved_to_the_next_business_day() -> None:
    thanksgiving_noon = chicago(2026, 11, 26, 12)
    assert send_window().earliest_allowed(thanksgiving_noon) == utc(2026, 11, 27, 16)


def test_allowed_instant_is_returned_unchanged() -> None:
    tuesday_afternoon = chicago(2026, 6, 2, 15, 17)
    allowed = send_window().earliest_allowed(tuesday_afternoon)
    assert allowed == tuesday_afternoon
    assert allowed.tzinfo is UTC


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(chicago(2026, 6, 2, 6, 30), utc(2026, 6, 2, 15), id="early-morning-same-day"),
        pytest.param(chicago(2026, 6, 2, 21, 30), utc(2026, 6, 3, 15), id="late-evening-next-day"),
    ],
)
def test_quiet_hour_instant_is_moved_to_the_next_send_hour(
    at: datetime, expected: datetime
) -> None:
    window = send_window()
    assert not window.is_allowed(at)
    assert window.earliest_allowed(at) == expected


def test_next_slot_at_a_slot_is_that_slot() -> None:
    assert send_window().next_slot(utc(2026, 6, 2, 15)) == utc(2026, 6, 2, 15)


def test_quiet_hours_are_read_in_the_recipients_zone() -> None:
    # 21:30 in Chicago is 19:30 in Los Angeles: quiet for one, not for the other.
    evening = chicago(2026, 6, 2, 21, 30)
    assert not send_window().is_allowed(evening)
    assert send_window(recipient="America/Los_Angeles").is_allowed(evening)


@pytest.mark.parametrize(
    ("send_hour", "quiet", "expected"),
    [
        pytest.param(8, QuietHours(time(7), time(9)), utc(2026, 6, 1, 14), id="moves-to-9-cdt"),
        pytest.param(22, NIGHT, utc(2026, 6, 1, 13), id="overnight-quiet-uses-that-days-8-cdt"),
    ],
)
def test_quiet_send_hour_moves_to_the_end_of_quiet_hours_that_day(
    send_hour: int, quiet: QuietHours, expected: datetime
) -> None:
    # Settings validation forbids a quiet send hour; the window still never sends inside one.
    window = send_window(send_hour=send_hour, quiet=quiet)
    assert window.next_slot(chicago(2026, 6, 1, 0)) == expected


def test_send_hour_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        send_window(send_hour=24)


# --- properties ----------------------------------------------------------------------------

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/St_Johns",
]

zones = st.sampled_from(ZONES).map(ZoneInfo)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31, 23, 59),
    timezones=st.sampled_from([UTC, *map(ZoneInfo, ZONES)]),
)
windows = st.builds(
    SendWindow,
    calendar=st.builds(
        BusinessCalendar, zone=zones, holidays=st.sampled_from(["US", "US-CA", "CA"])
    ),
    recipient=zones,
    send_hour=st.integers(min_value=8, max_value=20),
    quiet=st.just(NIGHT),
)


def recipient_local(window: SendWindow, instant: datetime) -> datetime:
    return instant.astimezone(window.recipient)


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` up to, not including, ``last``."""
    return [first + timedelta(days=n) for n in range((last - first).days)]


@settings(deadline=None, max_examples=200)
@given(window=windows, moment=moments, count=st.integers(min_value=0, max_value=5))
def test_first_slot_after_is_an_allowed_send_hour_after_the_delay(
    window: SendWindow, moment: datetime, count: int
) -> None:
    slot = window.first_slot_after(moment, count)
    local = recipient_local(window, slot)
    target = window.calendar.add_business_days(window.calendar.local_date(moment), count)

    assert not window.quiet.contains(local.time())
    assert window.calendar.is_business_day(local.date())
    assert slot > moment + timedelta(hours=1)
    assert local.date() >= target
    assert local.time() == time(window.send_hour)
    # and no earlier business day from the target on would have done
    for day in days_between(target, local.date()):
        earlier = window.at_send_hour(day)
        assert not window.calendar.is_business_day(day) or earlier <= moment + timedelta(hours=1)


@settings(deadline=None, max_examples=200)
@given(window=windows, after=moments)
def test_next_slot_is_the_first_allowed_send_hour_at_or_after(
    window: SendWindow, after: datetime
) -> None:
    slot = window.next_slot(after)
    local = recipient_local(window, slot)

    assert not window.quiet.contains(local.time())
    assert window.calendar.is_business_day(local.date())
    assert slot >= after
    assert local.time() == time(window.send_hour)
    for day in days_between(recipient_local(window, after).date(), local.date()):
        earlier = window.at_send_hour(day)
        assert not window.calendar.is_business_day(day) or earlier < after


@settings(deadline=None, max_examples=200)
@given(window=windows, at=moments)
def test_earliest_allowed_is_at_itself_or_the_next_slot(window: SendWindow, at: datetime) -> None:
    allowed = window.earliest_allowed(at)

    assert window.is_allowed(allowed)
    assert allowed >= at
    assert (allowed == at) is window.is_allowed(at)
    assert allowed.tzinfo is UTC
