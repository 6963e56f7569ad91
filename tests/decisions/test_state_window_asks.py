"""An ask's time by the recipient's state, end to end: `referral import`, `referral tick
--now`, `GET /api/v1/asks`, on SQLite and PostgreSQL.

The bind is the INTERFACE.md example (Wednesday 25 Nov 2026, 15:30 Chicago): with the
default delay of 3 business days it is asked on Tuesday 1 Dec.
"""

from __future__ import annotations

from tests.agency import Agency, bind, detail, rules_of

IMPORTED = "2026-11-25T22:00:00Z"
DECIDED = "2026-11-25T23:00:00Z"


def test_a_connecticut_client_asked_at_0800_is_scheduled_at_0900(agency: Agency) -> None:
    agency.configure("[timing]\nsend_hour = 8\n")
    agency.feed(bind(client__mobile="860-555-0123", client__postal_code="06103"), now=IMPORTED)
    agency.tick(DECIDED)

    [listed] = agency.asks()
    assert listed["status"] == "scheduled"
    assert listed["scheduled_for"].startswith("2026-12-01T14:00:00")  # 09:00 Eastern
    assert "quiet_hours" in rules_of(listed)
    assert "Connecticut: no texts before 09:00 recipient-local (Conn. SB 1058)" in detail(
        listed, "quiet_hours"
    )
    assert detail(listed, "quiet_hours").endswith("moved to Tue Dec 1 09:00")


def test_an_illinois_client_keeps_the_send_hour_without_a_quiet_hours_reason(
    agency: Agency,
) -> None:
    agency.configure("[timing]\nsend_hour = 8\n")
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)

    [listed] = agency.asks()
    assert listed["scheduled_for"].startswith("2026-12-01T14:00:00")  # 08:00 Chicago
    assert "quiet_hours" not in rules_of(listed)


def test_a_washington_number_with_a_new_york_address_goes_when_both_allow(
    agency: Agency,
) -> None:
    """17:00 in Seattle is 20:00 in New York, where Washington's law (and the person) may be:
    that day the two places share 08:00-17:00 Pacific, so the ask goes at 08:00 Pacific."""
    agency.configure("[timing]\nsend_hour = 17\n")
    agency.feed(
        bind(client__mobile="+12065550123", client__postal_code="10001", client__state="NY"),
        now=IMPORTED,
    )
    agency.tick(DECIDED)

    [listed] = agency.asks()
    assert listed["scheduled_for"].startswith("2026-12-01T16:00:00")  # 08:00 PT, 11:00 ET
    reason = detail(listed, "quiet_hours")
    assert "Washington: no texts after 20:00 recipient-local (RCW 19.158.040)" in reason
    assert "America/New_York (address)" in reason


def test_the_state_named_by_the_event_wins_over_the_zip_codes(agency: Agency) -> None:
    agency.configure("[timing]\nsend_hour = 8\n")
    agency.feed(
        bind(
            client__mobile="+13125550123",
            client__postal_code="60601",
            client__timezone="America/New_York",
            client__state="CT",
        ),
        now=IMPORTED,
    )
    agency.tick(DECIDED)

    # Connecticut's 09:00 read in Chicago too (the ZIP code and the area code are there):
    # 10:00 Eastern.
    [listed] = agency.asks()
    assert listed["scheduled_for"].startswith("2026-12-01T15:00:00")
    assert "Connecticut" in detail(listed, "quiet_hours")
