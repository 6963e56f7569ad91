"""The report pages: sources (sortable, CSV), the funnel and ROI, each with its chart.

Every page reads the same services as the API and ``referral report``; a period is a
quarter (``?quarter=2026-Q4``) or days (``?from=2026-10-01&to=2026-12-31``), this
quarter by default. A period that cannot be read shows the page again with the
message beside its field and the input kept, status 422, and no numbers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.referrals.recognition import InvalidQuarter, Quarter
from referral_engine.reports import service as reports
from referral_engine.reports.csv_out import write_csv
from referral_engine.reports.funnel import STEPS, Funnel, funnel
from referral_engine.reports.period import BadPeriod, Period, parse_period, period_of, quarter_of
from referral_engine.reports.roi import Roi, roi
from referral_engine.reports.sources import (
    BadGrouping,
    SourceGrouping,
    SourceReport,
    SourceRow,
    parse_grouping,
    source_report,
)
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import charts
from referral_engine.web.pages.listing import rows_page
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


@dataclass
class PeriodChoice:
    """What the period chooser was given, the period it means, and what was wrong."""

    quarter: str = ""
    from_: str = ""
    to: str = ""
    period: Period | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def query(self) -> dict[str, str]:
        """The chooser's fields as given, for links that keep the period."""
        given = {"quarter": self.quarter, "from": self.from_, "to": self.to}
        return {k: v for k, v in given.items() if v}


def choose_period(
    session: Session, *, quarter: str | None, from_: str | None, to: str | None, now: datetime
) -> PeriodChoice:
    """A quarter when one is given, else ``from``..``to`` (missing ends: this quarter's)."""
    choice = PeriodChoice(quarter=(quarter or "").strip(), from_=from_ or "", to=to or "")
    zone = reports.agency_zone(session)
    try:
        if choice.quarter:
            chosen = Quarter.parse(choice.quarter)
            first, last = quarter_of(date(chosen.year, 3 * chosen.number - 2, 1))
            choice.period = period_of(first, last, zone)
        else:
            choice.period = parse_period(from_ or None, to or None, zone=zone, now=now)
    except InvalidQuarter as exc:
        choice.errors["quarter"] = f"{exc}."
    except BadPeriod as exc:
        name = exc.field if exc.field in ("from", "to") else "from"
        choice.errors[name] = f"{exc.reason}."
    except (ValueError, OverflowError):  # a year the calendar cannot count to or from
        name = "quarter" if choice.quarter else ("to" if to else "from")
        choice.errors[name] = "a date this far from today cannot be counted."
    return choice


def chosen_week(session: Session, text: str | None, now: datetime) -> tuple[str, str]:
    """The week ``text`` names (this week when empty) and, when it cannot be used, this
    week with a plain message saying why."""
    current = reports.current_week(session, now)
    if not text:
        return current, ""
    try:
        chosen = reports.parse_week(text)
    except reports.BadWeek as exc:
        return current, f"week: {exc}; showing this week instead."
    if not FIRST_YEAR <= int(chosen.split("-W")[0]) <= LAST_YEAR:
        years = f"between {FIRST_YEAR} and {LAST_YEAR}"
        return current, f"week: {text!r} is not {years}; showing this week instead."
    return chosen, ""


# The weeks a page counts back from: 12 weeks before must still be on the calendar.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def this_quarter(session: Session, now: datetime) -> Period:
    return parse_period(None, None, zone=reports.agency_zone(session), now=now)


def _page(request: Request, template: str, user: Any, choice: PeriodChoice, **context: Any) -> Any:
    response = render(request, template, user, choice=choice, **context)
    if choice.errors or context.get("error"):
        response.status_code = 422
    return response


@router.get("/reports/funnel", response_class=HTMLResponse)
def funnel_page(
    request: Request,
    session: DbSession,
    quarter: str | None = None,
    to: str | None = None,
) -> Any:
    user = page_user(request, session)
    from_ = request.query_params.get("from")
    choice = choose_period(session, quarter=quarter, from_=from_, to=to, now=clock.now())
    report = funnel(session, period=choice.period) if choice.period else None
    chart = funnel_svg(report, ident="funnel-chart") if report else None
    return _page(
        request, "report_funnel.html", user, choice, report=report, chart=chart, steps=STEPS
    )


def funnel_svg(report: Funnel, *, ident: str) -> Any:
    period = report.period
    data = [charts.Datum(label, report.counts[key]) for key, label in STEPS]
    return charts.funnel_chart(
        ident=ident,
        title=f"Funnel, {period.first.isoformat()} to {period.last.isoformat()}",
        desc="How many of each step happened in the period: "
        + "; ".join(f"{d.label} {d.text}" for d in data),
        data=data,
    )


def money(value: float, currency: str) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value):,.2f} {currency}"


def roi_of(session: Session, period: Period) -> Roi:
    program = load_settings(session).program
    return roi(
        session, period=period, cost_per_month=program.cost_per_month, currency=program.currency
    )


def roi_svg(report: Roi, *, ident: str) -> Any:
    data = [
        charts.Datum("Premium", report.premium, money(report.premium, report.currency)),
        charts.Datum("Commission", report.commission, money(report.commission, report.currency)),
        charts.Datum("Program cost", report.cost, money(report.cost, report.currency)),
        charts.Datum("Net", report.net, money(report.net, report.currency)),
    ]
    period = report.period
    return charts.bar_chart(
        ident=ident,
        title=f"Return on the program, {period.first.isoformat()} to {period.last.isoformat()}",
        desc="Premium and commission of the referrals converted in the period, the "
        "program's cost, and commission less cost: "
        + "; ".join(f"{d.label} {d.text}" for d in data),
        data=data,
    )


@router.get("/reports/roi", response_class=HTMLResponse)
def roi_page(
    request: Request, session: DbSession, quarter: str | None = None, to: str | None = None
) -> Any:
    user = page_user(request, session)
    from_ = request.query_params.get("from")
    choice = choose_period(session, quarter=quarter, from_=from_, to=to, now=clock.now())
    report = roi_of(session, choice.period) if choice.period else None
    chart = roi_svg(report, ident="roi-chart") if report else None
    return _page(request, "report_roi.html", user, choice, report=report, chart=chart, money=money)


# The sources table's columns, in order: (key, heading, numeric).
COLUMNS = [
    ("source", "Source", False),
    ("kind", "Kind", False),
    ("received", "Received", True),
    ("contacted_within_sla", "Contacted within SLA", True),
    ("quoted", "Quoted", True),
    ("converted", "Converted", True),
    ("close_rate", "Close rate", True),
    ("premium", "Premium", True),
    ("commission", "Commission", True),
]
SORTABLE = {key for key, _, _ in COLUMNS}


def sorted_rows(rows: list[SourceRow], sort: str, direction: str) -> list[SourceRow]:
    """``rows`` by one column (text case-blind); rows without a value (no close rate)
    last either way; ties keep the report's own order."""
    if sort not in SORTABLE:
        return list(rows)

    def value(row: SourceRow) -> Any:
        found = row.as_dict()[sort]
        return found.casefold() if isinstance(found, str) else found

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    return sorted(present, key=value, reverse=direction == "desc") + missing


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def sources_svg(report: SourceReport, rows: list[SourceRow], *, ident: str, limit: int) -> Any:
    shown = [r for r in rows if r.close_rate is not None][:limit]
    data = [
        charts.Datum(r.source, r.close_rate or 0.0, f"{rate(r.close_rate)} of {r.received}")
        for r in shown
    ]
    period = report.period
    return charts.bar_chart(
        ident=ident,
        title=f"Close rate by {report.by.value}, {period.first.isoformat()} to "
        f"{period.last.isoformat()}",
        desc="Of the referrals received in the period from each source, the share "
        "converted: " + "; ".join(f"{d.label} {d.text}" for d in data),
        data=data,
    )


def _csv(report: SourceReport, rows: list[SourceRow]) -> Response:
    header = list(SourceRow("", "").as_dict())
    out = io.StringIO()
    write_csv(out, [header, *([row.as_dict()[key] for key in header] for row in rows)])
    period = report.period
    name = f"sources-{report.by.value}-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


CHART_ROWS = 15


@router.get("/reports/sources", response_model=None)
def sources_page(
    request: Request,
    session: DbSession,
    by: str = "referrer",
    quarter: str | None = None,
    to: str | None = None,
    sort: str = "",
    dir: str = "desc",  # noqa: A002 - the query parameter's name
    format: str = "html",  # noqa: A002 - the query parameter's name
) -> Response:
    user = page_user(request, session)
    from_ = request.query_params.get("from")
    choice = choose_period(session, quarter=quarter, from_=from_, to=to, now=clock.now())
    error = ""
    try:
        grouping = parse_grouping(by)
    except BadGrouping as exc:
        grouping, error = None, f"{exc}."
    direction = "asc" if dir == "asc" else "desc"
    if sort and sort not in SORTABLE:
        error = f"sort: {sort!r} is not a column of this table; shown in the report's order."
        sort = ""
    report = None
    if choice.period and grouping:
        report = source_report(session, period=choice.period, by=grouping)
    rows = sorted_rows(report.rows, sort, direction) if report else []
    if report and format == "csv":
        return _csv(report, rows)
    base = {**choice.query(), "by": grouping.value if grouping else by}
    listing, shown = rows_page(
        request, rows, {**base, "sort": sort, "dir": direction if sort else ""}
    )
    return _page(
        request,
        "report_sources.html",
        user,
        choice,
        report=report,
        rows=shown,
        listing=listing,
        by=by,
        groupings=list(SourceGrouping),
        columns=COLUMNS,
        sort=sort,
        direction=direction,
        error=error,
        sort_link=lambda key: (
            "?"
            + urlencode(
                {
                    **base,
                    "sort": key,
                    "dir": "asc" if sort == key and direction == "desc" else "desc",
                }
            )
        ),
        csv_link="?" + urlencode({**base, "sort": sort, "dir": direction, "format": "csv"}),
        chart=sources_svg(report, rows, ident="sources-chart", limit=CHART_ROWS)
        if report
        else None,
        chart_rows=CHART_ROWS,
        rate=rate,
    )
