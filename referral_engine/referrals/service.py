"""Capturing a referral: saved first, tagged after, routed to a person at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.referrals.models import Referral, ReferralStatus


@dataclass(frozen=True)
class ProspectFacts:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None
    company: str | None = None
    line_of_business: str | None = None

    @property
    def named(self) -> bool:
        return bool(self.first_name or self.last_name or self.company or self.email or self.mobile)

    @property
    def display(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        contact = ", ".join(p for p in (self.mobile, self.email) if p)
        who = name or self.company or "someone"
        return f"{who} ({contact})" if contact else who


def capture_from_client(
    session: Session,
    *,
    prospect: ProspectFacts,
    client: Client,
    ask: Ask | None,
    captured_via: str,
    now: datetime,
    notes: str = "",
    reply_id: int | None = None,
    needs_confirmation: bool = False,
) -> Referral:
    """A referral a client made (through the hosted page or a reply to an ask)."""
    tags = ["Referral – New", "Referred by Client"]
    if needs_confirmation:
        tags.append("Referral – Draft")
    referral = Referral(
        status=ReferralStatus.new,
        captured_via=captured_via,
        needs_confirmation=needs_confirmation,
        first_name=prospect.first_name,
        last_name=prospect.last_name,
        email=prospect.email,
        mobile=prospect.mobile,
        company=prospect.company,
        line_of_business=prospect.line_of_business,
        referred_by_kind="client",
        referred_by_client_id=client.id,
        referred_by_external_id=client.external_id,
        referred_by_name=client.display_name,
        ask_id=ask.id if ask else None,
        reply_id=reply_id,
        tags=tags,
        notes=notes,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    return referral
