"""Clients (people and businesses the agency serves) and their policies."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, UtcDateTime


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    postal_code: Mapped[str | None] = mapped_column(String(20))
    # USPS code of the address's state (FL, DC, PR): the source's, else the ZIP code's.
    # The law's send windows depend on it (referral_engine/compliance).
    state: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    client_since: Mapped[date | None] = mapped_column(Date)
    # The current state of each channel's consent, kept in step with the newest
    # ConsentRecord (the proof). None means "consent unclear": no automatic message.
    consent_email: Mapped[bool | None] = mapped_column(Boolean)
    consent_sms: Mapped[bool | None] = mapped_column(Boolean)
    email_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_channel: Mapped[str | None] = mapped_column(String(10))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    last_complaint_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def display_name(self) -> str:
        person = f"{self.first_name} {self.last_name}".strip()
        return person or self.company or self.email or self.mobile or f"client {self.id}"


class Policy(Base):
    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("number", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(100), index=True)
    line_of_business: Mapped[str | None] = mapped_column(String(40))
    segment: Mapped[str | None] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(200))
    premium: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    commission: Mapped[float | None] = mapped_column(Numeric(12, 2, asdecimal=False))
    effective_date: Mapped[date | None] = mapped_column(Date)
    last_transaction: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="active")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClientIssue(Base):
    """An issue, ticket, billing problem or claim a client has open: asks wait for it."""

    __tablename__ = "client_issues"
    __table_args__ = (UniqueConstraint("client_id", "issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # ticket, billing, claim, service
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def open_at(self, instant: datetime) -> bool:
        """Open at ``instant``: opened by then (or undated) and not yet resolved."""
        opened = self.opened_at is None or self.opened_at <= instant
        return opened and (self.resolved_at is None or self.resolved_at > instant)


class ConsentPurpose(StrEnum):
    """What a person agreed to (or refused, or took back)."""

    email = "email"  # referral asks and updates by email
    sms = "sms"  # referral texts to the recorded number
    publicity = "publicity"  # being named in public: a post, a testimonial, a leaderboard
    share_outcome = "share_outcome"  # a referred person lets the referrer hear how it went


class ConsentStatus(StrEnum):
    granted = "granted"
    refused = "refused"
    revoked = "revoked"


class ConsentMethod(StrEnum):
    """How the agency learned it; the proof a regulator or a court would ask for."""

    form = "form"  # a web or paper form with the wording shown
    signed_application = "signed_application"
    verbal = "verbal"  # said to a named member of staff
    imported = "imported"  # from the agency's system or a file, named in ``source``
    reply = "reply"  # the person's own text or email (STOP, "no more texts", START)
    unsubscribe_link = "unsubscribe_link"  # the link or one-click header in an email
    phone = "phone"  # said on a call, recorded by a named member of staff
    in_person = "in_person"  # said face to face, recorded by a named member of staff
    email = "email"  # written to a member of staff by email (not a reply to an ask)
    letter = "letter"  # a letter or signed note, recorded by a named member of staff
    carrier = "carrier"  # the carrier reports the number opted out (Twilio 21610)


class ConsentRecord(Base):
    """One statement of consent, refusal or revocation: never changed, never deleted.

    The client's ``consent_*`` and ``*_opted_out`` columns are the current state; this
    table is how the agency proves it: when, how, with what wording, to which number.
    A referred person's consent to share the outcome hangs on the referral.
    """

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    staff_name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(300))
    wording: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(320))
    note: Mapped[str | None] = mapped_column(Text)
