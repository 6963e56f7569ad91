"""Where referrals come from: one row per source, for a period.

A row counts the referrals *received* in the period (created in it) and follows that
cohort: how many were contacted within the priority-service SLA, quoted and converted
(whenever that happened), and the premium and commission of those converted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.events.lob import segment_of
from referral_engine.referrals.models import Partner, Referral
from referral_engine.reports.period import Period


class SourceGrouping(StrEnum):
    referrer = "referrer"
    partner = "partner"
    trigger = "trigger"
    segment = "segment"


class BadGrouping(ValueError):
    """A ``by`` that is not one of :class:`SourceGrouping`."""


def parse_grouping(text: str) -> SourceGrouping:
    try:
        return SourceGrouping(text.strip().lower())
    except ValueError as exc:
        known = ", ".join(g.value for g in SourceGrouping)
        raise BadGrouping(f"by: {text!r} is not one of {known}") from exc


@dataclass
class SourceRow:
    source: str
    kind: str  # client, partner (its kind after a colon), external, trigger, segment
    received: int = 0
    contacted_within_sla: int = 0
    quoted: int = 0
    converted: int = 0
    premium: float = 0.0
    commission: float = 0.0

    @property
    def close_rate(self) -> float | None:
        return round(self.converted / self.received, 4) if self.received else None

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "kind": self.kind,
            "received": self.received,
            "contacted_within_sla": self.contacted_within_sla,
            "quoted": self.quoted,
            "converted": self.converted,
            "close_rate": self.close_rate,
            "premium": round(self.premium, 2),
            "commission": round(self.commission, 2),
        }


@dataclass
class SourceReport:
    period: Period
    by: SourceGrouping
    rows: list[SourceRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            **self.period.as_dict(),
            "by": self.by.value,
            "rows": [row.as_dict() for row in self.rows],
        }


@dataclass(frozen=True)
class _Fact:
    """One referral with what its grouping needs: the referrer's names, the ask."""

    referral: Referral
    client_name: str | None
    partner_name: str | None
    partner_kind: str | None
    trigger: str | None
    ask_segment: str | None


def _facts(session: Session, period: Period) -> list[_Fact]:
    referrer = aliased(Client)
    rows = session.execute(
        select(Referral, referrer, Partner.name, Partner.kind, Ask.trigger, Ask.segment)
        .outerjoin(referrer, referrer.id == Referral.referred_by_client_id)
        .outerjoin(Partner, Partner.id == Referral.referred_by_partner_id)
        .outerjoin(Ask, Ask.id == Referral.ask_id)
        .where(Referral.created_at >= period.start, Referral.created_at < period.end)
        .order_by(Referral.id)
    ).tuples()
    return [
        _Fact(referral, client.display_name if client else None, name, kind, trigger, segment)
        for referral, client, name, kind, trigger, segment in rows
    ]


def _by_referrer(fact: _Fact) -> tuple[str, str, str] | None:
    r = fact.referral
    if r.referred_by_kind == "partner":
        name = fact.partner_name or r.referred_by_name or "unnamed partner"
        return f"partner:{r.referred_by_partner_id or name}", name, f"partner:{fact.partner_kind}"
    if r.referred_by_kind == "client":
        name = fact.client_name or r.referred_by_name or r.referred_by_external_id or "unnamed"
        return f"client:{r.referred_by_client_id or name}", name, "client"
    return "external", "external", "external"


def _by_partner(fact: _Fact) -> tuple[str, str, str] | None:
    if fact.referral.referred_by_kind != "partner":
        return None
    return _by_referrer(fact)


def _by_trigger(fact: _Fact) -> tuple[str, str, str] | None:
    trigger = fact.trigger or "no ask"
    return trigger, trigger, "trigger"


def _by_segment(fact: _Fact) -> tuple[str, str, str] | None:
    segment = fact.ask_segment or segment_of(fact.referral.line_of_business) or "unknown"
    return segment, segment, "segment"


_KEYS: dict[SourceGrouping, Callable[[_Fact], tuple[str, str, str] | None]] = {
    SourceGrouping.referrer: _by_referrer,
    SourceGrouping.partner: _by_partner,
    SourceGrouping.trigger: _by_trigger,
    SourceGrouping.segment: _by_segment,
}


def _count(row: SourceRow, r: Referral) -> None:
    row.received += 1
    if r.contacted_at and r.contact_due_at and r.contacted_at <= r.contact_due_at:
        row.contacted_within_sla += 1
    if r.quoted_at is not None:
        row.quoted += 1
    if r.converted_at is not None:
        row.converted += 1
        row.premium += r.converted_premium or 0.0
        row.commission += r.converted_commission or 0.0


def source_report(session: Session, *, period: Period, by: SourceGrouping) -> SourceReport:
    """Rows ordered by converted, then received (most first), then source name."""
    rows: dict[str, SourceRow] = {}
    for fact in _facts(session, period):
        key = _KEYS[by](fact)
        if key is None:
            continue
        ident, name, kind = key
        _count(rows.setdefault(ident, SourceRow(source=name, kind=kind)), fact.referral)
    ordered = sorted(rows.values(), key=lambda r: (-r.converted, -r.received, r.source))
    return SourceReport(period=period, by=by, rows=ordered)
