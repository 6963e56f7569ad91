"""What the referral program earned against what it cost, for a period.

Commission and premium are those of referrals converted in the period. The cost is
``[program] cost_per_month`` for each month the period touches, pro-rated by the days
of that month inside the period (all of October is one month; October 1-15 is 15/31).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referral_engine.referrals.models import Referral
from referral_engine.reports.period import Period


@dataclass(frozen=True)
class Roi:
    period: Period
    currency: str
    converted: int
    premium: float
    commission: float
    months: float
    cost: float

    @property
    def net(self) -> float:
        return round(self.commission - self.cost, 2)

    @property
    def ratio(self) -> float | None:
        """(commission - cost) / cost; ``None`` for a program that costs nothing."""
        return round((self.commission - self.cost) / self.cost, 4) if self.cost else None

    def as_dict(self) -> dict[str, object]:
        return {
            **self.period.as_dict(),
            "currency": self.currency,
            "referrals_converted": self.converted,
            "premium": self.premium,
            "commission": self.commission,
            "months": self.months,
            "program_cost": self.cost,
            "net": self.net,
            "roi": self.ratio,
        }


def months_in(first: date, last: date) -> float:
    """Months from ``first`` to ``last`` (both included), each month pro-rated by days."""
    months = 0.0
    day = first
    while day <= last:
        length = calendar.monthrange(day.year, day.month)[1]
        month_end = day.replace(day=length)
        inside = (min(last, month_end) - day).days + 1
        months += inside / length
        day = month_end + timedelta(days=1)
    return months


def roi(session: Session, *, period: Period, cost_per_month: float, currency: str) -> Roi:
    converted, premium, commission = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Referral.converted_premium), 0),
            func.coalesce(func.sum(Referral.converted_commission), 0),
        ).where(Referral.converted_at >= period.start, Referral.converted_at < period.end)
    ).one()
    months = months_in(period.first, period.last)
    return Roi(
        period=period,
        currency=currency,
        converted=int(converted),
        premium=round(float(premium or 0), 2),
        commission=round(float(commission or 0), 2),
        months=round(months, 4),
        cost=round(cost_per_month * months, 2),
    )
