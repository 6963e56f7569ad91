"""The dashboard: the week's numbers with their 12-week trends, this quarter's funnel,
top referrers and return, and the overdue tasks of the person's book.

The numbers come from the report services (the same as ``referral report`` and the
API count). Most count the whole agency, and the page says so on each section; the
overdue tasks and "Your book" (the sources report grouped by producer) follow whose
book the person sees (:func:`whose_book`): a producer's own, always.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.reports import service as reports
from referral_engine.reports.funnel import STEPS, funnel
from referral_engine.reports.period import Period
from referral_engine.reports.sources import SourceGrouping, SourceRow, source_report
from referral_engine.tasks.models import Task, TaskStatus
from referral_engine.users.models import User
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import charts
from referral_engine.web.pages.report_pages import (
    chosen_week,
    funnel_svg,
    money,
    roi_of,
    roi_svg,
    this_quarter,
)
from referral_engine.web.pages.views import ALL, page_user, render, whose_book
from referral_engine.web.pages.work import outbox_waiting

router = APIRouter(include_in_schema=False)

TREND_WEEKS = 12
TOP_REFERRERS = 5
OVERDUE_SHOWN = 5


def trends(recent: list[reports.WeeklyNumbers]) -> dict[str, Any]:
    """A trend chart per headline metric, oldest week first."""
    oldest_first = list(reversed(recent))
    out = {}
    for key, label in reports.HEADLINE:
        data = [charts.Datum(n.week, n[key]) for n in oldest_first]
        out[key] = charts.trend_chart(
            ident=f"trend-{key}",
            title=f"{label}, the {len(data)} weeks to {recent[0].week}",
            desc="Week by week, oldest first: " + "; ".join(f"{d.label} {d.text}" for d in data),
            data=data,
        )
    return out


def top_referrers(rows: list[SourceRow], limit: int) -> list[SourceRow]:
    """The quarter's clients and partners who sent the most referrals (then converted)."""
    named = [r for r in rows if r.kind != "external"]
    return sorted(named, key=lambda r: (-r.received, -r.converted, r.source.casefold()))[:limit]


def referrers_svg(rows: list[SourceRow]) -> Any:
    data = [charts.Datum(r.source, r.received) for r in rows]
    return charts.bar_chart(
        ident="top-referrers-chart",
        title="Top referrers this quarter, by referrals received",
        desc="; ".join(f"{d.label} {d.text}" for d in data) or "No referrals yet this quarter.",
        data=data,
    )


def own_book(session: Session, *, period: Period, user: User) -> SourceRow:
    """The referrals of ``user``'s book received in ``period`` (the sources report
    grouped by producer: those they own, or from clients they produce)."""
    rows = source_report(session, period=period, by=SourceGrouping.producer).rows
    mine = f"producer:{user.id}"
    return next((r for r in rows if r.key == mine), SourceRow(user.name, "producer", key=mine))


def own_book_svg(row: SourceRow) -> Any:
    data = [
        charts.Datum("Received", row.received),
        charts.Datum("Contacted in SLA", row.contacted_within_sla),
        charts.Datum("Quoted", row.quoted),
        charts.Datum("Converted", row.converted),
    ]
    return charts.bar_chart(
        ident="own-book-chart",
        title="Your book's referrals this quarter",
        desc="Referrals you own or from clients you produce, received this quarter, and "
        "what became of them: " + "; ".join(f"{d.label} {d.text}" for d in data),
        data=data,
    )


def overdue_tasks(session: Session, *, book: int | None, now: datetime) -> tuple[int, list[Task]]:
    """Open tasks due before ``now``: how many, and the most overdue few; only the
    person's own (assigned or escalated to them) when ``book`` is their id."""
    where: list[Any] = [Task.status == TaskStatus.open, Task.due_at < now]
    if book is not None:
        where.append(or_(Task.assignee_id == book, Task.escalated_to_id == book))
    count = int(session.scalar(select(func.count()).select_from(Task).where(*where)) or 0)
    first = session.scalars(
        select(Task).where(*where).order_by(Task.due_at, Task.id).limit(OVERDUE_SHOWN)
    )
    return count, list(first)


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, session: DbSession, week: str | None = None, who: str = ALL
) -> HTMLResponse:
    user = page_user(request, session)
    now = clock.now()
    chosen, error = chosen_week(session, week, now)
    recent = reports.recent_weeks(session, until=chosen, count=TREND_WEEKS)
    numbers = recent[0]  # the chosen week comes first, counted once
    quarter = this_quarter(session, now)
    the_funnel = funnel(session, period=quarter)
    sources = source_report(session, period=quarter, by=SourceGrouping.referrer)
    top = top_referrers(sources.rows, TOP_REFERRERS)
    roi = roi_of(session, quarter)
    book = whose_book(user, who)
    overdue_count, overdue = overdue_tasks(session, book=book, now=now)
    own = own_book(session, period=quarter, user=user) if book is not None else None
    response = render(
        request,
        "dashboard.html",
        user,
        numbers=numbers,
        recent=recent,
        week=chosen,
        error=error,
        details=reports.DETAIL,
        trends=trends(recent),
        quarter=quarter,
        funnel=the_funnel,
        funnel_steps=STEPS,
        funnel_chart=funnel_svg(the_funnel, ident="dashboard-funnel"),
        top=top,
        top_chart=referrers_svg(top),
        roi=roi,
        roi_chart=roi_svg(roi, ident="dashboard-roi"),
        money=money,
        book=book,
        own=own,
        own_chart=own_book_svg(own) if own else None,
        who=who,
        overdue_count=overdue_count,
        overdue=overdue,
        outbox_waiting=outbox_waiting(session, user),
    )
    response.status_code = 422 if error else 200
    return response
