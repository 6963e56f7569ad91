"""Where referrals come from: one row per source, for a period.

A row counts the referrals *received* in the period (created in it) and follows that
cohort: how many were contacted within the priority-service SLA, quoted and converted
(whenever that happened), and the premium and commission of those converted.

Grouped ``by`` producer, a referral counts for its owner, else for the producer of the
client who referred it (the book a producer sees on the referrals page), else for
"no producer".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import RowMapping, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from referral_engine.asks.models import Ask
from referral_engine.contacts.models import Client
from referral_engine.events.lob import segment_of
from referral_engine.referrals.models import Partner, Referral
from referral_engine.reports.period import Period
from referral_engine.users.models import User


class SourceGrouping(StrEnum):
    referrer = "referrer"
    partner = "partner"
    trigger = "trigger"
    segment = "segment"
    producer = "producer"


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
    kind: str  # client, partner (its kind after a colon), external, trigger, segment, producer
    received: int = 0
    contacted_within_sla: int = 0
    quoted: int = 0
    converted: int = 0
    premium: float = 0.0
    commission: float = 0.0
    # What the row counts, e.g. ``client:12``, ``partner:3``, ``producer:7``,
    # ``producer:none`` (not in ``as_dict``: the report's columns stay as they are).
    key: str = field(default="", compare=False)

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


def _counts() -> list[Any]:
    """What a row of the report adds up, over a group of referrals; with the id of the
    group's first referral."""
    converted = Referral.converted_at.is_not(None)
    within_sla = and_(
        Referral.contacted_at.is_not(None),
        Referral.contact_due_at.is_not(None),
        Referral.contacted_at <= Referral.contact_due_at,
    )
    return [
        func.min(Referral.id).label("first_id"),
        func.count().label("received"),
        func.sum(case((within_sla, 1), else_=0)).label("contacted_within_sla"),
        func.count(Referral.quoted_at).label("quoted"),
        func.count(Referral.converted_at).label("converted"),
        func.sum(case((converted, func.coalesce(Referral.converted_premium, 0)), else_=0)).label(
            "premium"
        ),
        func.sum(case((converted, func.coalesce(Referral.converted_commission, 0)), else_=0)).label(
            "commission"
        ),
    ]


def _by_referrer_query(where: list[Any]) -> Any:
    """Counted per referrer as the referral names them, then their names on record."""
    named_as: list[Any] = [
        Referral.referred_by_kind.label("kind"),
        Referral.referred_by_client_id.label("client_id"),
        Referral.referred_by_partner_id.label("partner_id"),
        Referral.referred_by_name.label("referred_by_name"),
        Referral.referred_by_external_id.label("referred_by_external_id"),
    ]
    counted = select(*named_as, *_counts()).where(*where).group_by(*named_as).subquery()
    referrer = aliased(Client)
    return (
        select(
            *counted.c,
            referrer.first_name,
            referrer.last_name,
            referrer.company,
            referrer.email,
            referrer.mobile,
            Partner.name.label("partner_name"),
            Partner.kind.label("partner_kind"),
        )
        .outerjoin(referrer, referrer.id == counted.c.client_id)
        .outerjoin(Partner, Partner.id == counted.c.partner_id)
        .order_by(counted.c.first_id)
    )


def _by_ask_query(where: list[Any], *columns: Any) -> Any:
    """Counted per distinct ``columns`` of the referral and the ask it came from."""
    counts = _counts()
    return (
        select(*columns, *counts)
        .select_from(Referral)
        .outerjoin(Ask, Ask.id == Referral.ask_id)
        .where(*where)
        .group_by(*columns)
        .order_by(counts[0])
    )


def _by_producer_query(where: list[Any]) -> Any:
    """Counted per the referral's owner, else the referring client's producer."""
    referrer = aliased(Client)
    producer_id = func.coalesce(Referral.owner_id, referrer.producer_id)
    counted = (
        select(producer_id.label("producer_id"), *_counts())
        .select_from(Referral)
        .outerjoin(referrer, referrer.id == Referral.referred_by_client_id)
        .where(*where)
        .group_by(producer_id)
        .subquery()
    )
    return (
        select(*counted.c, User.name.label("producer_name"))
        .outerjoin(User, User.id == counted.c.producer_id)
        .order_by(counted.c.first_id)
    )


def _groups(session: Session, period: Period, by: SourceGrouping) -> list[RowMapping]:
    """The period's referrals, counted per distinct value of all that ``by`` reads (the
    rows' labels: see the queries above), in the order of each group's first referral."""
    where = [Referral.received_at >= period.start, Referral.received_at < period.end]
    if by == SourceGrouping.partner:
        where.append(Referral.referred_by_kind == "partner")
    if by in (SourceGrouping.referrer, SourceGrouping.partner):
        query = _by_referrer_query(where)
    elif by == SourceGrouping.producer:
        query = _by_producer_query(where)
    elif by == SourceGrouping.trigger:
        query = _by_ask_query(where, Ask.trigger.label("trigger"))
    else:
        query = _by_ask_query(
            where, Ask.segment.label("ask_segment"), Referral.line_of_business.label("line")
        )
    return list(session.execute(query).mappings())


def client_name(client_id: int, first_name: str, last_name: str, *contacts: str | None) -> str:
    """A client's name as :attr:`Client.display_name` gives it, from the columns: the
    person's name, else the company, email or mobile (``contacts``, in that order)."""
    person = f"{first_name} {last_name}".strip()
    return person or next((c for c in contacts if c), None) or f"client {client_id}"


def _by_referrer(group: RowMapping) -> tuple[str, str, str] | None:
    if group["kind"] == "partner":
        name = group["partner_name"] or group["referred_by_name"] or "unnamed partner"
        return f"partner:{group['partner_id'] or name}", name, f"partner:{group['partner_kind']}"
    if group["kind"] == "client":
        name = (
            _client_on_record(group)
            or group["referred_by_name"]
            or group["referred_by_external_id"]
            or "unnamed"
        )
        return f"client:{group['client_id'] or name}", name, "client"
    return "external", "external", "external"


def _client_on_record(group: RowMapping) -> str | None:
    """The referring client's name, when the referral names a client on record."""
    if group["client_id"] is None or group["first_name"] is None:
        return None
    contacts = group["company"], group["email"], group["mobile"]
    return client_name(group["client_id"], group["first_name"], group["last_name"], *contacts)


def _by_partner(group: RowMapping) -> tuple[str, str, str] | None:
    if group["kind"] != "partner":
        return None
    return _by_referrer(group)


def _by_trigger(group: RowMapping) -> tuple[str, str, str] | None:
    trigger = group["trigger"] or "no ask"
    return trigger, trigger, "trigger"


def _by_segment(group: RowMapping) -> tuple[str, str, str] | None:
    segment = group["ask_segment"] or segment_of(group["line"]) or "unknown"
    return segment, segment, "segment"


def _by_producer(group: RowMapping) -> tuple[str, str, str] | None:
    if group["producer_id"] is None:
        return "producer:none", "no producer", "producer"
    name = group["producer_name"] or f"user {group['producer_id']}"
    return f"producer:{group['producer_id']}", name, "producer"


_KEYS: dict[SourceGrouping, Callable[[RowMapping], tuple[str, str, str] | None]] = {
    SourceGrouping.referrer: _by_referrer,
    SourceGrouping.partner: _by_partner,
    SourceGrouping.trigger: _by_trigger,
    SourceGrouping.segment: _by_segment,
    SourceGrouping.producer: _by_producer,
}


def _count(row: SourceRow, group: RowMapping) -> None:
    row.received += group["received"]
    row.contacted_within_sla += int(group["contacted_within_sla"] or 0)
    row.quoted += group["quoted"]
    row.converted += group["converted"]
    row.premium += float(group["premium"] or 0)
    row.commission += float(group["commission"] or 0)


def source_report(session: Session, *, period: Period, by: SourceGrouping) -> SourceReport:
    """Rows ordered by converted, then received (most first), then source name (then
    by the first referral of each); counted in the database, one query."""
    rows: dict[str, SourceRow] = {}
    for group in _groups(session, period, by):
        key = _KEYS[by](group)
        if key is None:
            continue
        ident, name, kind = key
        _count(rows.setdefault(ident, SourceRow(source=name, kind=kind, key=ident)), group)
    ordered = sorted(rows.values(), key=lambda r: (-r.converted, -r.received, r.source))
    return SourceReport(period=period, by=by, rows=ordered)
