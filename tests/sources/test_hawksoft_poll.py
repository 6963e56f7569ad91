"""HawkSoft: the asOf change feed, then each client's policies, through `referral sources
poll` against a stand-in: two pages of clients, a 500, a 429, a 401 mid-poll; a bind
(status New, sold recently) becomes an ask after `tick`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from referral_engine.sources import http as poll_http
from tests.agency import Agency
from tests.sources.hawksoft_standin import (
    AGENCY,
    CLIENT_ID,
    CLIENT_SECRET,
    HawkSoft,
    client,
    policy,
)
from tests.sources.standin import serving

NOW = "2026-12-01T16:00:00Z"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(poll_http, "pause", recorded.append)
    return recorded


@pytest.fixture
def hawksoft(agency: Agency, monkeypatch: pytest.MonkeyPatch) -> Iterator[HawkSoft]:
    stand_in = HawkSoft(
        clients={
            10: client(
                10,
                "2026-12-01T08:05:00",
                policy("p-10a", "New", "2026-12-01T08:00:00"),
                policy("p-10b", "Active", "2024-05-01T10:00:00"),
            ),
            11: client(
                11, "2026-12-01T08:30:00", policy("p-11", "Renew", "2025-12-01"), first="Ari"
            ),
            12: client(12, "2026-12-01T09:00:00", policy("p-12", "New", "2026-06-01"), first="Kim"),
        }
    )
    monkeypatch.setenv("HAWKSOFT_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("HAWKSOFT_CLIENT_SECRET", CLIENT_SECRET)
    with serving(stand_in):
        agency.configure(
            "[sources.hawksoft]\n"
            'kind = "poll"\nprofile = "hawksoft"\n'
            f'base_url = "{stand_in.url}"\naccount = "{AGENCY}"\n'
            'username_env = "HAWKSOFT_CLIENT_ID"\ntoken_env = "HAWKSOFT_CLIENT_SECRET"\n'
            "page_size = 2\n"
        )
        yield stand_in


def poll(agency: Agency, now: str = NOW, expect: int = 0) -> str:
    return agency.run("sources", "poll", "hawksoft", now=now, expect=expect)


def test_the_change_feed_then_each_client_through_a_500_a_429_and_a_401(
    agency: Agency, hawksoft: HawkSoft, waits: list[float]
) -> None:
    hawksoft.fail_once(f"/agency/{AGENCY}/clients", 500)
    hawksoft.fail_once("/client/11", 401)
    hawksoft.fail_once("/client/12", 429, headers={"Retry-After": "3"})

    out = poll(agency)

    assert "read 4 record(s) on 2 page(s)" in out  # 4 policies of 3 clients
    assert "2 accepted" in out and "2 not a moment" in out
    assert waits == [1.0, 3.0]
    feed = hawksoft.requests_to(f"/agency/{AGENCY}/clients")[0]
    assert feed.query == {"version": "3.0", "asOf": "2026-11-24T16:00:00Z"}
    kept = agency.api.get("/api/v1/events", params={"source": "hawksoft"}).json()
    assert sorted(e["event_id"] for e in kept) == ["policy-p-10a-new", "policy-p-11-renewal"]


def test_the_cursor_is_the_newest_client_change_once_every_client_is_read(
    agency: Agency, hawksoft: HawkSoft, waits: list[float]
) -> None:
    assert "cursor: 2026-12-01T15:00:00+00:00" in poll(agency)
    out = poll(agency, now="2026-12-01T16:30:00Z")
    assert hawksoft.requests_to("/clients")[-1].query["asOf"] == "2026-12-01T15:00:00Z"
    assert "read 1 record(s)" in out and "0 accepted" in out  # client 12 again: no moment


def test_a_hawksoft_bind_becomes_one_ask(
    agency: Agency, hawksoft: HawkSoft, waits: list[float]
) -> None:
    poll(agency)
    agency.tick("2026-12-01T16:05:00Z")
    asks = agency.asks(client_external_id="10")
    assert len(asks) == 1 and asks[0]["trigger"] == "policy.bound"


def test_wrong_credentials_fail_the_poll_and_show_in_the_source_list(
    agency: Agency, hawksoft: HawkSoft, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HAWKSOFT_CLIENT_SECRET", "not-the-secret")
    out = poll(agency, expect=1)
    assert "answered 401" in out and "not-the-secret" not in out
    listed = json.loads(agency.run("sources", "list", "--format", "json", now=NOW))
    [health] = listed
    assert health["name"] == "hawksoft" and health["failures"] == 1
    assert {"env": "HAWKSOFT_CLIENT_SECRET", "set": True} in health["credentials"]
    assert health["last_error"].startswith("poll failed: GET /vendor/agency/4242/clients")
    assert "not-the-secret" not in json.dumps(listed)
