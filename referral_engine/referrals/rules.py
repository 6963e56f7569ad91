"""The referral lifecycle's rules as plain data: tags, sources, status moves, matching.

No database and no clock here: callers pass what they know and get an answer (or
an exception saying why not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from referral_engine.referrals.models import NotConvertedReason, PartnerKind, ReferralStatus

NEW = "Referral – New"
BY_CLIENT = "Referred by Client"
EXTERNAL = "Source – External"
PRIORITY = "Priority – Referral"
THANKED = "Referral – Thanked"
CONVERTED = "Referral – Converted"
NOT_CONVERTED = "Referral – Not Converted"
DRAFT = "Referral – Draft"
UPDATE_SENT = "Referral – Update Sent"
TOP_SOURCE = "Referral – Top Source"

OPEN = (ReferralStatus.new, ReferralStatus.contacted, ReferralStatus.quoting)
FINAL = (ReferralStatus.converted, ReferralStatus.not_converted)
STATUS_TAGS = {ReferralStatus.converted: CONVERTED, ReferralStatus.not_converted: NOT_CONVERTED}

PARTNER_LABELS = {
    PartnerKind.realtor: "Realtor",
    PartnerKind.mortgage_broker: "Mortgage Broker",
    PartnerKind.auto_dealer: "Auto Dealer",
    PartnerKind.cpa: "CPA",
    PartnerKind.attorney: "Attorney",
    PartnerKind.builder: "Builder",
    PartnerKind.other: "Partner",
}
# Words an AMS or a person may use for a partner's kind (``referred_by.partner_type``).
_PARTNER_WORDS = {
    "real estate agent": PartnerKind.realtor,
    "real estate": PartnerKind.realtor,
    "realtor": PartnerKind.realtor,
    "mortgage": PartnerKind.mortgage_broker,
    "mortgage broker": PartnerKind.mortgage_broker,
    "lender": PartnerKind.mortgage_broker,
    "loan officer": PartnerKind.mortgage_broker,
    "auto dealer": PartnerKind.auto_dealer,
    "car dealer": PartnerKind.auto_dealer,
    "dealer": PartnerKind.auto_dealer,
    "dealership": PartnerKind.auto_dealer,
    "accountant": PartnerKind.cpa,
    "cpa": PartnerKind.cpa,
    "attorney": PartnerKind.attorney,
    "lawyer": PartnerKind.attorney,
    "builder": PartnerKind.builder,
    "home builder": PartnerKind.builder,
}


class ReferralNotFound(LookupError):
    """No referral with that id (HTTP 404)."""


class TransitionRefused(ValueError):
    """A status move the lifecycle does not allow (HTTP 409)."""


class InvalidReferral(ValueError):
    """Bad input about a referral, naming the field (HTTP 422, CLI exit 2)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def partner_kind(text: str | None) -> PartnerKind:
    """The partner kind a word names (``"Real Estate Agent"`` → realtor); else other."""
    if not text:
        return PartnerKind.other
    word = re.sub(r"[\s_-]+", " ", text.strip().lower())
    if word.replace(" ", "_") in PartnerKind.__members__:
        return PartnerKind(word.replace(" ", "_"))
    return _PARTNER_WORDS.get(word, PartnerKind.other)


def source_tag(kind: str, partner: PartnerKind | None = None) -> str:
    """The tag that says where a referral came from."""
    if kind == "client":
        return BY_CLIENT
    if kind == "partner":
        return f"Source – {PARTNER_LABELS[partner or PartnerKind.other]}"
    return EXTERNAL


def merged(*groups: Iterable[str]) -> list[str]:
    """Tags in order of first appearance, blanks dropped, repeats (any case) dropped."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for tag in group:
            text = " ".join(tag.split())
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                out.append(text)
    return out


def without(tags: Iterable[str], tag: str) -> list[str]:
    return [t for t in tags if t.casefold() != tag.casefold()]


@dataclass(frozen=True)
class StatusChange:
    """A requested status with its reason; validated by :func:`check_change`."""

    status: ReferralStatus
    reason: NotConvertedReason | None = None


def check_change(
    current: ReferralStatus, current_reason: str | None, change: StatusChange, *, admin: bool
) -> None:
    """Refuse what the lifecycle does not allow.

    - ``not_converted`` needs a reason, and only ``not_converted`` takes one;
    - a converted or not-converted referral is final: only an admin may move it
      (to correct a mistake); asking for the status it already has is not a move.
    """
    if change.status == ReferralStatus.not_converted and change.reason is None:
        raise InvalidReferral("reason", "not_converted needs a reason: " + _reasons())
    if change.status != ReferralStatus.not_converted and change.reason is not None:
        raise InvalidReferral("reason", "a reason is given only with status not_converted")
    moving = change.status != current or change.reason != (current_reason or None)
    if current in FINAL and moving and not admin:
        raise TransitionRefused(
            f"the referral is {current}; only an admin may change a final status"
        )


def _reasons() -> str:
    return ", ".join(r.value for r in NotConvertedReason)


def same_person_by_name(
    first: str | None,
    last: str | None,
    postal: str | None,
    other_first: str | None,
    other_last: str | None,
    other_postal: str | None,
) -> bool:
    """First and last name equal (ignoring case and spacing) in the same postal code."""
    if not (first and last and postal and other_first and other_last and other_postal):
        return False
    return (
        _fold(first) == _fold(other_first)
        and _fold(last) == _fold(other_last)
        and _postal(postal) == _postal(other_postal)
    )


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _postal(text: str) -> str:
    # US ZIP+4 and plain ZIP name the same place for matching.
    compact = text.replace(" ", "").upper()
    return compact[:5] if re.fullmatch(r"\d{5}(-?\d{4})?", compact) else compact


@dataclass(frozen=True)
class Worker:
    """What :func:`may_work` reads of the person acting: their id and role."""

    user_id: int
    role: str


def may_work(worker: Worker, *, owner_id: int | None, referrer_producer_id: int | None) -> bool:
    """May this person confirm or reassign a referral?

    A principal or admin (anyone's work), a CSR (CSRs work referrals: they capture,
    call and hand them on), the referral's owner, and the referring client's producer
    (it is their relationship). Another producer's referral is not theirs to take.
    """
    if worker.role in ("principal", "admin", "csr"):
        return True
    return worker.user_id in (owner_id, referrer_producer_id)
