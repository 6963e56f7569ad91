"""Applied Epic: lines updated since the cursor, read through `referral sources poll`
against a stand-in speaking its HAL+JSON API: next links, a 429, a 500, a token that
expires between pages; a contracted, issued, new line becomes an ask after `tick`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from referral_engine.sources import http as poll_http
from tests.agency import Agency
from tests.conftest import at
from tests.sources.epic_standin import CLIENT_ID, CLIENT_SECRET, Epic, epic_client, line
from tests.sources.standin import serving

NOW = "2026-12-01T16:00:00Z"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(poll_http, "pause", recorded.append)
    return recorded


@pytest.fixture
def epic(agency: Agency, monkeypatch: pytest.MonkeyPatch) -> Iterator[Epic]:
    stand_in = Epic(
        lines=[
            line("L1", "2026-12-01T14:00:00Z", "c-1"),
            line("L2", "2026-12-01T14:10:00Z", "c-1", status={"code": "QUOTED"}),
            line("L3", "2026-12-01T14:20:00Z", "c-2", action={"code": "RENEW"}),
            line("L4", "2026-12-01T14:30:00Z", "c-3", stage={"code": "SUBMITTED"}),
            line("L5", "2026-12-01T14:40:00Z", "c-3", action={"code": "REWRITE"}),
        ],
        clients={
            "c-1": epic_client("c-1", "Dana"),
            "c-2": epic_client("c-2", "Ari"),
            "c-3": epic_client("c-3", "Kim", accountType="COMMERCIAL", accountName="Kim's Bakery"),
        },
    )
    monkeypatch.setenv("EPIC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("EPIC_CLIENT_SECRET", CLIENT_SECRET)
    with serving(stand_in):
        agency.configure(
            "[sources.epic-api]\n"
            'kind = "poll"\nprofile = "applied-epic"\n'
            f'base_url = "{stand_in.url}"\n'
            'username_env = "EPIC_CLIENT_ID"\ntoken_env = "EPIC_CLIENT_SECRET"\n'
            "page_size = 2\n"
        )
        yield stand_in


def poll(agency: Agency, now: str = NOW, expect: int = 0) -> str:
    return agency.run("sources", "poll", "epic-api", now=now, expect=expect)


def test_lines_are_read_through_next_links_a_429_a_500_and_an_expired_token(
    agency: Agency, epic: Epic, waits: list[float]
) -> None:
    epic.fail_once("/policy/v1/lines", 429, nth=2, headers={"Retry-After": "5"})
    epic.fail_once("/crm/v1/clients/c-2", 500)
    epic.expire_after_pages = 1

    out = poll(agency)

    assert "read 5 record(s) on 3 page(s)" in out
    assert "3 accepted" in out and "2 not a moment" in out
    assert waits == [5.0, 1.0]
    assert len(epic.requests_to("/auth/connect/token")) == 2
    # The token expired after the first page: the next request (client c-1) got a 401.
    assert len(epic.requests_to("/crm/v1/clients/c-1")) == 2
    assert len(epic.requests_to("/crm/v1/clients/c-3")) == 1  # read once for its two lines
    kept = agency.api.get("/api/v1/events", params={"source": "epic-api"}).json()
    assert sorted(e["event_id"] for e in kept) == [
        "line-L1-new",
        "line-L3-renewal",
        "line-L5-rewrite",
    ]
    first = epic.requests_to("/policy/v1/lines")[0].query
    assert first["lastUpdatedOn_after"] == "2026-11-24T16:00:00Z"


def test_an_epic_bind_becomes_one_ask_and_a_later_poll_adds_nothing(
    agency: Agency, epic: Epic, waits: list[float]
) -> None:
    poll(agency)
    again = poll(agency, now="2026-12-01T16:15:00Z")
    assert "read 0 record(s)" in again
    assert epic.requests_to("/policy/v1/lines")[-1].query["lastUpdatedOn_after"] == (
        "2026-12-01T14:40:00Z"
    )
    agency.tick("2026-12-01T16:20:00Z")
    asks = agency.asks(client_external_id="c-1")
    assert len(asks) == 1 and asks[0]["trigger"] == "policy.bound"


def test_the_worker_polls_each_source_every_poll_minutes(
    agency: Agency, epic: Epic, waits: list[float]
) -> None:
    out = agency.tick(NOW)
    assert "poll:epic-api:accepted: 3" in out
    agency.tick("2026-12-01T16:10:00Z")  # inside poll_minutes (15): no poll
    assert len(epic.requests_to("/auth/connect/token")) == 1
    agency.tick("2026-12-01T16:15:00Z")
    assert len(epic.requests_to("/auth/connect/token")) == 2


def test_a_source_that_cannot_be_reached_does_not_stop_the_workers_other_work(
    agency: Agency, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.agency import bind
    from tests.web.conftest import free_port

    monkeypatch.setenv("EPIC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("EPIC_CLIENT_SECRET", CLIENT_SECRET)
    agency.configure(
        "[sources.epic-api]\n"
        'kind = "poll"\nprofile = "applied-epic"\n'
        f'base_url = "http://127.0.0.1:{free_port()}"\n'  # nothing listens there
        'username_env = "EPIC_CLIENT_ID"\ntoken_env = "EPIC_CLIENT_SECRET"\nmax_retries = 2\n'
    )
    agency.feed(bind(), now="2026-11-25T22:00:00Z")

    out = agency.tick("2026-11-25T22:05:00Z")

    assert "poll:epic-api:failed: 1" in out
    assert waits == [1.0, 2.0]
    assert len(agency.asks()) == 1  # the imported bind was decided all the same
    listed = agency.run("sources", "list", "--format", "json", now="2026-11-25T22:06:00Z")
    assert "POST /v1/auth/connect/token: ConnectError after 2 retries" in listed


def test_two_workers_due_at_once_poll_a_source_once(
    agency: Agency, epic: Epic, waits: list[float]
) -> None:
    import threading

    from referral_engine.sources.poller import poll_source

    reports = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        reports.append(poll_source(agency.url, name="epic-api", now=at(NOW), due_only=True))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.ran for r in reports) == [False, True]
    assert len(epic.requests_to("/auth/connect/token")) == 1


def test_a_cursor_older_than_the_catch_up_window_says_what_was_not_read(
    agency: Agency, epic: Epic, waits: list[float]
) -> None:
    poll(agency)
    out = poll(agency, now="2026-12-20T16:00:00Z")
    assert "is older than max_catch_up_days: changes before 2026-12-13T16:00:00+00:00" in out
    assert epic.requests_to("/policy/v1/lines")[-1].query["lastUpdatedOn_after"] == (
        "2026-12-13T16:00:00Z"
    )
