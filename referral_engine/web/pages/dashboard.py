"""The dashboard: this week's numbers at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from referral_engine import clock
from referral_engine.reports import service as reports
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render
from referral_engine.web.pages.work import outbox_waiting

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: DbSession, week: str | None = None) -> HTMLResponse:
    user = page_user(request, session)
    try:
        chosen = reports.parse_week(week) if week else reports.current_week(session, clock.now())
    except reports.BadWeek:
        chosen = reports.current_week(session, clock.now())
    recent = reports.recent_weeks(session, until=chosen, count=6)
    numbers = recent[0]  # the chosen week comes first, counted once
    return render(
        request,
        "dashboard.html",
        user,
        numbers=numbers,
        recent=recent,
        week=chosen,
        details=reports.DETAIL,
        outbox_waiting=outbox_waiting(session, user),
    )
