"""Concurrent writers through a real server: events that touch the same rows (a producer
seen for the first time by eight requests at once) all go in, promptly.

The routes do their database work in worker threads. Were it done on the event loop, a
request waiting for another's row lock would stop the loop, and with it the commit that
would free the lock: the server hangs (seen on PostgreSQL before the routes moved off it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.factories import event

ROUNDS = 6
CLIENTS = 8


@pytest.mark.parametrize("route", ["/api/v1/events", "/api/v1/events:batch"])
def test_eight_requests_for_one_new_producer_all_go_in(live_server, route: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def send(round_no: int, n: int) -> int:
        document = event(
            id=f"r{round_no}-{n}",
            client__external_id=f"C-{round_no}-{n}",
            client__email=f"client{round_no}x{n}@example.com",
            producer={"name": "New Producer", "email": f"producer{round_no}@agency.example"},
        )
        body = [document] if route.endswith(":batch") else document
        with httpx.Client(base_url=live_server.url, headers=headers, timeout=20) as client:
            return client.post(route, json=body).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        for round_no in range(ROUNDS):
            codes = list(pool.map(lambda n, r=round_no: send(r, n), range(CLIENTS)))
            assert codes == [200 if route.endswith(":batch") else 202] * CLIENTS, codes
