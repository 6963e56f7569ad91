"""The reports API: the weekly numbers, sources, the funnel, ROI and the top referrers
fit to publish."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.referrals.recognition import InvalidQuarter, Quarter, agency_zone
from referral_engine.reports import service as reports
from referral_engine.reports.funnel import funnel
from referral_engine.reports.period import BadPeriod, Period, parse_period
from referral_engine.reports.roi import roi
from referral_engine.reports.sources import BadGrouping, parse_grouping, source_report
from referral_engine.reports.top_referrers import top_referrers
from referral_engine.web.deps import ApiUser, DbSession
from referral_engine.web.problems import Problem

router = APIRouter(tags=["reports"])


@router.get("/api/v1/reports/weekly")
def weekly_report(
    user: ApiUser,
    session: DbSession,
    week: str | None = Query(None, description="ISO week, e.g. 2026-W48 (default: this week)"),
) -> dict[str, Any]:
    """The weekly four (binds detected, asks sent, replies received, referrals received,
    quoted and converted), how asks were decided (approved, deferred, declined, held,
    suppressed and expired with reasons), complaints and opt-outs. Weeks run Monday to
    Monday in the agency's zone."""
    try:
        chosen = reports.parse_week(week) if week else reports.current_week(session, clock.now())
    except reports.BadWeek as exc:
        raise Problem(
            422,
            "Invalid week",
            str(exc),
            kind="invalid-week",
            errors=[{"field": "week", "reason": str(exc)}],
        ) from exc
    return reports.weekly(session, week=chosen).as_dict()


def _period(session: DbSession, from_: str | None, to: str | None) -> Period:
    try:
        return parse_period(from_, to, zone=reports.agency_zone(session), now=clock.now())
    except BadPeriod as exc:
        raise Problem(
            422,
            "Invalid period",
            str(exc),
            kind="invalid-period",
            errors=[{"field": exc.field, "reason": exc.reason}],
        ) from exc


_FROM = Query(None, alias="from", description="First day, YYYY-MM-DD (default: quarter start)")
_TO = Query(None, description="Last day, included, YYYY-MM-DD (default: quarter end)")


@router.get("/api/v1/reports/sources")
def sources_report(
    user: ApiUser,
    session: DbSession,
    by: str = Query("referrer", description="referrer, partner, trigger, segment or producer"),
    from_: str | None = _FROM,
    to: str | None = _TO,
) -> dict[str, Any]:
    """Referrals received in the period, one row per source: received, contacted within
    the SLA, quoted, converted, close rate, premium and commission."""
    try:
        grouping = parse_grouping(by)
    except BadGrouping as exc:
        raise Problem(
            422,
            "Invalid grouping",
            str(exc),
            kind="invalid-grouping",
            errors=[{"field": "by", "reason": str(exc)}],
        ) from exc
    period = _period(session, from_, to)
    return source_report(session, period=period, by=grouping).as_dict()


@router.get("/api/v1/reports/funnel")
def funnel_report(
    user: ApiUser, session: DbSession, from_: str | None = _FROM, to: str | None = _TO
) -> dict[str, Any]:
    """Moments detected, asks sent, replies, hot replies, referrals received, contacted,
    quoted and converted in the period, each with its rate over the step before."""
    return funnel(session, period=_period(session, from_, to)).as_dict()


@router.get("/api/v1/reports/roi")
def roi_report(
    user: ApiUser, session: DbSession, from_: str | None = _FROM, to: str | None = _TO
) -> dict[str, Any]:
    """Commission and premium of referrals converted in the period against the program's
    cost ([program] cost_per_month, pro-rated by days); ROI is null when the cost is 0."""
    period = _period(session, from_, to)
    program = load_settings(session).program
    return roi(
        session, period=period, cost_per_month=program.cost_per_month, currency=program.currency
    ).as_dict()


@router.get("/api/v1/reports/top-referrers")
def top_referrers_report(
    user: ApiUser,
    session: DbSession,
    quarter: str | None = Query(None, description="e.g. 2026-Q4 (default: this quarter)"),
    top: int = Query(10, ge=1, le=100),
) -> dict[str, Any]:
    """The quarter's top referrers fit to publish: only clients with a recorded publicity
    permission are named (the others are counted in ``withheld``), with introductions
    received and the disclosure of any reward — never what became of the people
    introduced."""
    try:
        chosen = Quarter.parse(quarter) if quarter else None
    except InvalidQuarter as exc:
        raise Problem(
            422,
            "Invalid request",
            str(exc),
            kind="invalid-request",
            errors=[{"field": "quarter", "reason": str(exc)}],
        ) from exc
    chosen = chosen or Quarter.containing(clock.now(), agency_zone(session))
    return top_referrers(session, quarter=chosen, top=top).as_dict()
