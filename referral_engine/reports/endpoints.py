"""The reports API: the weekly numbers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from referral_engine import clock
from referral_engine.reports import service as reports
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
