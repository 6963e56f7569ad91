"""The law's send windows by the recipient's state (research/compliance.md R6, R7, §2 and its
test case 3), read from compliance/states.toml.

Unless a test says otherwise: the shipped rules, an agency in America/Chicago with the "US"
calendar, send hour 10:00 recipient-local and quiet hours 21:00-08:00. Instants are written
in the recipient's local zone with the UTC reading beside them where it matters.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from referral_engine.compliance.states import compliance_rules
from referral_engine.decisions.rules import Rulebook, quiet_hours_reason
from referral_engine.decisions.send_windows import LegalWindows, legal_windows, window_for
from referral_engine.settings import AgencySettings

CHICAGO = ZoneInfo("America/Chicago")
EASTERN = ZoneInfo("America/New_York")
PACIFIC = ZoneInfo("America/Los_Angeles")
RULES = compliance_rules()

FLORIDA_MOBILE = "+13055550123"  # 305, Miami
WASHINGTON_MOBILE = "+12065550123"  # 206, Seattle
CONNECTICUT_MOBILE = "+18605550123"  # 860, Hartford
TEXAS_MOBILE = "+15125550123"  # 512, Austin
ILLINOIS_MOBILE = "+13125550123"  # 312, Chicago
NEW_YORK_ZIP = "10001"


def book(**changes: object) -> Rulebook:
    settings = AgencySettings.from_mapping({"timing": changes}) if changes else AgencySettings()
    return Rulebook.from_settings(settings)


def legal(
    *,
    recipient: ZoneInfo = CHICAGO,
    mobile: str | None = None,
    state: str | None = None,
    postal_code: str | None = None,
    timezone: str | None = None,
) -> LegalWindows:
    return legal_windows(
        RULES,
        recipient=recipient,
        timezone=timezone,
        mobile=mobile,
        state=state,
        postal_code=postal_code,
    )


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


# --- the research doc's cases (test case 3) ---------------------------------------------------


def test_a_text_at_2015_to_a_florida_305_number_waits_for_the_morning() -> None:
    florida = legal(recipient=EASTERN, mobile=FLORIDA_MOBILE)
    at = local(EASTERN, 2026, 12, 1, 20, 15)  # Tuesday

    assert florida.refusal(at) is not None
    assert florida.refusal(at).startswith(  # type: ignore[union-attr]
        "Florida: no texts after 20:00 recipient-local (Fla. Stat. 501.616(6))"
    )
    assert florida.earliest_allowed(at) == local(EASTERN, 2026, 12, 2, 8).astimezone(UTC)
    assert florida.allows(local(EASTERN, 2026, 12, 1, 19, 59))


def test_a_florida_client_texted_at_2015_gets_the_next_send_slot_with_the_reason() -> None:
    window, _ = window_for(book(), timezone=None, mobile=FLORIDA_MOBILE)
    at = local(EASTERN, 2026, 12, 1, 20, 15)

    moved = window.earliest_allowed(at)

    assert moved == local(EASTERN, 2026, 12, 2, 10).astimezone(UTC)  # Wed 10:00, the send hour
    detail = quiet_hours_reason(window, at, moved).detail
    assert "Florida: no texts after 20:00 recipient-local (Fla. Stat. 501.616(6))" in detail
    assert detail.endswith("moved to Wed Dec 2 10:00")


def test_a_sunday_send_to_a_texas_client_starts_at_noon() -> None:
    texas = legal(state="TX")
    sunday_morning = local(CHICAGO, 2026, 12, 6, 9, 30)

    assert texas.earliest_allowed(sunday_morning) == local(CHICAGO, 2026, 12, 6, 12).astimezone(UTC)
    assert "Texas: no texts before 12:00 recipient-local on Sundays" in (
        texas.refusal(sunday_morning) or ""
    )


def test_a_monday_send_to_a_texas_client_starts_at_nine() -> None:
    texas = legal(state="TX")

    assert texas.earliest_allowed(local(CHICAGO, 2026, 12, 7, 8, 30)) == local(
        CHICAGO, 2026, 12, 7, 9
    ).astimezone(UTC)


def test_a_washington_number_with_a_new_york_address_is_deferred_at_2030_eastern() -> None:
    both = legal(recipient=PACIFIC, mobile=WASHINGTON_MOBILE, postal_code=NEW_YORK_ZIP)
    at = local(EASTERN, 2026, 12, 1, 20, 30)  # 17:30 in Seattle

    assert both.address_state == "NY" and both.mobile_state == "WA"
    assert both.refusal(at) == (
        "Washington: no texts after 20:00 recipient-local (RCW 19.158.040); "
        "Tue 20:30 America/New_York (address)"
    )
    # Both places, both laws: federal 08:00-21:00 read in Seattle opens at 11:00 Eastern,
    # Washington's 20:00 read in New York closes at 20:00 Eastern.
    assert both.earliest_allowed(at) == local(EASTERN, 2026, 12, 2, 11).astimezone(UTC)
    assert both.intervals(local(EASTERN, 2026, 12, 2, 0), local(EASTERN, 2026, 12, 3, 0)) == [
        (local(EASTERN, 2026, 12, 2, 11).astimezone(UTC), local(EASTERN, 2026, 12, 2, 20))
    ]


def test_connecticut_0830_is_deferred_to_0900() -> None:
    connecticut = legal(recipient=EASTERN, state="CT")
    at = local(EASTERN, 2026, 12, 1, 8, 30)

    assert connecticut.earliest_allowed(at) == local(EASTERN, 2026, 12, 1, 9).astimezone(UTC)
    assert "Connecticut: no texts before 09:00 recipient-local (Conn. SB 1058)" in (
        connecticut.refusal(at) or ""
    )


def test_a_connecticut_client_with_an_0800_send_hour_is_sent_at_0900_with_the_reason() -> None:
    window, _ = window_for(book(send_hour=8), timezone=None, mobile=CONNECTICUT_MOBILE)

    slot = window.first_slot_after(local(EASTERN, 2026, 11, 25, 16, 30), 3)

    assert slot == local(EASTERN, 2026, 12, 1, 9).astimezone(UTC)  # Tue, after Thanksgiving
    wanted = window.moved_from(slot)
    assert wanted == local(EASTERN, 2026, 12, 1, 8).astimezone(UTC)
    reason = quiet_hours_reason(window, wanted, slot)
    assert reason.rule == "quiet_hours" and "Connecticut" in reason.detail


def test_an_illinois_client_has_the_federal_window_only() -> None:
    illinois = legal(mobile=ILLINOIS_MOBILE, postal_code="60601")

    assert [rule.where for rule in illinois.rules] == ["US"]
    assert illinois.allows(local(CHICAGO, 2026, 12, 1, 20, 59))
    assert not illinois.allows(local(CHICAGO, 2026, 12, 1, 21))
    assert not illinois.allows(local(CHICAGO, 2026, 12, 1, 7, 59))


def test_the_address_state_comes_from_the_zip_code_when_none_is_given() -> None:
    assert legal(postal_code="33101").address_state == "FL"
    assert legal(state="GA", postal_code="33101").address_state == "GA"


def test_a_toll_free_number_adds_no_state_and_no_zone() -> None:
    toll_free = legal(mobile="+18005550123")

    assert toll_free.mobile_state is None
    assert [p.zone.key for p in toll_free.places] == ["America/Chicago"]


# --- each state's window, as the research table gives it --------------------------------------

TUESDAY, SUNDAY = date(2026, 12, 1), date(2026, 12, 6)
ZONE_OF = {"FL": EASTERN, "OK": CHICAGO, "MD": EASTERN, "WA": PACIFIC, "CT": EASTERN}
ZONE_OF |= {"VA": EASTERN, "TX": CHICAGO, "IL": CHICAGO, "AL": CHICAGO, "LA": CHICAGO}
ZONE_OF |= {"MS": CHICAGO, "RI": EASTERN}


def _open_hours(state: str, day: date) -> list[tuple[time, time]]:
    zone = ZONE_OF[state]
    start = datetime.combine(day, time(0), zone)
    found = legal(recipient=zone, state=state).intervals(start, start + timedelta(days=1))
    return [(a.astimezone(zone).time(), b.astimezone(zone).time()) for a, b in found]


@pytest.mark.parametrize(
    ("state", "day", "opens", "closes"),
    [
        pytest.param("IL", TUESDAY, time(8), time(21), id="federal"),
        pytest.param("FL", TUESDAY, time(8), time(20), id="FL"),
        pytest.param("OK", TUESDAY, time(8), time(20), id="OK"),
        pytest.param("MD", TUESDAY, time(8), time(20), id="MD"),
        pytest.param("WA", TUESDAY, time(8), time(20), id="WA"),
        pytest.param("CT", TUESDAY, time(9), time(20), id="CT"),
        pytest.param("VA", TUESDAY, time(8), time(21), id="VA"),
        pytest.param("TX", TUESDAY, time(9), time(21), id="TX-weekday"),
        pytest.param("TX", SUNDAY, time(12), time(21), id="TX-sunday"),
        pytest.param("AL", TUESDAY, time(8), time(21), id="AL-weekday"),
    ],
)
def test_each_state_window_opens_and_closes_as_the_research_says(
    state: str, day: date, opens: time, closes: time
) -> None:
    assert _open_hours(state, day) == [(opens, closes)]


@pytest.mark.parametrize("state", ["AL", "LA", "MS", "RI"], ids=lambda s: f"{s}-sunday")
def test_sunday_is_closed_where_vendor_tables_say_so(state: str) -> None:
    assert _open_hours(state, SUNDAY) == []


# --- daylight-saving days -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "recipient", "at", "expected_utc"),
    [
        pytest.param(
            "FL",
            EASTERN,
            local(EASTERN, 2026, 3, 8, 7, 30),  # spring forward: 08:00 EDT is 12:00 UTC
            datetime(2026, 3, 8, 12, tzinfo=UTC),
            id="florida-spring-forward-opens-at-0800-edt",
        ),
        pytest.param(
            "FL",
            EASTERN,
            datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 02:30 EST does not exist; 03:30 EDT
            datetime(2026, 3, 8, 12, tzinfo=UTC),
            id="florida-from-inside-the-skipped-hour",
        ),
        pytest.param(
            "TX",
            CHICAGO,
            local(CHICAGO, 2026, 3, 8, 10),  # a Sunday: noon CDT is 17:00 UTC
            datetime(2026, 3, 8, 17, tzinfo=UTC),
            id="texas-sunday-spring-forward-opens-at-noon-cdt",
        ),
        pytest.param(
            "WA",
            PACIFIC,
            local(PACIFIC, 2026, 3, 8, 20, 30),  # after 20:00 PDT: Monday 08:00 PDT
            datetime(2026, 3, 9, 15, tzinfo=UTC),
            id="washington-evening-of-spring-forward",
        ),
        pytest.param(
            "CT",
            EASTERN,
            local(EASTERN, 2026, 11, 1, 8, 30),  # fall back: 09:00 EST is 14:00 UTC
            datetime(2026, 11, 1, 14, tzinfo=UTC),
            id="connecticut-fall-back-opens-at-0900-est",
        ),
    ],
)
def test_windows_are_wall_clock_hours_across_daylight_saving_changes(
    state: str, recipient: ZoneInfo, at: datetime, expected_utc: datetime
) -> None:
    assert legal(recipient=recipient, state=state).earliest_allowed(at) == expected_utc


def test_a_florida_send_slot_on_the_monday_after_spring_forward_is_1000_edt() -> None:
    window, _ = window_for(book(), timezone=None, mobile=FLORIDA_MOBILE, state="FL")

    assert window.next_slot(local(EASTERN, 2026, 3, 6, 20, 30)) == datetime(
        2026, 3, 9, 14, tzinfo=UTC
    )


# --- the law and the agency's quiet hours: the stricter wins ------------------------------------


def test_agency_quiet_hours_stricter_than_the_law_still_apply() -> None:
    window, _ = window_for(
        book(quiet_start="19:00", quiet_end="09:30"), timezone=None, mobile=FLORIDA_MOBILE
    )
    assert not window.is_allowed(local(EASTERN, 2026, 12, 1, 19, 30))  # Florida allows it
    assert (
        window.why_not(local(EASTERN, 2026, 12, 1, 19, 30)) == "is inside quiet hours 19:00–09:30"
    )


def test_the_law_stricter_than_agency_quiet_hours_wins() -> None:
    window, _ = window_for(book(), timezone=None, mobile=FLORIDA_MOBILE)
    assert not window.is_allowed(local(EASTERN, 2026, 12, 1, 20, 30))  # quiet hours allow it


def test_a_send_hour_the_law_closes_falls_back_to_the_days_first_allowed_instant() -> None:
    # 20:00 is outside quiet hours but Florida closes at 20:00: that day's slot opens at 08:00.
    window, _ = window_for(book(send_hour=20), timezone=None, mobile=FLORIDA_MOBILE)

    assert window.next_slot(local(EASTERN, 2026, 12, 1, 7)) == local(
        EASTERN, 2026, 12, 1, 8
    ).astimezone(UTC)
