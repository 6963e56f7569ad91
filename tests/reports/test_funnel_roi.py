"""The funnel and ROI reports, checked against the quarter in tests/reports/scenario.py."""

from __future__ import annotations

import json

import pytest

from tests.agency import Agency
from tests.reports.scenario import build

Q4 = {"from": "2026-10-01", "to": "2026-12-31"}
NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def quarter(agency: Agency) -> Agency:
    build(agency)
    return agency


def test_the_funnel_counts_each_step_in_the_period_with_step_rates(quarter: Agency) -> None:
    response = quarter.api.get("/api/v1/reports/funnel", params=Q4)
    assert response.status_code == 200, response.text
    steps = [(s["step"], s["count"], s["rate"]) for s in response.json()["steps"]]
    assert steps == [
        ("moments_detected", 0, None),
        ("asks_sent", 0, None),
        ("replies", 0, None),
        ("hot_replies", 0, None),
        ("referrals_received", 5, None),
        ("referrals_contacted", 4, 0.8),  # 1, 2, 3, 5 (6 was contacted in September)
        ("referrals_quoted", 3, 0.75),  # 1, 3, 5
        ("referrals_converted", 3, 1.0),  # 1, 3 and 6 (converted 10-02)
    ]


def roi_of(agency: Agency, **period: str) -> dict[str, object]:
    response = agency.api.get("/api/v1/reports/roi", params=period)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_roi_without_a_program_cost_has_no_ratio(quarter: Agency) -> None:
    roi = roi_of(quarter, **Q4)
    assert (roi["commission"], roi["premium"], roi["program_cost"]) == (494.0, 3700.0, 0.0)
    assert roi["roi"] is None and roi["net"] == 494.0 and roi["currency"] == "USD"


def test_roi_charges_the_monthly_cost_for_each_month_of_the_period(quarter: Agency) -> None:
    quarter.configure("[program]\ncost_per_month = 500\n")
    roi = roi_of(quarter, **Q4)
    assert (roi["months"], roi["program_cost"], roi["net"]) == (3.0, 1500.0, -1006.0)
    assert roi["roi"] == pytest.approx(-0.6707)
    november = roi_of(quarter, **{"from": "2026-11-01", "to": "2026-11-30"})
    assert (november["commission"], november["program_cost"], november["roi"]) == (
        444.0,
        500.0,
        -0.112,
    )


def test_roi_pro_rates_a_part_month_by_days(quarter: Agency) -> None:
    quarter.configure('[program]\ncost_per_month = 500\ncurrency = "CAD"\n')
    roi = roi_of(quarter, **{"from": "2026-11-01", "to": "2026-11-15"})
    assert (roi["months"], roi["program_cost"], roi["net"], roi["roi"]) == (
        0.5,
        250.0,
        194.0,
        0.776,
    )
    assert roi["currency"] == "CAD"


def test_the_cli_prints_funnel_and_roi(quarter: Agency) -> None:
    out = quarter.run("report", "funnel", "--format", "json", now=NOW)  # the current quarter
    assert json.loads(out)["steps"][4] == {"step": "referrals_received", "count": 5, "rate": None}
    out = quarter.run(
        "report", "roi", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv", now=NOW
    )
    assert "commission,444.0" in out and "roi," in out
    table = quarter.run("report", "roi", now=NOW)
    assert "no cost set" in table and "494.00" in table
    table = quarter.run("report", "funnel", now=NOW)
    assert "Referrals contacted" in table and "80%" in table


def test_a_period_ending_before_it_starts_is_refused(quarter: Agency) -> None:
    response = quarter.api.get(
        "/api/v1/reports/roi", params={"from": "2026-11-02", "to": "2026-11-01"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    quarter.run("report", "funnel", "--from", "someday", now=NOW, expect=2)
