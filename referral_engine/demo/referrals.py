"""Referrals in `referral demo`: some introduced people become clients, partners send some.

A prospect a client named in a reply or on the introduce page is, often enough, quoted
and bound a few days later: the agency system then reports that bind like any other, the
real conversion code matches it to the referral, and the new client's bind starts the
loop again (compounding). Some binds also arrive with the agency system's "referral
source" filled in: a realtor or a mortgage broker who sent the client.

A referral drafted from a reply counts only once a person confirms it: the team
confirms most drafts (its owner, else the senior CSR) on the next business day or the one
after, and that starts the prospect's 24-hour contact task and the referrer's thank-you.
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


CONFIRMED_NEXT_DAY = 0.7
CONFIRMED_DAY_AFTER = 0.2


@dataclass(frozen=True)
class Draft:
    """A referral drafted from a reply, and the day the team confirms it."""

    referral_id: int
    on: date


def after_business_days(day: date, count: int) -> date:
    """The weekday ``count`` weekdays after ``day``."""
    while count:
        day += timedelta(days=1)
        count -= int(day.weekday() < 5)
    return day


@dataclass
class Pipeline:
    """Prospects on their way to a bind, by the day they bind."""

    rng: random.Random
    seen: set[int]
    due: dict[date, list[Prospect]]
    # Its own dice, so confirming drafts leaves which prospects bind as it was.
    confirm_rng: random.Random
    drafts: list[Draft]

    @classmethod
    def start(cls, rng: random.Random, confirm_rng: random.Random) -> Pipeline:
        return cls(rng, set(), {}, confirm_rng, [])

    def take_new_referrals(self, url: str, *, day: date) -> None:
        """Referrals captured so far: about half will bind within two weeks."""
        with unit_of_work(url) as session:
            rows = session.scalars(
                select(Referral).where(Referral.captured_via.in_(("reply", "page")))
            ).all()
            fresh = [r for r in rows if r.id not in self.seen]
            for referral in fresh:
                self.seen.add(referral.id)
                if referral.needs_confirmation:
                    self._plan_confirmation(referral.id, day=day)
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

    def _plan_confirmation(self, referral_id: int, *, day: date) -> None:
        """Most drafts are confirmed one or two business days on; a few never are."""
        roll = self.confirm_rng.random()
        if roll < CONFIRMED_NEXT_DAY:
            self.drafts.append(Draft(referral_id, after_business_days(day, 1)))
        elif roll < CONFIRMED_NEXT_DAY + CONFIRMED_DAY_AFTER:
            self.drafts.append(Draft(referral_id, after_business_days(day, 2)))

    def confirm_drafts(self, url: str, *, day: date, zone: Any, staff_email: str) -> int:
        """Confirm the drafts planned for ``day`` (or earlier) at 9:30, through the real
        confirmation: by the referral's owner, else ``staff_email``. Returns how many."""
        from datetime import datetime, time

        from referral_engine.referrals import confirmation
        from referral_engine.users import service as users
        from referral_engine.users.models import User

        now = datetime.combine(day, time(9, 30), zone)
        ready = [d for d in self.drafts if d.on <= day]
        self.drafts = [d for d in self.drafts if d.on > day]
        confirmed = 0
        with unit_of_work(url) as session:
            fallback = users.find_by_email(session, email=staff_email)
            for draft in ready:
                referral = session.get(Referral, draft.referral_id)
                if referral is None or not referral.needs_confirmation:
                    continue
                owner = session.get(User, referral.owner_id) if referral.owner_id else None
                person = owner if owner is not None and owner.active else fallback
                if person is None:
                    continue
                confirmation.confirm(
                    session, referral_id=referral.id, prospect=None, user=person, now=now
                )
                confirmed += 1
        return confirmed

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
                    if referral.needs_confirmation:
                        continue  # nobody calls a prospect before the draft is confirmed
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
