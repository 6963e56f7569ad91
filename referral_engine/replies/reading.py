"""What reading a reply yields: its class, the reason, whom it names, and its tone."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReplyClass(StrEnum):
    hot = "hot"
    interested = "interested"
    opt_out = "opt_out"
    complaint = "complaint"
    auto_reply = "auto_reply"
    neutral = "neutral"


@dataclass(frozen=True)
class Prospect:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None  # E.164
    company: str | None = None


@dataclass(frozen=True)
class Reading:
    kind: ReplyClass
    why: str
    prospects: tuple[Prospect, ...] = ()
    sentiment: float = 0.0  # VADER compound, -1..1
    # An opt-out that also offers someone to call: the client is opted out, and a person
    # still follows up on the referral.
    offers_referral: bool = False
