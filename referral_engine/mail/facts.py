"""What an email says about a policy, and the value readers every extractor shares.

An extractor collects every value it finds for a field (:class:`Findings`); a field is
read only when all its findings agree (:meth:`Findings.single`). Two different policy
numbers, two premiums or two effective dates make the field ambiguous, and an
ambiguous required field quarantines the email: a wrong event is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from referral_engine.events.csv_profiles import split_name
from referral_engine.events.lob import ACORD_LINES, resolve_line

REQUIRED = ("policy_number", "insured_name", "effective_date", "line_of_business", "transaction")
FIELD_WORDS = {
    "policy_number": "policy number",
    "insured_name": "insured name",
    "effective_date": "effective date",
    "line_of_business": "line of business",
    "transaction": "transaction (new business, renewal, …)",
    "premium": "premium",
    "email": "insured email",
    "phone": "insured phone",
    "client_id": "client code",
    "carrier": "carrier",
    "producer_name": "producer",
    "producer_email": "producer email",
    "contact_name": "contact name",
}
DATE_FORMATS = (
    "%m/%d/%Y",
    "%Y-%m-%d",
    "%m-%d-%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%B %d %Y",
    "%m/%d/%y",
)
_DATE_TEXT = re.compile(
    r"\b(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-\d{1,2}-\d{4}"
    r"|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4})\b"
)
_MONEY = re.compile(r"(?<![\w.])\$?\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?(?![\w%])")


@dataclass
class Findings:
    """Every value found per field, in the order found."""

    values: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, name: str, value: Any) -> None:
        if value is not None and value != "":
            self.values.setdefault(name, []).append(value)

    def single(self, name: str) -> tuple[Any, str | None]:
        """(value, None) when every finding agrees; (None, why) when they do not;
        (None, None) when there is none."""
        found = self.values.get(name, [])
        # The first spelling of each distinct value, as the email wrote it.
        distinct = list({_comparable(v): v for v in reversed(found)}.values())[::-1]
        if not distinct:
            return None, None
        if len(distinct) > 1:
            shown = ", ".join(str(v) for v in distinct[:3])
            return None, f"{FIELD_WORDS.get(name, name)} is ambiguous ({shown})"
        return found[0], None


def _comparable(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


@dataclass(frozen=True)
class PolicyFacts:
    """The fields of a confirmation, read unambiguously; optional ones may be None."""

    policy_number: str
    insured_name: str
    effective_date: date
    line_of_business: str
    transaction: str
    premium: float | None = None
    email: str | None = None
    phone: str | None = None
    client_id: str | None = None
    carrier: str | None = None
    producer_name: str | None = None
    producer_email: str | None = None
    contact_name: str | None = None
    segment: str | None = None

    def event_type(self) -> str:
        return {
            "renewal": "policy.renewed",
            "cancellation": "policy.cancelled",
        }.get(self.transaction, "policy.bound")

    def client_document(self) -> dict[str, Any]:
        """The canonical ``client`` object: a person's first and last name, or a
        business (commercial line) with its contact person's name where stated."""
        client: dict[str, Any] = {
            "external_id": self.client_id,
            "email": self.email,
            "mobile": self.phone,
        }
        line = resolve_line(self.line_of_business)
        if (self.segment or (line.segment if line else None)) == "commercial":
            client["company"] = self.insured_name
            person = self.contact_name
        else:
            person = self.insured_name
        if person:
            client["first_name"], client["last_name"] = split_name(person)
        return {k: v for k, v in client.items() if v is not None}


def parse_date(text: str) -> date | None:
    """A date in one of :data:`DATE_FORMATS`, or None."""
    cleaned = " ".join(text.replace(",", ", ").split()).replace(" ,", ",")
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def dates_in(text: str) -> list[date]:
    """Every date written in ``text``, in order."""
    found = []
    for match in _DATE_TEXT.finditer(text):
        parsed = parse_date(match.group(0))
        if parsed is not None:
            found.append(parsed)
    return found


def first_date(text: str) -> date | None:
    """The first date in a value ("12/01/2026 to 12/01/2027" gives the start)."""
    found = dates_in(text)
    return found[0] if found else parse_date(text)


def parse_money(text: str) -> float | None:
    """An amount written with optional $, thousands separators and cents; None when the
    value holds no amount or more than one."""
    amounts = [m for m in _MONEY.finditer(text) if m.group(0).strip()]
    if len(amounts) != 1:
        return None
    whole, cents = amounts[0].group(1), amounts[0].group(2) or ""
    return float(whole.replace(",", "") + cents)


_POLICY_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,38}[A-Z0-9]$")


def policy_number(text: str) -> str | None:
    """A policy number: one word of letters, digits and dashes, with at least one digit
    ("Homeowners HO-3" is a description, not a number)."""
    value = text.strip().strip(".,;").upper()
    if _POLICY_NUMBER.match(value) and any(c.isdigit() for c in value):
        return value
    return None


def known_line(text: str, agency_map: dict[str, str] | None = None) -> str | None:
    """The ACORD code of a line-of-business word or code; None when it is not a line we
    know (an unknown word is not a line an ask can be worded for)."""
    line = resolve_line(text, agency_map=agency_map or {})
    if line is None or (line.code not in ACORD_LINES and line.code not in (agency_map or {})):
        return None
    return line.code


TRANSACTION_WORDS = {
    "new": "new",
    "new business": "new",
    "nb": "new",
    "nbs": "new",
    "bnd": "new",
    "bound": "new",
    "bind": "new",
    "issued": "new",
    "issue": "new",
    "renewal": "renewal",
    "renewed": "renewal",
    "rwl": "renewal",
    "rewrite": "rewrite",
    "rew": "rewrite",
    "reinstatement": "reinstatement",
    "reinstated": "reinstatement",
    "rei": "reinstatement",
    "change": "change",
    "endorsement": "change",
    "pch": "change",
    "cancellation": "cancellation",
    "cancelled": "cancellation",
    "canceled": "cancellation",
    "xln": "cancellation",
}


def transaction_word(text: str, mapping: dict[str, str] | None = None) -> str | None:
    """The canonical transaction a value names (a layout's own words first)."""
    word = " ".join(text.lower().split())
    for key, value in (mapping or {}).items():
        if key.lower() == word:
            return value
    return TRANSACTION_WORDS.get(word)
