"""Momentum / NowCerts: `referral sources poll` against a stand-in speaking its API, end to
end: pages, a 429, a 500, a token expiring mid-poll, then `tick` makes the ask."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from referral_engine.sources import http as poll_http
from tests.agency import Agency
from tests.sources.momentum_standin import PASSWORD, USER, Momentum, policy
from tests.sources.standin import serving

NOW = "2026-12-01T16:00:00Z"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits a poll makes, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(poll_http, "pause", recorded.append)
    return recorded


@pytest.fixture
def momentum(agency: Agency, monkeypatch: pytest.MonkeyPatch) -> Iterator[Momentum]:
    stand_in = Momentum(
        policies=[
            policy("1001", "2026-12-01T08:00:00", referralSourceName="Pat Lee Realty"),
            policy("1002", "2026-12-01T08:30:00", isQuote=True),
            policy(
                "1003",
                "2026-12-01T09:00:00",
                businessType="Renewal",
                insuredFirstName="Ari",
                effectiveDate="2026-12-01T00:00:00",
            ),
            policy("1004", "2026-12-01T09:30:00", status="Cancelled"),
            policy(
                "1005",
                "2026-12-01T09:45:00",
                businessType="Rewrite",
                insuredFirstName="Kim",
                insuredType="Commercial",
                insuredCommercialName="Kim's Bakery LLC",
                lineOfBusinesses=[{"lineOfBusinessName": "BOP"}],
            ),
        ]
    )
    monkeypatch.setenv("MOMENTUM_USER", USER)
    monkeypatch.setenv("MOMENTUM_PASSWORD", PASSWORD)
    with serving(stand_in):
        agency.configure(
            "[sources.momentum]\n"
            'kind = "poll"\nprofile = "momentum"\n'
            f'base_url = "{stand_in.url}"\n'
            'username_env = "MOMENTUM_USER"\ntoken_env = "MOMENTUM_PASSWORD"\n'
            "page_size = 2\n"
        )
        yield stand_in


def poll(agency: Agency, now: str = NOW, expect: int = 0) -> str:
    return agency.run("sources", "poll", "momentum", now=now, expect=expect)


def events_of(agency: Agency) -> list[dict[str, Any]]:
    response = agency.api.get("/api/v1/events", params={"source": "momentum"})
    return list(reversed(response.json()))


def test_a_poll_pages_through_a_429_a_500_and_an_expired_token_to_each_moment_once(
    agency: Agency, momentum: Momentum, waits: list[float]
) -> None:
    momentum.fail_once("PolicyDetailList", 429, nth=2, headers={"Retry-After": "2"})
    momentum.fail_once("PolicyDetailList", 500, nth=3)
    momentum.expire_after_pages = 2

    out = poll(agency)

    assert "read 5 record(s) on 3 page(s)" in out
    assert "3 accepted" in out and "2 not a moment" in out
    assert waits == [2.0, 1.0]  # Retry-After, then the first backoff step
    assert len(momentum.requests_to("/api/token")) == 2  # signed in again after the 401
    kept = events_of(agency)
    assert [(e["event_id"], e["outcome"], e["channel"]) for e in kept] == [
        ("policy-1001-new", "accepted", "poll"),
        ("policy-1003-renewal", "accepted", "poll"),
        ("policy-1005-rewrite", "accepted", "poll"),
    ]
    assert '"databaseId": "1001"' in kept[0]["body"]  # the record kept as the API sent it


def test_the_cursor_makes_a_second_poll_read_only_what_changed(
    agency: Agency, momentum: Momentum, waits: list[float]
) -> None:
    poll(agency)
    first_poll = len(momentum.requests_to("PolicyDetailList"))
    first_filter = momentum.requests_to("PolicyDetailList")[0].query["$filter"]
    assert first_filter == "changeDate ge 2026-11-24T16:00:00Z"  # the 7-day catch-up bound

    momentum.policies[0]["changeDate"] = "2026-12-01T10:30:00"  # an edit of the bound policy
    momentum.policies[0]["totalPremium"] = 1900.0
    out = poll(agency, now="2026-12-01T16:20:00Z")

    assert "0 accepted, 2 duplicate" in out  # the edit, and the last record at the cursor
    later = momentum.requests_to("PolicyDetailList")[first_poll].query["$filter"]
    assert later == "changeDate ge 2026-12-01T15:45:00Z"


def test_a_polled_bind_becomes_one_ask_and_its_referral_source_a_referral(
    agency: Agency, momentum: Momentum, waits: list[float]
) -> None:
    poll(agency)
    poll(agency, now="2026-12-01T16:10:00Z")
    agency.tick("2026-12-01T16:15:00Z")

    asks = agency.asks(client_external_id="ins-1001")
    assert len(asks) == 1
    assert asks[0]["trigger"] == "policy.bound"
    referrals = agency.api.get("/api/v1/referrals").json()
    assert [r["referred_by"]["name"] for r in referrals] == ["Pat Lee Realty"]


def test_a_poll_that_keeps_failing_is_recorded_and_shown_and_the_next_one_resumes(
    agency: Agency, momentum: Momentum, waits: list[float]
) -> None:
    for _ in range(5):
        momentum.fail_once("PolicyDetailList", 503, nth=1)
    out = poll(agency, expect=1)
    assert "poll failed" in out and "answered 503 after 4 retries" in out
    assert waits == [1.0, 2.0, 4.0, 8.0]

    listed = agency.run("sources", "list", "--format", "json", now="2026-12-01T16:01:00Z")
    assert '"last_error": "poll failed: GET /api/PolicyDetailList answered 503' in listed
    assert PASSWORD not in listed and '"env": "MOMENTUM_PASSWORD"' in listed

    assert "3 accepted" in poll(agency, now="2026-12-01T16:30:00Z")


def test_a_missing_credential_variable_fails_the_poll_without_naming_a_secret(
    agency: Agency, momentum: Momentum, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOMENTUM_PASSWORD")
    out = poll(agency, expect=1)
    assert "environment variable MOMENTUM_PASSWORD is not set" in out
    assert momentum.seen == []
