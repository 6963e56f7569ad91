"""Business days, recipient time zones, quiet hours and send slots: *when* an ask goes out.

What a caller may rely on:

* Pure code: no database, no clock, no network. Every ``datetime`` argument must be
  timezone-aware (a naive one raises ``ValueError``); every ``datetime`` returned is in UTC.
* Business days are the *agency's*: Monday to Friday, minus the public holidays of the
  agency's calendar (``"US"``, ``"US-TX"``, ``"CA-ON"``, ... as the ``holidays`` package knows
  them). Observed dates count: a Saturday July 4 observed on Friday July 3 makes that Friday
  a holiday.
* A delay is counted from the moment's local date in the *agency* zone: a bind at 23:30 on a
  Monday in Chicago counts from Monday, whatever the UTC date. The starting day itself is
  never counted; weekends and holidays are skipped. A delay of 0 means "that day if it is a
  business day, else the next one".
* The ask goes out at ``send_hour`` in the *recipient's* zone (see ``recipient_zone``), on a
  recipient-local date that is an agency business day and no earlier than the counted date,
  and never within an hour of the moment that triggered it.
* Quiet hours are recipient-local, the half-open interval ``[start, end)``, wrapping midnight.
  Settings validation already keeps ``send_hour`` outside them, but ``SendWindow`` does not
  rely on that: on a day whose send hour is quiet, the slot is ``quiet.end`` on that day, so
  a slot is never inside quiet hours.
* The law's hours (``SendWindow.legal``, see :mod:`referral_engine.decisions.send_windows`)
  apply on top of quiet hours, the stricter winning: a day's slot is the first instant at or
  after its send hour that both allow, else the first instant of that day they allow, else
  the day has no slot.
* Local wall times that do not exist (spring forward) move to the first instant after the
  gap; ambiguous ones (fall back) take the first occurrence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from holidays import HolidayBase, country_holidays
from phonenumbers import timezone as phone_timezones

_ONE_DAY = timedelta(days=1)
# "Never the same hour as the bind": a slot must be later than this after the moment.
_SAME_HOUR = timedelta(hours=1)

# A holidays object fills in a year on its first lookup, but marks the year as done *before*
# filling it: another thread reading meanwhile would see that year without holidays. The
# objects are shared through the cache, so every lookup takes this lock.
_HOLIDAY_LOOKUP = threading.Lock()

# Zone keys that load but name no place: the host's own zone and tzdata placeholders.
_NOT_A_PLACE = frozenset({"localtime", "posixrules", "Factory", "Etc/Unknown"})
# A window that allows no instant for this long never will: stop looking rather than loop.
_SEARCH_DAYS = 400


def in_quiet_hours_local(t: time, quiet_start: time, quiet_end: time) -> bool:
    """True when local time ``t`` is in [quiet_start, quiet_end), wrapping midnight.

    Equal start and end means there are no quiet hours.
    """
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= t < quiet_end
    return t >= quiet_start or t < quiet_end


@lru_cache(maxsize=32)
def _public_holidays(country: str, subdivision: str | None) -> HolidayBase:
    return country_holidays(country, subdiv=subdivision)


def _holidays_for(code: str) -> HolidayBase:
    country, _, subdivision = code.partition("-")
    try:
        return _public_holidays(country, subdivision or None)
    except NotImplementedError as exc:
        raise ValueError(f"unknown holiday calendar {code!r}") from exc


def _aware(instant: datetime) -> datetime:
    """``instant`` in UTC; a naive datetime is refused rather than guessed at."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: a timezone-aware one is needed")
    return instant.astimezone(UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    """The agency's working days and the zone in which a moment's date is read.

    Construction raises ``ValueError`` for an unknown holiday calendar code.
    """

    zone: ZoneInfo
    holidays: str = "US"

    def __post_init__(self) -> None:
        # Fail when the calendar is built, not at the first lookup deep inside a decision.
        _holidays_for(self.holidays)

    @classmethod
    def for_agency(cls, timezone: str, holidays: str) -> BusinessCalendar:
        """The calendar of an agency's settings; ``ValueError`` for an unknown zone or calendar."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {timezone!r}") from exc
        return cls(zone=zone, holidays=holidays)

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday (observed dates included)."""
        return day.weekday() < 5 and self.holiday_name(day) is None

    def add_business_days(self, day: date, count: int) -> date:
        """The date ``count`` business days after ``day``, not counting ``day`` itself.

        ``count=0`` gives ``day`` when it is a business day, else the next business day.
        ``ValueError`` for a negative count.
        """
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        if count == 0:
            return self.next_business_day_on_or_after(day)
        current = day
        while count:
            current += _ONE_DAY
            if self.is_business_day(current):
                count -= 1
        return current

    def next_business_day_on_or_after(self, day: date) -> date:
        """``day`` if it is a business day, else the first business day after it."""
        current = day
        while not self.is_business_day(current):
            current += _ONE_DAY
        return current

    def local_date(self, instant: datetime) -> date:
        """The date of an aware ``instant`` in the agency zone."""
        return _aware(instant).astimezone(self.zone).date()

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name on ``day`` ("Thanksgiving Day"), or None.

        Several holidays on one day are joined with "; ", as the ``holidays`` package does.
        """
        calendar = _holidays_for(self.holidays)
        with _HOLIDAY_LOOKUP:
            name = calendar.get(day)
        return None if name is None else str(name)


@dataclass(frozen=True)
class QuietHours:
    """Recipient-local hours in which nothing is sent: ``[start, end)``, wrapping midnight.

    Equal ``start`` and ``end`` means no quiet hours.
    """

    start: time
    end: time

    def contains(self, local: time) -> bool:
        """True when the wall-clock time ``local`` is quiet; a tzinfo on it is ignored."""
        return in_quiet_hours_local(local.replace(tzinfo=None), self.start, self.end)


@dataclass(frozen=True)
class RecipientZone:
    """The zone an ask is timed in, and where it came from.

    ``basis`` is ``"client"`` (the client's own timezone field), ``"mobile"`` (derived from
    the phone number) or ``"agency"`` (nothing better was known).
    """

    zone: ZoneInfo
    basis: str


def _zone_or_none(key: str | None) -> ZoneInfo | None:
    if key is None:
        return None
    key = key.strip()
    if not key or key in _NOT_A_PLACE:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def mobile_zones(mobile: str | None) -> list[ZoneInfo]:
    """The zones the number may be in, sorted by key; empty when it says nothing usable."""
    if mobile is None or not mobile.strip():
        return []
    try:
        number = phonenumbers.parse(mobile, None)
    except phonenumbers.NumberParseException:
        return []
    keys = sorted(set(phone_timezones.time_zones_for_number(number)))
    return [zone for key in keys if (zone := _zone_or_none(key)) is not None]


def recipient_zone(
    *, client_timezone: str | None, mobile: str | None, agency_zone: ZoneInfo
) -> RecipientZone:
    """The zone to time an ask to this client in. Never raises on bad input.

    In order: the client's timezone field when it is a valid IANA zone; else the zone of the
    E.164 ``mobile`` number (when the number spans several zones, the agency zone if it is one
    of them, else the first in sorted order); else the agency zone.
    """
    client = _zone_or_none(client_timezone)
    if client is not None:
        return RecipientZone(zone=client, basis="client")
    candidates = mobile_zones(mobile)
    if candidates:
        # A number spanning several zones (a toll-free or national mobile range) most likely
        # belongs to someone near the agency; otherwise any fixed choice keeps it deterministic.
        chosen = next((z for z in candidates if z.key == agency_zone.key), candidates[0])
        return RecipientZone(zone=chosen, basis="mobile")
    return RecipientZone(zone=agency_zone, basis="agency")


def wall_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``zone``.

    An ambiguous wall time (fall back) gives its first occurrence; a skipped one (spring
    forward) gives the first instant after the gap.
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    earlier = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) == naive:
        return earlier
    # Skipped: fold=0 reads the wall time with the offset from before the jump, which lands
    # after the gap; fold=1 reads it with the offset from after, which lands before. The gap
    # ends at the transition between the two.
    before_gap = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return _transition(before_gap, earlier, zone)


def _transition(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (low, high] whose UTC offset in ``zone`` differs from low's."""
    offset = low.astimezone(zone).utcoffset()
    # Transitions fall on whole seconds, so bisecting to one microsecond lands on one exactly.
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high


class LegalHours(Protocol):
    """The law's hours for one recipient, as :class:`SendWindow` reads them (implemented by
    :class:`referral_engine.decisions.send_windows.LegalWindows`)."""

    def refusal(self, at: datetime) -> str | None:
        """Why nothing may reach the recipient at ``at``, or None when the law allows it."""
        ...

    def earliest_allowed(self, at: datetime, *, before: datetime) -> datetime | None:
        """The first instant in ``[at, before)`` the law allows, or None."""
        ...


@dataclass(frozen=True)
class SendWindow:
    """When an ask to one recipient may go out: the agency's business days, the recipient's
    zone, send hour and quiet hours, and the law's hours (``legal``; None: quiet hours only).

    Each business day has one *slot*: ``send_hour:00`` recipient-local on that day, or, should
    that hour be quiet, ``quiet.end`` on that day; when the law forbids that instant, the first
    later instant of the day that quiet hours and the law allow (else the day's first such
    instant; else the day has none). Every slot returned lies on an agency business day (its
    recipient-local date), outside quiet hours and inside the law's hours.
    ``ValueError`` at construction for a ``send_hour`` outside 0..23.
    """

    calendar: BusinessCalendar
    recipient: ZoneInfo
    send_hour: int
    quiet: QuietHours
    legal: LegalHours | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.send_hour <= 23:
            raise ValueError(f"send_hour must be 0..23, got {self.send_hour}")

    def at_send_hour(self, day: date) -> datetime:
        """The UTC instant of ``send_hour:00`` recipient-local on ``day``.

        On a spring-forward day where that hour does not exist, the first instant after the
        gap (03:00 for a 02:00 send hour); on a fall-back day, the first occurrence. Neither
        business days nor quiet hours are considered here.
        """
        return wall_instant(day, time(self.send_hour), self.recipient)

    def first_slot_after(self, moment: datetime, count: int) -> datetime:
        """The instant an ask triggered at ``moment`` goes out, ``count`` business days later.

        The target date is ``count`` agency business days after the moment's agency-local
        date; the result is the first slot on a recipient-local date on or after it that is
        strictly later than one hour after ``moment`` (so never in the moment's clock hour).
        """
        start = _aware(moment)
        target = self.calendar.add_business_days(self.calendar.local_date(start), count)
        not_before = start + _SAME_HOUR
        return next(slot for slot in self._slots_from(target) if slot > not_before)

    def next_slot(self, after: datetime) -> datetime:
        """The first slot at or after ``after``, searching from its recipient-local date."""
        start = _aware(after)
        first_day = start.astimezone(self.recipient).date()
        return next(slot for slot in self._slots_from(first_day) if slot >= start)

    def earliest_allowed(self, at: datetime) -> datetime:
        """``at`` itself (in UTC) when ``is_allowed(at)``, else ``next_slot(at)``."""
        return _aware(at) if self.is_allowed(at) else self.next_slot(at)

    def is_allowed(self, at: datetime) -> bool:
        """True when ``at`` falls, recipient-local, on a business day and outside quiet hours,
        and the law's hours allow it."""
        return self.why_not(at) is None

    def why_not(self, at: datetime) -> str | None:
        """Why nothing may go out at ``at``, worded to follow "<instant> ": "is inside quiet
        hours 21:00–08:00", "is not a business day", "is outside the law's hours — Florida:
        no texts after 20:00 recipient-local (Fla. Stat. 501.616(6)) …"; None when allowed."""
        local = _aware(at).astimezone(self.recipient)
        if self.quiet.contains(local.time()):
            return f"is inside quiet hours {self.quiet.start:%H:%M}–{self.quiet.end:%H:%M}"
        if not self.calendar.is_business_day(local.date()):
            return "is not a business day"
        refusal = self.legal.refusal(at) if self.legal is not None else None
        return None if refusal is None else f"is outside the law's hours — {refusal}"

    def moved_from(self, slot: datetime) -> datetime | None:
        """The send-hour instant of ``slot``'s recipient-local day when the slot is elsewhere
        because that instant is not allowed (quiet hours, the law); None when it is not moved."""
        wanted = self.at_send_hour(_aware(slot).astimezone(self.recipient).date())
        return wanted if wanted != slot and self.why_not(wanted) is not None else None

    def _slots_from(self, day: date) -> Iterator[datetime]:
        """The allowed slots of ``day`` and each later business day, in order.

        ``ValueError`` when no day in the next ``_SEARCH_DAYS`` has one (the law's zones
        leave no common hour): rather an error than a worker stuck in a loop.
        """
        empty = 0
        while empty < _SEARCH_DAYS:
            slot = self._slot_on(day) if self.calendar.is_business_day(day) else None
            # Only a zone jumping across the send hour or a whole day could make a slot
            # disallowed; skipping that day keeps every returned slot allowed.
            if slot is not None and self.is_allowed(slot):
                empty = 0
                yield slot
            else:
                empty += 1
            day += _ONE_DAY
        raise ValueError(f"no instant is allowed for {_SEARCH_DAYS} days from {day}")

    def _slot_on(self, day: date) -> datetime | None:
        send = self.at_send_hour(day)
        if self.quiet.contains(send.astimezone(self.recipient).time()):
            send = wall_instant(day, self.quiet.end, self.recipient)
        if self.legal is None or self.legal.refusal(send) is None:
            return send
        start = wall_instant(day, time(0), self.recipient)
        end = wall_instant(day + _ONE_DAY, time(0), self.recipient)
        return self._first_allowed(max(send, start), end) or self._first_allowed(start, end)

    def _first_allowed(self, at: datetime, before: datetime) -> datetime | None:
        """The first instant in ``[at, before)`` outside quiet hours that the law allows."""
        assert self.legal is not None
        candidate: datetime | None = at
        while candidate is not None and candidate < before:
            candidate = self.legal.earliest_allowed(candidate, before=before)
            if candidate is None:
                return None
            local = candidate.astimezone(self.recipient)
            if not self.quiet.contains(local.time()):
                return candidate
            # Quiet: try again where quiet hours end, if they end on this day.
            quiet_end = wall_instant(local.date(), self.quiet.end, self.recipient)
            candidate = quiet_end if quiet_end > candidate else None
        return None
