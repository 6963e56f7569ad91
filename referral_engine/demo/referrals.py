"""Referrals in `referral demo`: some introduced people become clients, partners send some.

A prospect a client named in a reply or on the introduce page is, often enough, quoted
and bound a few days later: the agency system then reports that bind like any other, the
real conversion code matches it to the referral, and the new client's bind starts the
loop again (compounding). Some binds also arrive with the agency system's "referral
source" filled in: a realtor or a mortgage broker who sent the client.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from referral_engine.db import unit_of_work
from referral_engine.referrals.models import Referral

PARTNERS = [
    ("Harbor Realty", "realtor"),
    ("Lakeview Mortgage", "mortgage broker"),
    ("North Shore Auto", "auto dealer"),
    ("Ridge & Co CPAs", "cpa"),
]


@dataclass(frozen=True)
class Prospect:
    referral_id: int
    first_name: str
    last_name: str
    mobile: str | None
    email: str | None


@dataclass
class Pipeline:
    """Prospects on their way to a bind, by the day they bind."""

    rng: random.Random
    seen: set[int]
    due: dict[date, list[Prospect]]

    @classmethod
    def start(cls, rng: random.Random) -> Pipeline:
        return cls(rng, set(), {})

    def take_new_referrals(self, url: str, *, day: date) -> None:
        """Referrals captured so far: about half will bind within two weeks."""
        with unit_of_work(url) as session:
            rows = session.scalars(
                select(Referral).where(Referral.captured_via.in_(("reply", "page")))
            ).all()
            fresh = [r for r in rows if r.id not in self.seen]
            for referral in fresh:
                self.seen.add(referral.id)
                if not (referral.first_name and (referral.mobile or referral.email)):
                    continue
                if self.rng.random() < 0.5:
                    when = day + timedelta(days=self.rng.randint(3, 12))
                    self.due.setdefault(when, []).append(
                        Prospect(
                            referral.id,
                            referral.first_name,
                            referral.last_name or "",
                            referral.mobile,
                            referral.email,
                        )
                    )

    def binding_on(self, day: date) -> list[Prospect]:
        return self.due.pop(day, [])

    def work(self, url: str, *, day: date, zone: Any, staff_email: str) -> None:
        """The CSR calls the prospects who will bind (contacted), then quotes them."""
        from datetime import datetime, time

        from referral_engine.referrals import updates
        from referral_engine.referrals.schemas import ReferralUpdate
        from referral_engine.users import service as users

        now = datetime.combine(day, time(11, 30), zone)
        with unit_of_work(url) as session:
            csr = users.find_by_email(session, email=staff_email)
            if csr is None:
                return
            for when, prospects in self.due.items():
                for prospect in prospects:
                    status = "quoting" if (when - day).days <= 2 else "contacted"
                    referral = session.get(Referral, prospect.referral_id)
                    if referral is None or referral.status in (status, "converted"):
                        continue
                    if status == "quoting" and referral.status == "new":
                        status = "contacted"
                    updates.update(
                        session,
                        referral_id=referral.id,
                        changes=ReferralUpdate(status=status),
                        user=csr,
                        now=now,
                    )


def partner_referral(rng: random.Random, client: Any) -> dict[str, Any] | None:
    """Now and then the agency system says a partner sent this new client."""
    if rng.random() >= 0.1:
        return None
    name, kind = rng.choice(PARTNERS)
    return {
        "prospect": {
            "first_name": client.first_name,
            "last_name": client.last_name,
            "mobile": client.mobile,
            "email": client.email,
        },
        "referred_by": {"kind": "partner", "name": name, "partner_type": kind},
    }
