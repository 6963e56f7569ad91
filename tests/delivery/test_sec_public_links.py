"""The client's links resist abuse: repeat visits add to one task, and the introduce page
takes a bounded number of referrals per link and per address (issue 14, item 5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from referral_engine import clock
from referral_engine.agency.service import update_settings
from referral_engine.db import unit_of_work
from referral_engine.delivery import links
from referral_engine.delivery.models import ReferSubmission
from referral_engine.web.app import create_app
from tests.agency import Agency
from tests.conftest import at
from tests.delivery.test_links import ask, link  # noqa: F401 - the ask fixture

NOW = "2026-12-01T18:00:00Z"


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    clock.pin(at(NOW))
    yield
    clock.pin(None)


def tasks(agency: Agency) -> list[dict[str, Any]]:
    return list(agency.api.get("/api/v1/tasks").json())


def referrals(agency: Agency) -> list[dict[str, Any]]:
    return list(agency.api.get("/api/v1/referrals").json())


def introduce(client: TestClient, value: str, n: int, **headers: str) -> Any:
    form = {"first_name": f"Maria{n}", "last_name": "Lopez", "email": f"maria{n}@example.com"}
    return client.post(f"/refer/{value}", data=form, headers=headers)


def test_five_visits_make_one_task_that_counts_them(agency: Agency, ask: dict[str, Any]) -> None:  # noqa: F811
    value = link(agency, ask["id"], links.TRACK)
    for minute in range(5):
        clock.pin(at(f"2026-12-01T18:0{minute}:00Z"))
        assert agency.api.get(f"/r/{value}", follow_redirects=False).status_code == 303
    [task] = tasks(agency)
    assert task["kind"] == "repeat_click"
    assert task["detail"].startswith(f"5 visits to the introduce link of ask {ask['id']}")
    assert "2026-12-01 18:04 UTC" in task["detail"]


def test_a_visit_after_the_task_is_done_opens_a_new_one(
    agency: Agency,
    ask: dict[str, Any],  # noqa: F811
) -> None:
    value = link(agency, ask["id"], links.TRACK)
    agency.api.get(f"/r/{value}", follow_redirects=False)
    agency.api.get(f"/r/{value}", follow_redirects=False)
    [task] = tasks(agency)
    assert agency.api.post(f"/api/v1/tasks/{task['id']}/done").status_code == 200
    agency.api.get(f"/r/{value}", follow_redirects=False)
    opened = [t for t in tasks(agency) if t["status"] == "open"]
    assert len(opened) == 1 and opened[0]["detail"].startswith("3 visits")


def test_a_link_takes_five_referrals_a_day(agency: Agency, ask: dict[str, Any]) -> None:  # noqa: F811
    value = link(agency, ask["id"], links.REFER)
    for n in range(5):
        assert introduce(agency.api, value, n).status_code == 200
    refused = introduce(agency.api, value, 5)
    assert refused.status_code == 429
    assert "Please try again in about" in refused.text
    page = BeautifulSoup(refused.text, "html.parser")
    assert page.select_one("input[name=first_name]")["value"] == "Maria5", "kept as typed"
    assert len(referrals(agency)) == 5, "nothing stored"
    assert int(refused.headers["Retry-After"]) == 24 * 3600
    clock.pin(at("2026-12-02T18:00:01Z"))
    assert introduce(agency.api, value, 6).status_code == 200, "a day later"
    assert len(referrals(agency)) == 6


def test_an_address_is_limited_across_links_behind_a_trusted_proxy(
    agency: Agency,
    ask: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with unit_of_work(agency.url) as session:
        update_settings(
            session,
            changes={
                "links": {"referrals_per_link_per_day": 50, "referrals_per_address_per_hour": 3}
            },
        )
    monkeypatch.setenv("REFERRAL_TRUST_PROXY", "1")
    value = link(agency, ask["id"], links.REFER)
    with TestClient(create_app(agency.url)) as proxied:
        office = {"X-Forwarded-For": "203.0.113.7"}
        for n in range(3):
            assert introduce(proxied, value, n, **office).status_code == 200
        assert introduce(proxied, value, 3, **office).status_code == 429
        other = {"X-Forwarded-For": "198.51.100.4"}
        assert introduce(proxied, value, 4, **other).status_code == 200
        clock.pin(at("2026-12-01T19:00:01Z"))
        assert introduce(proxied, value, 5, **office).status_code == 200, "an hour later"
    assert len(referrals(agency)) == 5


def test_counts_older_than_a_day_are_removed(agency: Agency, ask: dict[str, Any]) -> None:  # noqa: F811
    value = link(agency, ask["id"], links.REFER)
    introduce(agency.api, value, 0)
    clock.pin(at("2026-12-03T18:00:00Z"))
    introduce(agency.api, value, 1)
    with unit_of_work(agency.url) as session:
        assert session.scalar(select(func.count()).select_from(ReferSubmission)) == 1
