"""Terminal rendering of the reports (table, JSON, CSV) and the `referral report` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.console import ReportFormat, fail, out, state
from referral_engine.db import unit_of_work
from referral_engine.referrals.recognition import InvalidQuarter, Quarter, agency_zone
from referral_engine.reports import service as reports
from referral_engine.reports.csv_out import write_csv
from referral_engine.reports.digest import NoPrincipal, render_digest, send_digest
from referral_engine.reports.funnel import STEPS, funnel
from referral_engine.reports.period import BadPeriod, Period, parse_period
from referral_engine.reports.roi import roi
from referral_engine.reports.service import BadWeek
from referral_engine.reports.sources import (
    BadGrouping,
    SourceGrouping,
    SourceRow,
    parse_grouping,
    source_report,
)
from referral_engine.reports.top_referrers import top_referrers
from referral_engine.setup import require_schema

report_app = typer.Typer(help="Numbers: the weekly report and the rest.", no_args_is_help=True)


def print_weekly(url: str, *, week: str | None, fmt: str, console: Console) -> None:
    with unit_of_work(url) as session:
        chosen = reports.parse_week(week) if week else reports.current_week(session, clock.now())
        numbers = reports.weekly(session, week=chosen)
    document = numbers.as_dict()
    if fmt == "json":
        console.print_json(json.dumps(document))
        return
    if fmt == "csv":
        rows: list[list[Any]] = [["metric", "value"]]
        rows += [[key, value] for key, value in document.items() if not isinstance(value, dict)]
        rows += [[f"suppressed:{r}", n] for r, n in numbers.suppressed_by_reason.items()]
        write_csv(console.file, rows)
        return
    table = Table(
        title=f"Week {numbers.week} ({numbers.start:%a %d %b} – {numbers.end:%a %d %b %Y}, UTC)",
        title_justify="left",
    )
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    for key, label in reports.ALL_LABELS:
        if key in numbers.values:
            table.add_row(label, f"{numbers[key]:,}")
    for reason, count in sorted(numbers.suppressed_by_reason.items()):
        table.add_row(f"  not sent: {reason}", f"{count:,}")
    console.print(table)


# --- sources, funnel, ROI and the digest: `referral report sources|funnel|roi|digest` ---


def _period(session: Session, from_: str | None, to: str | None) -> Period:
    return parse_period(from_, to, zone=reports.agency_zone(session), now=clock.now())


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _money(value: float) -> str:
    return f"{value:,.0f}"


def print_sources(
    url: str, *, by: str, from_: str | None, to: str | None, fmt: str, console: Console
) -> None:
    grouping = parse_grouping(by)
    with unit_of_work(url) as session:
        report = source_report(session, period=_period(session, from_, to), by=grouping)
    document = report.as_dict()
    if fmt == "json":
        console.print_json(json.dumps(document))
        return
    rows = [row.as_dict() for row in report.rows]
    if fmt == "csv":
        header = list(SourceRow("", "").as_dict())
        write_csv(console.file, [header, *([row[key] for key in header] for row in rows)])
        return
    period = report.period
    table = Table(
        title=f"Referral sources by {grouping.value}, {period.first} – {period.last}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        collapse_padding=True,  # nine columns in 80: long names wrap inside their cell
    )
    table.add_column("Source", min_width=12)
    if grouping in (SourceGrouping.referrer, SourceGrouping.partner):
        table.add_column("Kind")
    for name in ("Recv", "SLA", "Quoted", "Conv", "Close", "Premium", "Comm."):
        table.add_column(name, justify="right")
    for row in report.rows:
        shown = row.kind.removeprefix("partner:").replace("_", " ")
        kind = [shown] if grouping in (SourceGrouping.referrer, SourceGrouping.partner) else []
        table.add_row(
            row.source,
            *kind,
            str(row.received),
            str(row.contacted_within_sla),
            str(row.quoted),
            str(row.converted),
            _rate(row.close_rate),
            _money(row.premium),
            _money(row.commission),
        )
    if not report.rows:
        console.print(f"No referrals received {period.first} – {period.last}.")
        return
    console.print(table)


def print_funnel(
    url: str, *, from_: str | None, to: str | None, fmt: str, console: Console
) -> None:
    with unit_of_work(url) as session:
        result = funnel(session, period=_period(session, from_, to))
    document = result.as_dict()
    if fmt == "json":
        console.print_json(json.dumps(document))
        return
    if fmt == "csv":
        steps = [[s["step"], s["count"], s["rate"]] for s in document["steps"]]  # type: ignore[attr-defined]
        write_csv(console.file, [["step", "count", "rate"], *steps])
        return
    table = Table(
        title=f"Funnel, {result.period.first} – {result.period.last}", title_justify="left"
    )
    table.add_column("Step")
    table.add_column("Count", justify="right")
    table.add_column("Rate from previous", justify="right")
    for index, (key, label) in enumerate(STEPS):
        table.add_row(label, f"{result.counts[key]:,}", _rate(result.rate(index)))
    console.print(table)


def print_roi(url: str, *, from_: str | None, to: str | None, fmt: str, console: Console) -> None:
    with unit_of_work(url) as session:
        program = load_settings(session).program
        result = roi(
            session,
            period=_period(session, from_, to),
            cost_per_month=program.cost_per_month,
            currency=program.currency,
        )
    document = result.as_dict()
    if fmt == "json":
        console.print_json(json.dumps(document))
        return
    if fmt == "csv":
        rows = [[key, value] for key, value in document.items()]
        write_csv(console.file, [["metric", "value"], *rows])
        return
    money = result.currency
    table = Table(
        title=f"Program ROI, {result.period.first} – {result.period.last}", title_justify="left"
    )
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    table.add_row("Referrals converted", f"{result.converted:,}")
    table.add_row(f"Premium ({money})", f"{result.premium:,.2f}")
    table.add_row(f"Commission ({money})", f"{result.commission:,.2f}")
    table.add_row("Months", f"{result.months:.2f}")
    table.add_row(f"Program cost ({money})", f"{result.cost:,.2f}")
    table.add_row(f"Net ({money})", f"{result.net:,.2f}")
    table.add_row("ROI", "– (no cost set)" if result.ratio is None else f"{result.ratio:.0%}")
    console.print(table)


def print_digest(url: str, *, week: str | None, send: bool, console: Console) -> None:
    with unit_of_work(url) as session:
        chosen = reports.parse_week(week) if week else reports.current_week(session, clock.now())
        subject, text = render_digest(session, chosen, now=clock.now())
    console.print(f"Subject: {subject}\n", highlight=False, markup=False)
    console.print(text, highlight=False, markup=False)
    if send:
        sent = send_digest(url, week=chosen, now=clock.now())
        console.print(f"Digest to {sent.to}: {sent.status} (message {sent.message_id})")


FromDay = Annotated[
    str | None,
    typer.Option("--from", help="First day (default: quarter start).", show_default=False),
]
ToDay = Annotated[
    str | None,
    typer.Option("--to", help="Last day, included (default: quarter end).", show_default=False),
]


# The commands, registered on `referral report` (referral_engine.cli imports this module).


@report_app.command("sources")
def report_sources(
    by: Annotated[
        str, typer.Option(help="referrer, partner, trigger, segment or producer.")
    ] = "referrer",
    from_: FromDay = None,
    to: ToDay = None,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
) -> None:
    """Referrals received in a period, one row per source."""
    _run(lambda: print_sources(state.db_url, by=by, from_=from_, to=to, fmt=fmt, console=out))


@report_app.command("funnel")
def report_funnel(
    from_: FromDay = None,
    to: ToDay = None,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
) -> None:
    """From moments detected to referrals converted, with step-to-step rates."""
    _run(lambda: print_funnel(state.db_url, from_=from_, to=to, fmt=fmt, console=out))


@report_app.command("roi")
def report_roi(
    from_: FromDay = None,
    to: ToDay = None,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
) -> None:
    """Commission against the program's cost for a period."""
    _run(lambda: print_roi(state.db_url, from_=from_, to=to, fmt=fmt, console=out))


@report_app.command("digest")
def report_digest(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W48 (default: now).", show_default=False)
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Also email it to [agency] principal_email.")
    ] = False,
) -> None:
    """The weekly digest to the principal: print it, and with --send email it."""
    _run(lambda: print_digest(state.db_url, week=week, send=send, console=out))


def print_top_referrers(
    url: str, *, quarter: str | None, top: int, fmt: str, console: Console
) -> None:
    with unit_of_work(url) as session:
        chosen = (
            Quarter.parse(quarter)
            if quarter
            else Quarter.containing(clock.now(), agency_zone(session))
        )
        result = top_referrers(session, quarter=chosen, top=top)
    if fmt == "json":
        console.print_json(json.dumps(result.as_dict()))
        return
    rows = [[r.rank, r.name, r.introductions, r.disclosure or ""] for r in result.rows]
    if fmt == "csv":
        header = ["rank", "name", "introductions", "disclosure"]
        write_csv(console.file, [header, *rows])
        return
    table = Table(title=f"Top referrers, {result.quarter}", title_justify="left")
    for name in ("Rank", "Name", "Introductions", "Disclosure"):
        table.add_column(name)
    for row in rows:
        table.add_row(*(str(value) for value in row))
    console.print(table)
    console.print(
        f"{result.withheld} referrer(s) left out: no recorded publicity permission.",
        highlight=False,
    )


@report_app.command("top-referrers")
def report_top_referrers(
    quarter: Annotated[
        str | None, typer.Option(help="e.g. 2026-Q4 (default: this quarter).", show_default=False)
    ] = None,
    top: Annotated[int, typer.Option(min=1, max=100, help="How many to list.")] = 10,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
) -> None:
    """The quarter's top referrers fit to publish: only those with publicity permission."""
    _run(lambda: print_top_referrers(state.db_url, quarter=quarter, top=top, fmt=fmt, console=out))


def _run(show: Callable[[], None]) -> None:
    require_schema(state.db_url)
    try:
        show()
    except (BadWeek, BadPeriod, BadGrouping, NoPrincipal, InvalidQuarter) as exc:
        fail(str(exc))


@report_app.command("weekly")
def report_weekly(
    week: Annotated[
        str | None, typer.Option(help="ISO week, e.g. 2026-W48 (default: now).", show_default=False)
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.table,
) -> None:
    """The weekly numbers."""
    require_schema(state.db_url)
    try:
        print_weekly(state.db_url, week=week, fmt=fmt.value, console=out)
    except BadWeek as exc:
        fail(str(exc))
