"""The law's rules by jurisdiction, read from ``states.toml`` (the product's one copy).

What a caller may rely on:

* :func:`compliance_rules` reads the file once per path (cached) and returns
  :class:`ComplianceRules`; a file that breaks the layout raises :class:`RulesFileError`
  naming the table and key, so a typo never silently drops a rule.
* ``[federal.send_window]`` always applies; ``[states.XX.send_window]`` adds to it for a
  recipient in state ``XX`` (a USPS code from :data:`~referral_engine.compliance.places.
  US_STATES`). A state without a table has only the federal rules.
* A send window is recipient-local wall-clock hours ``[start, end)`` per weekday, in
  minutes after midnight; a weekday without hours is closed. Every rule keeps its
  ``citation`` (named in reasons) and ``source`` (where the research found it).
* Other tables under ``[states.XX]`` (``rewards``, ...) are not read here: their own
  readers take them from :func:`state_tables`, as written in the file.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from referral_engine.compliance.places import US_STATES

RULES_FILE = Path(__file__).with_name("states.toml")
FEDERAL = "US"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WHOLE_DAY = (0, 24 * 60)
_WINDOW_KEYS = {"start", "end", "closed_on", "confirmed", "citation", "source", *WEEKDAYS}
_CAP_KEYS = {"per_24_hours", "citation", "source"}


class RulesFileError(ValueError):
    """``states.toml`` (or another rules file) that cannot be read as rules."""


def clock(minutes: int) -> str:
    """Minutes after midnight as ``HH:MM`` (1440 is ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Hours:
    """Wall-clock hours of one day: minutes after midnight, ``[start, end)``."""

    start: int
    end: int

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end

    @property
    def label(self) -> str:
        return f"{clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True)
class SendWindowRule:
    """When a jurisdiction lets a message reach someone, recipient-local.

    ``where`` is ``"US"`` (federal) or a state's code; ``days`` has seven entries, Monday
    first, ``None`` for a day with no sends at all.
    """

    where: str
    name: str
    days: tuple[Hours | None, ...]
    citation: str
    source: str
    confirmed: bool = True

    def hours_on(self, weekday: int) -> Hours | None:
        """The hours of ``weekday`` (0 Monday … 6 Sunday), or None when it is closed."""
        return self.days[weekday]

    def refusal(self, local: datetime) -> str | None:
        """Why this rule forbids a send at the wall-clock reading ``local`` (taken in the
        zone the caller reads the rule in), or None when it allows it.

        "Florida: no texts after 20:00 recipient-local (Fla. Stat. 501.616(6))".
        """
        weekday = local.weekday()
        hours = self.days[weekday]
        plural = f"{WEEKDAYS[weekday].capitalize()}s"
        if hours is None:
            return f"{self.name}: no texts on {plural} ({self.citation})"
        minute = local.hour * 60 + local.minute
        on = "" if hours == self._usual() else f" on {plural}"
        if minute < hours.start:
            return (
                f"{self.name}: no texts before {clock(hours.start)} recipient-local{on} "
                f"({self.citation})"
            )
        if minute >= hours.end:
            return (
                f"{self.name}: no texts after {clock(hours.end)} recipient-local{on} "
                f"({self.citation})"
            )
        return None

    def summary(self) -> str:
        """The window in words, days with the same hours grouped: "09:00–21:00 Mon–Sat;
        12:00–21:00 Sun", "08:00–20:00", "closed Sun"."""
        groups = list(_runs(self.days))
        if len(groups) == 1:
            return _label(groups[0][2])
        return "; ".join(
            f"{_label(hours)} {_days(first, last)}"
            for first, last, hours in groups
            if hours != Hours(*_WHOLE_DAY)
        )

    def _usual(self) -> Hours | None:
        """The hours most days have (a rule's headline hours)."""
        return max(set(self.days), key=lambda h: (self.days.count(h), h is not None))


def _runs(days: tuple[Hours | None, ...]) -> Iterator[tuple[int, int, Hours | None]]:
    """(first weekday, last weekday, hours) for each run of days with the same hours."""
    first = 0
    for day in range(1, 8):
        if day == 7 or days[day] != days[first]:
            yield first, day - 1, days[first]
            first = day


def _label(hours: Hours | None) -> str:
    return "closed" if hours is None else hours.label


def _days(first: int, last: int) -> str:
    if first == last:
        return _SHORT_DAYS[first]
    return f"{_SHORT_DAYS[first]}–{_SHORT_DAYS[last]}"


@dataclass(frozen=True)
class MessageCapRule:
    """At most ``per_24_hours`` messages on one subject to one person in a rolling 24 hours."""

    where: str
    name: str
    per_24_hours: int
    citation: str
    source: str


@dataclass(frozen=True)
class StateRules:
    """What one state's law adds to the federal rules (None: nothing of that kind)."""

    code: str
    name: str
    send_window: SendWindowRule | None = None
    message_cap: MessageCapRule | None = None


@dataclass(frozen=True)
class ComplianceRules:
    """Every rule of the file: the federal window and the states' additions."""

    federal_window: SendWindowRule
    states: tuple[StateRules, ...]

    def state(self, code: str | None) -> StateRules | None:
        """The rules of state ``code``, or None when the file has none for it."""
        return next((s for s in self.states if s.code == code), None)

    def send_windows(self, *codes: str | None) -> tuple[SendWindowRule, ...]:
        """The federal window, then each named state's (once each, in order): every one
        must allow a send to a recipient whose address or number is in those states."""
        found = [self.federal_window]
        for code in dict.fromkeys(codes):
            rules = self.state(code)
            if rules is not None and rules.send_window is not None:
                found.append(rules.send_window)
        return tuple(found)

    def message_caps(self) -> tuple[MessageCapRule, ...]:
        return tuple(s.message_cap for s in self.states if s.message_cap is not None)


# -- reading the file ------------------------------------------------------------------


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise RulesFileError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(f"{path.name}: not valid TOML: {exc}") from exc


def state_tables(path: Path = RULES_FILE) -> dict[str, dict[str, Any]]:
    """Every ``[states.XX]`` table as written (a copy): for the readers of rule kinds this
    module does not know (``rewards``)."""
    return copy.deepcopy(dict(_read(path).get("states", {})))


@lru_cache(maxsize=8)
def compliance_rules(path: Path = RULES_FILE) -> ComplianceRules:
    """The rules in ``path`` (the shipped ``states.toml`` by default), read once."""
    return parse_rules(_read(path))


def parse_rules(document: dict[str, Any]) -> ComplianceRules:
    """Rules from a parsed rules document; :class:`RulesFileError` names what is wrong."""
    unknown = set(document) - {"federal", "states"}
    if unknown:
        raise RulesFileError(f"unknown top-level table(s): {', '.join(sorted(unknown))}")
    federal = _table(document.get("federal"), "federal")
    if "send_window" not in federal:
        raise RulesFileError("[federal.send_window] is missing")
    window = _window(FEDERAL, "Federal", _table(federal["send_window"], "federal.send_window"))
    states = []
    for code, table in sorted(_table(document.get("states", {}), "states").items()):
        if code not in US_STATES:
            raise RulesFileError(f"[states.{code}]: not a USPS state or territory code")
        states.append(_state(code, _table(table, f"states.{code}")))
    return ComplianceRules(federal_window=window, states=tuple(states))


def _state(code: str, table: dict[str, Any]) -> StateRules:
    name = US_STATES[code]
    window = table.get("send_window")
    cap = table.get("message_cap")
    return StateRules(
        code=code,
        name=name,
        send_window=(
            None
            if window is None
            else _window(code, name, _table(window, f"states.{code}.send_window"))
        ),
        message_cap=(
            None if cap is None else _cap(code, name, _table(cap, f"states.{code}.message_cap"))
        ),
    )


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RulesFileError(f"[{where}] must be a table")
    return value


def _minutes(value: Any, where: str) -> int:
    text = str(value)
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise RulesFileError(f"{where}: not a time of day (HH:MM): {value!r}")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or total > 24 * 60:
        raise RulesFileError(f"{where}: not a time of day (HH:MM): {value!r}")
    return total


def _hours(table: dict[str, Any], where: str, default: tuple[int, int]) -> Hours:
    if ("start" in table) != ("end" in table):
        raise RulesFileError(f"[{where}]: give both start and end, or neither")
    start = _minutes(table["start"], f"{where}.start") if "start" in table else default[0]
    end = _minutes(table["end"], f"{where}.end") if "end" in table else default[1]
    if start >= end:
        raise RulesFileError(f"[{where}]: start {clock(start)} is not before end {clock(end)}")
    return Hours(start, end)


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesFileError(f"[{where}] needs a {key}")
    return value.strip()


def _window(where: str, name: str, table: dict[str, Any]) -> SendWindowRule:
    label = "federal.send_window" if where == FEDERAL else f"states.{where}.send_window"
    unknown = set(table) - _WINDOW_KEYS
    if unknown:
        raise RulesFileError(f"[{label}]: unknown key(s) {', '.join(sorted(unknown))}")
    usual = _hours(table, label, _WHOLE_DAY)
    closed = table.get("closed_on", [])
    if not isinstance(closed, list) or any(day not in WEEKDAYS for day in closed):
        raise RulesFileError(f"[{label}].closed_on: a list of weekday names, e.g. ['sunday']")
    days: list[Hours | None] = []
    for day in WEEKDAYS:
        if day in closed:
            days.append(None)
        elif day in table:
            days.append(_hours(_table(table[day], f"{label}.{day}"), f"{label}.{day}", _WHOLE_DAY))
        else:
            days.append(usual)
    confirmed = table.get("confirmed", True)
    if not isinstance(confirmed, bool):
        raise RulesFileError(f"[{label}].confirmed: true or false")
    return SendWindowRule(
        where=where,
        name=name,
        days=tuple(days),
        citation=_text(table, "citation", label),
        source=_text(table, "source", label),
        confirmed=confirmed,
    )


def _cap(code: str, name: str, table: dict[str, Any]) -> MessageCapRule:
    label = f"states.{code}.message_cap"
    unknown = set(table) - _CAP_KEYS
    if unknown:
        raise RulesFileError(f"[{label}]: unknown key(s) {', '.join(sorted(unknown))}")
    count = table.get("per_24_hours")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise RulesFileError(f"[{label}].per_24_hours: a whole number of at least 1")
    return MessageCapRule(
        where=code,
        name=name,
        per_24_hours=count,
        citation=_text(table, "citation", label),
        source=_text(table, "source", label),
    )
