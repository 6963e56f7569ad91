"""When a person is told, on which channels, and when a review reminder is due.

What a caller may rely on:

* Pure code: no database, no clock, no network. Every ``datetime`` argument must be
  timezone-aware; every ``datetime`` returned is in UTC.
* Channels: email when the person keeps email notifications on; a text as well when they
  gave a mobile *and* said yes to texts (their own consent). Nothing else.
* Quiet nights are the agency-local hours ``[21:00, 07:00)``. For a person who turned
  ``quiet_nights`` on, a notice that arises then is held until 07:00 (the same local day
  when it is after midnight, else the next); for everyone else it goes at once, day or
  night — it is their own work and their own phone.
* Review digests have two slots a day, 08:00 and 13:00 agency time, on the agency's
  business days. The slot of an instant is the latest slot of the same local day at or
  before it; there is none before 08:00 or on a day off. One digest per reviewer per
  slot, so never more than two a day; a slot missed (the worker was down) is not made
  up later the same day by a second digest.
* An ask waiting for review is warned about from the same wall-clock time two agency
  business days before the local date on which its warmth window ends (ends Friday
  15:00: warned from Wednesday 15:00; ends Monday: from the Thursday before). An ask
  that enters review later than that is warned at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from referral_engine.decisions.calendar import BusinessCalendar, QuietHours, wall_instant

QUIET_NIGHT = QuietHours(start=time(21), end=time(7))
DIGEST_SLOTS = (time(8), time(13))
EXPIRY_WARNING_BUSINESS_DAYS = 2


def channels(*, notify_email: bool, mobile: str | None, notify_sms: bool) -> tuple[str, ...]:
    """The channels a person is told on, in sending order (email first)."""
    chosen: list[str] = []
    if notify_email:
        chosen.append("email")
    if notify_sms and mobile and mobile.strip():
        chosen.append("sms")
    return tuple(chosen)


def deliver_at(now: datetime, zone: ZoneInfo, *, quiet_nights: bool) -> datetime:
    """When a notice arising at ``now`` may leave: ``now``, or 07:00 after a quiet night."""
    local = now.astimezone(zone)
    if not quiet_nights or not QUIET_NIGHT.contains(local.time()):
        return now.astimezone(UTC)
    day = local.date() if local.time() < QUIET_NIGHT.end else local.date() + timedelta(days=1)
    return wall_instant(day, QUIET_NIGHT.end, zone)


def digest_slot(now: datetime, calendar: BusinessCalendar) -> datetime | None:
    """The review-digest slot ``now`` falls in (UTC), or None before the first of the day
    or on a day that is not a business day."""
    day = calendar.local_date(now)
    if not calendar.is_business_day(day):
        return None
    started = [wall_instant(day, slot, calendar.zone) for slot in DIGEST_SLOTS]
    past = [slot for slot in started if slot <= now]
    return past[-1] if past else None


def has_news(entered_review: Iterable[datetime], last_digest: datetime | None) -> bool:
    """True when some waiting ask entered review after the reviewer's last digest (or
    there was none): a digest repeats nothing the reviewer was already told."""
    if last_digest is None:
        return any(True for _ in entered_review)
    return any(at > last_digest for at in entered_review)


def expiry_warning_from(expires_at: datetime, calendar: BusinessCalendar) -> datetime:
    """The instant from which an unreviewed ask's reviewer is warned that it will expire."""
    local = expires_at.astimezone(calendar.zone)
    day = _business_days_before(calendar, local.date(), EXPIRY_WARNING_BUSINESS_DAYS)
    return wall_instant(day, local.time().replace(tzinfo=None), calendar.zone)


def _business_days_before(calendar: BusinessCalendar, day: date, count: int) -> date:
    """The business day ``count`` business days before ``day`` (``day`` not counted)."""
    current = day
    while count:
        current -= timedelta(days=1)
        if calendar.is_business_day(current):
            count -= 1
    return current
