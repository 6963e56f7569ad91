"""The instant the suite's second run pretends it is (see scripts/test).

No test may depend on the day it runs, so `scripts/test` runs the suite a second time with
the wall clock moved by libfaketime. The instant comes from the commit under test, so a
failure reproduces: `REFERRAL_TEST_CLOCK=<the printed instant> scripts/test`.

    python3 scripts/shifted_clock.py target   # ISO instant: REFERRAL_TEST_CLOCK, else from HEAD
    python3 scripts/shifted_clock.py offset T # seconds from the real now to T, for faketime -f

From the commit's hash, one of four kinds of day within four years of the commit's date:
any minute of any day, a US daylight-saving change (in the small hours of Chicago), New
Year's Eve 23:30 in Chicago, or a leap day / month end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
YEARS = 4


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _last_day(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def target_for(commit: str, committed: datetime) -> datetime:
    """The shifted instant (aware UTC) for a commit hash and its commit date."""
    seed = int(commit[:16], 16) if commit else 0
    kind, seed = seed % 4, seed // 4
    year = committed.year + 1 + seed % YEARS
    seed //= YEARS
    if kind == 0:
        minutes = seed % (YEARS * 365 * 24 * 60)
        return (committed + timedelta(days=1, minutes=minutes)).astimezone(UTC)
    if kind == 1:
        day = _nth_sunday(year, 3, 2) if seed % 2 else _nth_sunday(year, 11, 1)
        local = datetime.combine(day, time(1, 30 + seed // 2 % 30), tzinfo=CHICAGO)
        return (local + timedelta(hours=seed // 60 % 3)).astimezone(UTC)
    if kind == 2:
        return datetime(year - 1, 12, 31, 23, 30, tzinfo=CHICAGO).astimezone(UTC)
    leap = next(y for y in range(year, year + 4) if y % 4 == 0 and (y % 100 or y % 400 == 0))
    day = date(leap, 2, 29) if seed % 2 else _last_day(year, 1 + seed // 2 % 12)
    return datetime.combine(day, time(22, 45), tzinfo=CHICAGO).astimezone(UTC)


def target() -> datetime:
    pinned = os.environ.get("REFERRAL_TEST_CLOCK")
    if pinned:
        value = datetime.fromisoformat(pinned.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    commit = _git("rev-parse", "HEAD") or ""
    committed = _git("show", "-s", "--format=%cI", "HEAD")
    when = datetime.fromisoformat(committed) if committed else datetime(2026, 1, 1, tzinfo=UTC)
    return target_for(commit, when)


def main(argv: list[str]) -> int:
    if argv[:1] == ["target"]:
        print(target().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        return 0
    if argv[:1] == ["offset"] and len(argv) == 2:
        instant = datetime.fromisoformat(argv[1].replace("Z", "+00:00"))
        # The one place outside the product that must read the real clock: the distance to it.
        print(int((instant - datetime.now(UTC)).total_seconds()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
