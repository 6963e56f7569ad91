"""Terminal rendering of the reports (table, JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.table import Table

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.reports import service as reports


def print_weekly(url: str, *, week: str | None, fmt: str, console: Console) -> None:
    with unit_of_work(url) as session:
        chosen = reports.parse_week(week) if week else reports.current_week(session, clock.now())
        numbers = reports.weekly(session, week=chosen)
    document = numbers.as_dict()
    if fmt == "json":
        console.print_json(json.dumps(document))
        return
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["metric", "value"])
        for key, value in document.items():
            if not isinstance(value, dict):
                writer.writerow([key, value])
        for reason, count in numbers.suppressed_by_reason.items():
            writer.writerow([f"suppressed:{reason}", count])
        console.print(buffer.getvalue().rstrip("\n"), highlight=False, markup=False)
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
