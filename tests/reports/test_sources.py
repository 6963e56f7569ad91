"""The referral-source report, checked against the quarter in tests/reports/scenario.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from referral_engine.contacts.models import Client
from referral_engine.reports.sources import client_name
from tests.agency import Agency
from tests.reports.scenario import build

Q4 = {"from": "2026-10-01", "to": "2026-12-31"}
NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def quarter(agency: Agency) -> Agency:
    build(agency)
    return agency


def rows(agency: Agency, by: str, **params: str) -> list[dict[str, Any]]:
    response = agency.api.get("/api/v1/reports/sources", params={"by": by, **Q4, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


def row(
    source: str, kind: str, *counts: int, close: float, premium: float = 0, commission: float = 0
) -> dict[str, Any]:
    received, sla, quoted, converted = counts
    return {
        "source": source,
        "kind": kind,
        "received": received,
        "contacted_within_sla": sla,
        "quoted": quoted,
        "converted": converted,
        "close_rate": close,
        "premium": premium,
        "commission": commission,
    }


def test_by_referrer_counts_each_client_partner_and_external_source(quarter: Agency) -> None:
    assert rows(quarter, "referrer") == [
        row("C-1", "client", 2, 1, 1, 1, close=0.5, premium=1200, commission=144),
        row(
            "Oak Street Realty",
            "partner:realtor",
            1,
            1,
            1,
            1,
            close=1.0,
            premium=2000,
            commission=300,
        ),
        row("Maria Lopez", "partner:mortgage_broker", 1, 0, 0, 0, close=0.0),
        row("external", "external", 1, 1, 1, 0, close=0.0),
    ]


def test_by_partner_shows_partners_only_with_their_kind(quarter: Agency) -> None:
    assert [(r["source"], r["kind"], r["received"]) for r in rows(quarter, "partner")] == [
        ("Oak Street Realty", "partner:realtor", 1),
        ("Maria Lopez", "partner:mortgage_broker", 1),
    ]


def test_by_trigger_puts_referrals_without_an_ask_under_no_ask(quarter: Agency) -> None:
    assert rows(quarter, "trigger") == [
        row("no ask", "trigger", 5, 3, 3, 2, close=0.4, premium=3200, commission=444)
    ]


def test_by_segment_reads_the_prospects_line_of_business(quarter: Agency) -> None:
    assert rows(quarter, "segment") == [
        row("personal", "segment", 3, 2, 2, 2, close=0.6667, premium=3200, commission=444),
        row("commercial", "segment", 2, 1, 1, 0, close=0.0),
    ]


def test_a_referral_received_before_the_period_is_left_out(quarter: Agency) -> None:
    [q3] = rows(quarter, "referrer", **{"from": "2026-07-01", "to": "2026-09-30"})
    assert q3 == row("C-1", "client", 1, 1, 1, 1, close=1.0, premium=500, commission=50)


def test_the_period_defaults_to_the_current_quarter(quarter: Agency) -> None:
    out = quarter.run("report", "sources", "--by", "trigger", "--format", "json", now=NOW)
    document = json.loads(out)
    assert (document["from"], document["to"]) == ("2026-10-01", "2026-12-31")
    assert document["rows"][0]["received"] == 5


def test_the_cli_prints_csv_and_a_table_that_fits_80_columns(quarter: Agency) -> None:
    out = quarter.run("report", "sources", "--from", "2026-10-01", "--format", "csv", now=NOW)
    assert out.splitlines()[0].startswith("source,kind,received,contacted_within_sla")
    assert "C-1,client,2,1,1,1,0.5,1200.0,144.0" in out
    table = quarter.run("report", "sources", now=NOW)
    assert "Oak Street" in table and "Maria Lopez" in table and "realtor" in table
    assert max(len(line) for line in table.splitlines()) <= 80


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"by": "carrier"}, "by"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from"),
    ],
)
def test_bad_input_is_a_422_problem(quarter: Agency, params: dict[str, str], field: str) -> None:
    response = quarter.api.get("/api/v1/reports/sources", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def test_bad_input_on_the_command_line_exits_2(quarter: Agency) -> None:
    out = quarter.run("report", "sources", "--by", "carrier", now=NOW, expect=2)
    assert "referrer, partner, trigger, segment" in out
    out = quarter.run(
        "report", "sources", "--from", "2026-12-01", "--to", "2026-11-01", now=NOW, expect=2
    )
    assert "after" in out


@pytest.mark.parametrize(
    "columns",
    [
        ("Dana", "Reyes", "Reyes Bakery", "dana@example.com", "+13125550100"),
        ("", "", "Reyes Bakery", "dana@example.com", None),
        ("  ", "", None, "dana@example.com", "+13125550100"),
        ("", "", "", "", "+13125550100"),
        ("", "", None, None, None),
        ("Dana", "", None, None, None),
    ],
)
def test_a_referring_client_is_named_as_everywhere_else(columns: tuple[Any, ...]) -> None:
    first_name, last_name, company, email, mobile = columns
    client = Client(
        id=7,
        first_name=first_name,
        last_name=last_name,
        company=company,
        email=email,
        mobile=mobile,
    )
    assert client_name(7, *columns) == client.display_name
