"""The law's send windows for one recipient: every applicable rule, in every zone they may be in.

What a caller may rely on:

* Pure code over data: the rules come in as
  :class:`~referral_engine.compliance.states.ComplianceRules`; where the client is comes
  from their fields through :mod:`referral_engine.compliance.places` (static lookups). No
  database, clock or network. Every ``datetime`` argument must be timezone-aware; every
  ``datetime`` returned is in UTC.
* Which rules: the federal window (8:00–21:00), the window of the state of the client's
  address (their ``state``, else their ZIP code's), and the window of the state of their
  mobile's area code — research R7: an area code says little about where a person is, so
  when address and area code disagree a send must suit both.
* Which zones: the recipient's zone (the one the send hour is read in), the client's own
  ``timezone``, their ZIP code's zone, and the zones of a mobile number whose area code
  names a US place. Each rule is read in *every* one of these zones, because the person may
  be in any of them and each state's hours are "at the location of the called party"; the
  allowed instants are the intersection, taken in absolute time. So a 206 (Washington)
  number with a New York address gets nothing after 20:00 Eastern: Washington's 20:00 read
  where the person may be, New York.
* :meth:`LegalWindows.refusal` names the first rule (federal first) that forbids an instant,
  with the zone it was read in; :meth:`LegalWindows.earliest_allowed` is never earlier than
  its argument and always an instant ``refusal`` allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from referral_engine.compliance.places import (
    state_code,
    state_of_mobile,
    state_of_postal_code,
    zone_of_postal_code,
)
from referral_engine.compliance.states import ComplianceRules, SendWindowRule
from referral_engine.decisions.calendar import (
    SendWindow,
    mobile_zones,
    recipient_zone,
    wall_instant,
)

if TYPE_CHECKING:
    from referral_engine.decisions.rules import Rulebook

_ONE_DAY = timedelta(days=1)
# How far ahead earliest_allowed looks when not told: a week holds every weekday, so a
# rule set that allows nothing in two weeks allows nothing at all.
_HORIZON = timedelta(days=14)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Place:
    """A zone the recipient may be in, and why we think so ("address", "area code", …)."""

    zone: ZoneInfo
    basis: str


@dataclass(frozen=True)
class LegalWindows:
    """The instants the law lets a message reach one recipient.

    ``address_state`` and ``mobile_state`` say which states' rules were taken (None: not
    known); ``rules`` always starts with the federal window.
    """

    rules: tuple[SendWindowRule, ...]
    places: tuple[Place, ...]
    address_state: str | None = None
    mobile_state: str | None = None

    def refusal(self, at: datetime) -> str | None:
        """Why the law forbids ``at`` — "Florida: no texts after 20:00 recipient-local
        (Fla. Stat. 501.616(6)); Tue 20:15 America/New_York (address)" — or None. Every rule
        that forbids it is named (federal first), each with the first zone it forbids it in,
        joined by " — and "."""
        instant = _aware(at)
        found = []
        for rule in self.rules:
            for place in self.places:
                local = instant.astimezone(place.zone)
                why = rule.refusal(local)
                if why is not None:
                    found.append(f"{why}; {local:%a %H:%M} {place.zone.key} ({place.basis})")
                    break
        return " — and ".join(found) or None

    def allows(self, at: datetime) -> bool:
        return self.refusal(at) is None

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The allowed stretches of ``[start, end)``: sorted, disjoint, in UTC."""
        lo, hi = _aware(start), _aware(end)
        allowed: list[Interval] = [(lo, hi)]
        for rule in self.rules:
            for place in self.places:
                allowed = _intersect(allowed, _open_hours(rule, place.zone, lo, hi))
                if not allowed:
                    return []
        return allowed

    def earliest_allowed(self, at: datetime, *, before: datetime | None = None) -> datetime | None:
        """The first instant at or after ``at`` (and before ``before``, default two weeks
        on) that every rule allows in every zone; None when there is none."""
        start = _aware(at)
        end = _aware(before) if before is not None else start + _HORIZON
        first = next(iter(self.intervals(start, end)), None)
        return None if first is None else max(first[0], start)


def legal_windows(
    rules: ComplianceRules,
    *,
    recipient: ZoneInfo,
    timezone: str | None = None,
    mobile: str | None = None,
    state: str | None = None,
    postal_code: str | None = None,
) -> LegalWindows:
    """The law's windows for a client with these fields; ``recipient`` is the zone their send
    hour is read in. Never raises on bad field values (they are simply not used)."""
    address_state = state_code(state) or state_of_postal_code(postal_code)
    mobile_state = state_of_mobile(mobile)
    found: dict[str, list[str]] = {recipient.key: ["recipient"]}
    zones = {recipient.key: recipient}
    candidates = [
        (_zone(timezone), "client's zone"),
        (_zone(zone_of_postal_code(postal_code)), "address"),
    ]
    if mobile_state is not None:  # a number that names a US place, not a toll-free range
        candidates += [(zone, "area code") for zone in mobile_zones(mobile)]
    for zone, basis in candidates:
        if zone is None:
            continue
        zones.setdefault(zone.key, zone)
        bases = found.setdefault(zone.key, [])
        if basis not in bases:
            bases.append(basis)
    places = tuple(Place(zones[key], ", ".join(bases)) for key, bases in found.items())
    return LegalWindows(
        rules=rules.send_windows(address_state, mobile_state),
        places=places,
        address_state=address_state,
        mobile_state=mobile_state,
    )


def window_for(
    book: Rulebook,
    *,
    timezone: str | None,
    mobile: str | None,
    state: str | None = None,
    postal_code: str | None = None,
) -> tuple[SendWindow, str]:
    """The send window in the recipient's zone (see
    :func:`~referral_engine.decisions.calendar.recipient_zone`) with the law's hours for
    every place the client may be, and how that zone was found."""
    found = recipient_zone(client_timezone=timezone, mobile=mobile, agency_zone=book.calendar.zone)
    legal = legal_windows(
        book.compliance,
        recipient=found.zone,
        timezone=timezone,
        mobile=mobile,
        state=state,
        postal_code=postal_code,
    )
    return book.window(found.zone, legal), found.basis


def client_window(book: Rulebook, client: Any) -> tuple[SendWindow, str]:
    """:func:`window_for` a stored client (anything with ``timezone``, ``mobile``, ``state``
    and ``postal_code``)."""
    return window_for(
        book,
        timezone=client.timezone,
        mobile=client.mobile,
        state=client.state,
        postal_code=client.postal_code,
    )


def _zone(key: str | None) -> ZoneInfo | None:
    if not key:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant.isoformat()}: a timezone-aware one is needed")
    return instant.astimezone(UTC)


def _wall(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _open_hours(
    rule: SendWindowRule, zone: ZoneInfo, start: datetime, end: datetime
) -> list[Interval]:
    """The instants ``rule`` allows in ``zone`` on every local day touching [start, end)."""
    day = start.astimezone(zone).date() - _ONE_DAY
    last = end.astimezone(zone).date() + _ONE_DAY
    found: list[Interval] = []
    while day <= last:
        hours = rule.hours_on(day.weekday())
        if hours is not None:
            opens = wall_instant(day, _wall(hours.start), zone)
            closes = (
                wall_instant(day + _ONE_DAY, time(0), zone)
                if hours.end == 24 * 60
                else wall_instant(day, _wall(hours.end), zone)
            )
            if found and found[-1][1] >= opens:  # whole days run into each other
                found[-1] = (found[-1][0], max(found[-1][1], closes))
            elif opens < closes:
                found.append((opens, closes))
        day += _ONE_DAY
    return found


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Instants in both sorted, disjoint interval lists."""
    both: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low < high:
            both.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return both
