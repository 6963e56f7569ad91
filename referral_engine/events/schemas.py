"""The canonical event (INTERFACE.md) and its normalization.

Every source — signed webhook, API call, CSV row, JSONL line, parsed email, poll —
becomes an :class:`EventIn`. Validation normalizes as it reads: names trimmed,
emails checked and lower-cased (``email-validator``), phones to E.164
(``phonenumbers``, default region from the agency settings), lines of business to
ACORD codes with a personal/commercial segment, ACORD transaction purposes to words.
The agency-specific parts come in through the validation context
(:class:`NormalizeContext`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from referral_engine.compliance.places import state_code
from referral_engine.events.lob import resolve_line

EVENT_TYPES = (
    "policy.bound",
    "policy.renewed",
    "policy.cancelled",
    "feedback.received",
    "project.completed",
    "support.resolved",
    "account.upgraded",
    "issue.opened",
    "issue.resolved",
    "complaint.received",
    "client.updated",
)
EventType = Literal[
    "policy.bound",
    "policy.renewed",
    "policy.cancelled",
    "feedback.received",
    "project.completed",
    "support.resolved",
    "account.upgraded",
    "issue.opened",
    "issue.resolved",
    "complaint.received",
    "client.updated",
]
TRANSACTIONS = ("new", "renewal", "rewrite", "reinstatement", "change", "cancellation")
# ACORD transaction purposes and common words, folded to the canonical word.
TRANSACTION_ALIASES = {
    "nbs": "new",
    "bnd": "new",
    "new business": "new",
    "nb": "new",
    "rwl": "renewal",
    "renew": "renewal",
    "rew": "rewrite",
    "rei": "reinstatement",
    "reinstate": "reinstatement",
    "pch": "change",
    "endorsement": "change",
    "xln": "cancellation",
    "xlc": "cancellation",
    "cancel": "cancellation",
}


@dataclass(frozen=True)
class NormalizeContext:
    """What normalization needs to know about the agency."""

    phone_region: str = "US"
    timezone: str = "America/Chicago"
    lines_of_business: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"normalize": self}


def _context(info: ValidationInfo) -> NormalizeContext:
    ctx = info.context or {}
    found = ctx.get("normalize") if isinstance(ctx, dict) else None
    return found if isinstance(found, NormalizeContext) else NormalizeContext()


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ConsentDetail(_Model):
    """Consent with its proof, where the source keeps it: when, how, the wording shown."""

    status: Literal["granted", "refused", "revoked"]
    at: datetime | None = None
    method: Literal["form", "signed_application", "verbal", "imported", "phone", "in_person"] = (
        "imported"
    )
    wording: str | None = Field(None, max_length=4000)
    number: str | None = None
    staff_name: str | None = Field(None, max_length=200)

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> str | None:
        value = _blank_to_none(value)
        return None if value is None else to_e164(str(value), _context(info).phone_region)

    @field_validator("at")
    @classmethod
    def _aware_at(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("consent.at needs a UTC offset, e.g. 2026-03-01T10:00:00-06:00")
        return value


class Consent(_Model):
    """Per channel: a bare true/false (recorded as imported from the source), or the
    consent with its proof (:class:`ConsentDetail`). Absent or null: nothing known."""

    email: bool | ConsentDetail | None = None
    sms: bool | ConsentDetail | None = None


class ClientIn(_Model):
    external_id: str | None = Field(None, max_length=200)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    email: str | None = None
    mobile: str | None = None
    postal_code: str | None = Field(None, max_length=20)
    # USPS code of the address's state; a name ("Florida") is read as its code. Absent:
    # taken from a US ZIP code when the client is stored.
    state: str | None = None
    timezone: str | None = None
    client_since: date | None = None
    consent: Consent = Field(default_factory=Consent)
    preferred_channel: Literal["email", "sms"] | None = None
    sensitive: bool = False

    _blanks = field_validator(
        "external_id",
        "first_name",
        "last_name",
        "company",
        "postal_code",
        "timezone",
        mode="before",
    )(_blank_to_none)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        value = _blank_to_none(value)
        return None if value is None else normalized_email(str(value))

    @field_validator("mobile", mode="before")
    @classmethod
    def _mobile(cls, value: Any, info: ValidationInfo) -> str | None:
        value = _blank_to_none(value)
        if value is None:
            return None
        return to_e164(str(value), _context(info).phone_region)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> str | None:
        value = _blank_to_none(value)
        if value is None:
            return None
        code = state_code(str(value))
        if code is None:
            raise ValueError(
                f"unknown US state {value!r}: use a USPS code (FL, NY, DC, PR, …) or its name"
            )
        return code

    @field_validator("preferred_channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _identified(self) -> ClientIn:
        if not (self.external_id or self.email or self.mobile):
            raise ValueError("a client needs an external_id, an email or a mobile number")
        return self


@lru_cache(maxsize=16384)
def to_e164(raw: str, region: str) -> str:
    """A phone number in E.164, or ValueError with the reason (cached: a file repeats
    its clients' and producers' numbers)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PolicyIn(_Model):
    number: str | None = Field(None, max_length=100)
    line_of_business: str | None = Field(None, max_length=100)
    segment: Literal["personal", "commercial"] | None = None
    carrier: str | None = Field(None, max_length=200)
    premium: float | None = Field(None, ge=0)
    commission: float | None = Field(None, ge=0)
    effective_date: date | None = None
    transaction: str | None = None

    _blanks = field_validator("number", "line_of_business", "carrier", mode="before")(
        _blank_to_none
    )

    @field_validator("segment", mode="before")
    @classmethod
    def _segment(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        return value.lower() if isinstance(value, str) else value

    @field_validator("transaction", mode="before")
    @classmethod
    def _transaction(cls, value: Any) -> str | None:
        value = _blank_to_none(value)
        if value is None:
            return None
        word = str(value).strip().lower()
        word = TRANSACTION_ALIASES.get(word, word)
        if word not in TRANSACTIONS:
            raise ValueError(
                f"unknown transaction {value!r}; use one of {', '.join(TRANSACTIONS)}"
                " or an ACORD purpose (NBS, RWL, REW, REI, PCH, XLN)"
            )
        return word

    @model_validator(mode="after")
    def _line(self, info: ValidationInfo) -> PolicyIn:
        line = resolve_line(
            self.line_of_business,
            agency_map=_context(info).lines_of_business,
            segment_hint=self.segment,
        )
        if line is not None:
            self.line_of_business = line.code
            self.segment = line.segment  # type: ignore[assignment]
        return self


# A plain ASCII address (dot-atom local part): its local part needs no check beyond the
# pattern, so only the domain goes through email-validator, once per domain.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9.-]+)")


def normalized_email(text: str) -> str:
    """The address in normal form, lower-cased; ValueError when it is not an address.

    A book of business repeats a handful of domains thousands of times: a plain address
    has its domain checked once (cached), anything else is checked whole.
    """
    plain = _PLAIN_ADDRESS.fullmatch(text)
    if plain is not None and len(text) <= 254 and plain.start(1) <= 65:
        try:
            return f"{text[: plain.start(1) - 1].lower()}@{_normalized_domain(plain.group(1))}"
        except ValueError:
            pass  # say what is wrong with the whole address
    return _validated_email(text)


@lru_cache(maxsize=4096)
def _normalized_domain(domain: str) -> str:
    return _validated_email(f"postmaster@{domain}").split("@", 1)[1]


@lru_cache(maxsize=4096)
def _validated_email(text: str) -> str:
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    return checked.normalized.lower()


class ProducerIn(_Model):
    name: str | None = Field(None, max_length=200)
    email: str | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        return ClientIn._email(value)  # type: ignore[operator]


class FeedbackIn(_Model):
    score: int | None = Field(None, ge=0, le=10)
    text: str | None = Field(None, max_length=10000)


class IssueIn(_Model):
    id: str = Field(min_length=1, max_length=200)
    kind: Literal["ticket", "billing", "claim", "service"] = "ticket"


class ProspectIn(_Model):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = None
    mobile: str | None = None
    company: str | None = Field(None, max_length=200)
    line_of_business: str | None = Field(None, max_length=100)
    postal_code: str | None = Field(None, max_length=20)

    _blanks = field_validator(
        "first_name", "last_name", "company", "line_of_business", "postal_code", mode="before"
    )(_blank_to_none)
    _email = field_validator("email", mode="before")(ClientIn._email.__func__)  # type: ignore[attr-defined]
    _mobile = field_validator("mobile", mode="before")(ClientIn._mobile.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _named(self) -> ProspectIn:
        if not (self.first_name or self.last_name or self.company or self.email or self.mobile):
            raise ValueError("a prospect needs a name, a company, an email or a mobile number")
        return self


class ReferredBy(_Model):
    kind: Literal["client", "partner", "external"] = "external"
    external_id: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=200)
    partner_type: str | None = Field(None, max_length=60)


class ReferralIn(_Model):
    prospect: ProspectIn
    referred_by: ReferredBy = Field(default_factory=ReferredBy)
    ask_id: int | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str = Field("", max_length=10000)
    # The agency system says who gets credit is in question: recognition waits, and an
    # ask for the moment goes to owner review.
    disputed: bool = False


_NEEDS = {
    "policy.bound": "policy",
    "policy.renewed": "policy",
    "policy.cancelled": "policy",
    "feedback.received": "feedback",
    "issue.opened": "issue",
    "issue.resolved": "issue",
}


class EventIn(_Model):
    """One canonical event, normalized; ``model_dump(mode="json")`` is what is stored."""

    id: str = Field(min_length=1, max_length=200)
    type: EventType
    occurred_at: datetime
    source: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    client: ClientIn
    policy: PolicyIn | None = None
    producer: ProducerIn | None = None
    feedback: FeedbackIn | None = None
    issue: IssueIn | None = None
    referral: ReferralIn | None = None

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _instant(cls, value: Any, info: ValidationInfo) -> Any:
        # A date or a time without offset is read in the agency's zone: exports often
        # carry local dates only.
        zone = ZoneInfo(_context(info).timezone)
        if isinstance(value, str):
            text = value.strip().replace("Z", "+00:00")
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                return value
            if len(text) == 10:
                parsed = datetime.combine(parsed.date(), time(12), zone)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=zone)
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time(12), zone)
        return value

    @model_validator(mode="after")
    def _parts_present(self) -> EventIn:
        needed = _NEEDS.get(self.type)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"a {self.type} event needs a {needed!r} object")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.id)
