"""The 24-hour message cap (research R11, test case 4): at most N referral messages to one
person in any rolling 24 hours; at the cap a message waits, it is never dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_engine.decisions.message_cap import DAY, cap_reason, cap_until

NOW = datetime(2026, 12, 2, 16, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("sent", "limit", "expected"),
    [
        pytest.param([], 1, None, id="nothing-sent-goes-now"),
        pytest.param([NOW - 2 * H], 1, NOW + 22 * H, id="one-today-waits-for-it-to-turn-24h-old"),
        pytest.param([NOW - DAY], 1, None, id="exactly-24h-old-no-longer-counts"),
        pytest.param(
            [NOW - DAY + timedelta(seconds=1)],
            1,
            NOW + timedelta(seconds=1),
            id="a-second-short-of-24h-still-counts",
        ),
        pytest.param([NOW - 20 * H, NOW - 10 * H], 3, None, id="two-of-three-goes-now"),
        pytest.param(
            [NOW - 20 * H, NOW - 10 * H, NOW - H],
            3,
            NOW + 4 * H,
            id="three-of-three-waits-for-the-oldest",
        ),
        pytest.param(
            [NOW - 30 * H, NOW - 20 * H, NOW - 10 * H, NOW - H],
            2,
            NOW + 14 * H,
            id="older-messages-do-not-count",
        ),
        pytest.param([NOW + H], 1, NOW + H + DAY, id="a-later-message-counts-too"),
    ],
)
def test_the_cap_holds_a_message_until_enough_earlier_ones_are_24_hours_old(
    sent: list[datetime], limit: int, expected: datetime | None
) -> None:
    assert cap_until(sent, limit=limit, at=NOW) == expected


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        cap_until([], limit=0, at=NOW)


def test_the_reason_says_how_many_what_limit_and_where_it_moved() -> None:
    reason = cap_reason(
        counted=1, limit=1, at=NOW, moved_to=NOW + 22 * H, zone=ZoneInfo("America/Chicago")
    )
    assert reason.rule == "frequency_cap"
    assert reason.detail == (
        "1 referral message went to this client in the 24 hours before Wed Dec 2 10:00; "
        "at most 1 in any 24 hours ([timing] max_messages_per_day) — moved to Thu Dec 3 08:00 "
        "America/Chicago"
    )


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=-48 * 60, max_value=0), max_size=6),
    limit=st.integers(min_value=1, max_value=3),
)
def test_at_the_moved_instant_the_cap_lets_it_go_and_never_earlier(
    offsets: list[int], limit: int
) -> None:
    sent = [NOW + timedelta(minutes=m) for m in offsets]
    until = cap_until(sent, limit=limit, at=NOW)
    if until is None:
        assert sum(1 for t in sent if t > NOW - DAY) < limit
        return
    assert until > NOW
    assert cap_until(sent, limit=limit, at=until) is None
    assert cap_until(sent, limit=limit, at=until - timedelta(seconds=1)) is not None
