"""The funnel for a period: from a moment detected to a policy bound.

Each step counts what happened in the period (an ask created, sent, a reply read, a
referral received, contacted, quoted, converted), like the weekly numbers; a step's
rate is its count over the previous step's (``None`` when that is zero).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask
from referral_engine.referrals.models import Referral
from referral_engine.replies.models import Reply
from referral_engine.reports.period import Period

STEPS = [
    ("moments_detected", "Moments detected"),
    ("asks_sent", "Asks sent"),
    ("replies", "Replies"),
    ("hot_replies", "Hot replies"),
    ("referrals_received", "Referrals received"),
    ("referrals_contacted", "Referrals contacted"),
    ("referrals_quoted", "Referrals quoted"),
    ("referrals_converted", "Referrals converted"),
]


@dataclass
class Funnel:
    period: Period
    counts: dict[str, int] = field(default_factory=dict)

    def rate(self, index: int) -> float | None:
        """The step at ``index`` over the one before it; ``None`` for the first step."""
        if index == 0:
            return None
        before = self.counts[STEPS[index - 1][0]]
        return round(self.counts[STEPS[index][0]] / before, 4) if before else None

    def as_dict(self) -> dict[str, object]:
        return {
            **self.period.as_dict(),
            "steps": [
                {"step": key, "count": self.counts[key], "rate": self.rate(i)}
                for i, (key, _) in enumerate(STEPS)
            ],
        }


def _between(session: Session, column: Any, period: Period, *where: Any) -> int:
    query = (
        select(func.count())
        .select_from(column.class_)
        .where(column >= period.start, column < period.end, *where)
    )
    return int(session.scalar(query) or 0)


def funnel(session: Session, *, period: Period) -> Funnel:
    return Funnel(
        period=period,
        counts={
            "moments_detected": _between(session, Ask.created_at, period),
            "asks_sent": _between(session, Ask.sent_at, period),
            "replies": _between(session, Reply.received_at, period, Reply.kind != "auto_reply"),
            "hot_replies": _between(session, Reply.received_at, period, Reply.kind == "hot"),
            "referrals_received": _between(session, Referral.received_at, period),
            "referrals_contacted": _between(session, Referral.contacted_at, period),
            "referrals_quoted": _between(session, Referral.quoted_at, period),
            "referrals_converted": _between(session, Referral.converted_at, period),
        },
    )
