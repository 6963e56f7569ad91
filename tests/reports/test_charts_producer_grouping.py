"""The sources report grouped by producer: a referral counts for its owner, else for the
referring client's producer; checked against the quarter in tests/reports/scenario.py."""

from __future__ import annotations

import pytest

from referral_engine.users.models import Role
from tests.agency import Agency
from tests.reports.scenario import build, move
from tests.team_members import member

Q4 = {"from": "2026-10-01", "to": "2026-12-31"}


@pytest.fixture
def sams_referral(agency: Agency) -> Agency:
    """The scenario, with referral 3 (Oak Street Realty's, converted) given to Sam."""
    build(agency)
    member(agency.url, email="sam@agency.example", role=Role.producer, name="Sam Ortiz")
    users = agency.api.get("/api/v1/users").json()
    sam = next(u["id"] for u in users if u["email"] == "sam@agency.example")
    oak = next(
        r["id"]
        for r in agency.api.get("/api/v1/referrals").json()
        if r["prospect"]["first_name"] == "Prospect3"
    )
    move(agency, oak, "2026-11-11T15:00:00Z", owner_id=sam)
    return agency


def test_each_producer_counts_the_referrals_they_own(sams_referral: Agency) -> None:
    response = sams_referral.api.get("/api/v1/reports/sources", params={"by": "producer", **Q4})
    assert response.status_code == 200, response.text
    rows = {r["source"]: r for r in response.json()["rows"]}
    assert set(rows) == {"Administrator", "Sam Ortiz"}
    sam = rows["Sam Ortiz"]
    assert (sam["kind"], sam["received"], sam["converted"], sam["commission"]) == (
        "producer",
        1,
        1,
        300.0,
    )
    admin = rows["Administrator"]
    assert (admin["received"], admin["converted"], admin["close_rate"]) == (4, 1, 0.25)


def test_an_unknown_grouping_names_producer_among_the_choices(agency: Agency) -> None:
    response = agency.api.get("/api/v1/reports/sources", params={"by": "carrier"})
    assert response.status_code == 422
    assert "segment, producer" in response.json()["detail"]
