"""Properties of the law's send windows across states, zones and daylight-saving days: a
scheduled send is always inside every applicable window, never earlier than the instant
asked for, and allowed exactly when every applicable state allows it in every zone the
person may be in (research/compliance.md R6, R7)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from referral_engine.compliance.places import (
    state_of_mobile,
    state_of_postal_code,
    zone_of_postal_code,
)
from referral_engine.compliance.states import compliance_rules
from referral_engine.decisions import rules
from referral_engine.decisions.calendar import BusinessCalendar, QuietHours, mobile_zones
from referral_engine.decisions.rules import Rulebook
from referral_engine.decisions.send_windows import LegalWindows, legal_windows
from referral_engine.settings import AgencySettings

CHICAGO = ZoneInfo("America/Chicago")
RULES = compliance_rules()
FLORIDA_MOBILE = "+13055550123"
WASHINGTON_MOBILE = "+12065550123"
CONNECTICUT_MOBILE = "+18605550123"
TEXAS_MOBILE = "+15125550123"
NEW_YORK_ZIP = "10001"


def book(send_hour: int) -> Rulebook:
    return Rulebook.from_settings(AgencySettings.from_mapping({"timing": {"send_hour": send_hour}}))


def legal(recipient: ZoneInfo = CHICAGO, **client: str | None) -> LegalWindows:
    return legal_windows(RULES, recipient=recipient, **client)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

MOBILES = [
    None,
    FLORIDA_MOBILE,
    WASHINGTON_MOBILE,
    CONNECTICUT_MOBILE,
    TEXAS_MOBILE,
    "+13125550123",  # IL
    "+14055550123",  # OK
    "+14105550123",  # MD
    "+12125550123",  # NY
    "+18085550123",  # HI
    "+19072525555",  # AK
    "+16025550123",  # AZ (no daylight saving)
    "+18005550123",  # toll-free
]
POSTAL_CODES = [None, "33101", "98101", "06103", "73301", "60601", NEW_YORK_ZIP, "96813", "85001"]
STATES = [None, "FL", "WA", "CT", "TX", "OK", "MD", "VA", "AL", "NY", "IL", "CA"]
ZONES = [
    None,
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
]
# 2026-2027, with extra weight on the days clocks change.
TRANSITIONS = [date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7)]
instants = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    st.builds(
        lambda day, minutes: datetime.combine(day, time(0), UTC) + timedelta(minutes=minutes),
        st.sampled_from(TRANSITIONS),
        st.integers(min_value=0, max_value=36 * 60),
    ),
)
clients = st.fixed_dictionaries(
    {
        "mobile": st.sampled_from(MOBILES),
        "postal_code": st.sampled_from(POSTAL_CODES),
        "state": st.sampled_from(STATES),
        "timezone": st.sampled_from(ZONES),
    }
)


def _expected_zones(client: dict[str, str | None], recipient: ZoneInfo) -> set[str]:
    zones = {recipient.key}
    zones |= {
        key for key in (client["timezone"], zone_of_postal_code(client["postal_code"])) if key
    }
    if state_of_mobile(client["mobile"]):
        zones |= {zone.key for zone in mobile_zones(client["mobile"])}
    return zones


def _every_rule_allows(client: dict[str, str | None], at: datetime, zones: set[str]) -> bool:
    address = client["state"] or state_of_postal_code(client["postal_code"])
    applicable = RULES.send_windows(address, state_of_mobile(client["mobile"]))
    return all(
        rule.refusal(at.astimezone(ZoneInfo(zone))) is None for rule in applicable for zone in zones
    )


@settings(max_examples=300, deadline=None)
@given(client=clients, at=instants)
def test_the_earliest_allowed_instant_is_inside_every_applicable_window(
    client: dict[str, str | None], at: datetime
) -> None:
    windows = legal(recipient=CHICAGO, **client)
    allowed = windows.earliest_allowed(at)

    assert allowed is not None
    assert allowed >= at, "never earlier than the candidate"
    assert _every_rule_allows(client, allowed, _expected_zones(client, CHICAGO))
    if allowed > at:  # and it is the first such instant
        assert not windows.allows(allowed - timedelta(seconds=1))


@settings(max_examples=300, deadline=None)
@given(client=clients, at=instants)
def test_an_instant_is_allowed_exactly_when_every_state_allows_it_in_every_zone(
    client: dict[str, str | None], at: datetime
) -> None:
    """The intersection rule: address state and area-code state, each read in every zone the
    person may be in — no stricter and no looser."""
    windows = legal(recipient=CHICAGO, **client)
    assert {p.zone.key for p in windows.places} == _expected_zones(client, CHICAGO)
    assert windows.allows(at) == _every_rule_allows(client, at, _expected_zones(client, CHICAGO))


@settings(max_examples=150, deadline=None)
@given(
    address=st.sampled_from(["33101", "98101", "06103", NEW_YORK_ZIP, "60601", "96813"]),
    mobile=st.sampled_from([FLORIDA_MOBILE, WASHINGTON_MOBILE, CONNECTICUT_MOBILE, TEXAS_MOBILE]),
    at=instants,
)
def test_when_address_and_area_code_disagree_a_send_suits_both(
    address: str, mobile: str, at: datetime
) -> None:
    assume(state_of_postal_code(address) != state_of_mobile(mobile))
    windows = legal(recipient=CHICAGO, mobile=mobile, postal_code=address)
    allowed = windows.earliest_allowed(at)

    assert allowed is not None and allowed >= at
    for state in (state_of_postal_code(address), state_of_mobile(mobile)):
        alone = legal(recipient=CHICAGO, state=state)
        state_rule = RULES.state(state)
        if state_rule is not None and state_rule.send_window is not None:
            for place in windows.places:
                assert state_rule.send_window.refusal(allowed.astimezone(place.zone)) is None
        assert alone.allows(allowed)


@settings(max_examples=200, deadline=None)
@given(client=clients, at=instants, send_hour=st.integers(min_value=8, max_value=20))
def test_a_scheduled_send_is_always_inside_every_applicable_window(
    client: dict[str, str | None], at: datetime, send_hour: int
) -> None:
    window, _ = rules.window_for(book(send_hour), **client)  # type: ignore[arg-type]

    slot = window.earliest_allowed(at)
    first = window.first_slot_after(at, 3)

    for instant in (slot, first):
        assert instant >= at
        assert window.is_allowed(instant)
        local_time = instant.astimezone(window.recipient)
        assert not QuietHours(time(21), time(8)).contains(local_time.time())
        assert BusinessCalendar(CHICAGO).is_business_day(local_time.date())
        assert _every_rule_allows(client, instant, _expected_zones(client, window.recipient))
