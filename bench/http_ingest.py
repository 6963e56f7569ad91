"""HTTP ingest against the server's own floor, measured in the same run.

    python bench/http_ingest.py [--seconds 10] [--clients 8] [--pg postgresql://postgres@127.0.0.1:5432/test]

For each database (a fresh SQLite file; PostgreSQL when ``--pg`` names a server) it
starts `referral serve --no-worker` in its own process, then with ``--clients``
concurrent clients for ``--seconds`` each:

- ``GET /healthz``: the baseline, what the server answers when it does no work;
- ``POST /api/v1/events``: one unique canonical event per request;
- ``POST /api/v1/events:batch``: 100 unique events per request.

It prints JSON: requests (or events) per second, p50 and p99 latency, and the ratios
the issue asks for — single-event ingest / healthz, and events per second through the
batch endpoint / through the single one.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from import_throughput import drop_pg, pg_url

TOKEN = "bench-token-" + "x" * 24


def document(n: int, run: str) -> dict[str, Any]:
    return {
        "id": f"{run}-{n}",
        "type": "policy.bound",
        "occurred_at": "2026-11-25T15:30:00-06:00",
        "source": "bench",
        "client": {
            "external_id": f"{run}-C-{n}",
            "first_name": "Dana",
            "last_name": f"R{n}",
            "email": f"client{n}@example.com",
            "consent": {"email": True, "sms": False},
        },
        "policy": {"number": f"PA-{n}", "line_of_business": "AUTOP", "transaction": "new"},
        "producer": {"name": "Sam Ortiz", "email": "sam@agency.example"},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def referral(db: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from referral_engine.cli import app; app()", "--db", db]
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, check=True)


async def load(
    base: str, clients: int, seconds: float, request: Callable[[httpx.AsyncClient], Any]
) -> list[float]:
    """Latencies (s) of every request that ``clients`` loops made in ``seconds``."""
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def loop() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
            while time.perf_counter() < end:
                started = time.perf_counter()
                response = await request(client)
                if response.status_code >= 400:
                    raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(loop() for _ in range(clients)))
    return latencies


def summary(latencies: list[float], seconds: float, per_request: int = 1) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "per_second": round(len(latencies) * per_request / seconds, 1),
        "requests": len(latencies),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


def measure(db: str, *, seconds: float, clients: int) -> dict[str, Any]:
    env = {**os.environ, "REFERRAL_ADMIN_TOKEN": TOKEN, "REFERRAL_DB": db}
    referral(db, "init", env=env)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from referral_engine.cli import app; app()", "--db", db]
        + ["serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        run = uuid.uuid4().hex[:8]
        numbers = itertools.count()

        def health(client: httpx.AsyncClient) -> Any:
            return client.get("/healthz")

        def single(client: httpx.AsyncClient) -> Any:
            return client.post("/api/v1/events", json=document(next(numbers), run))

        def batch(client: httpx.AsyncClient) -> Any:
            items = [document(next(numbers), run) for _ in range(100)]
            return client.post("/api/v1/events:batch", json=items)

        healthz = summary(asyncio.run(load(base, clients, seconds, health)), seconds)
        events = summary(asyncio.run(load(base, clients, seconds, single)), seconds)
        batches = summary(asyncio.run(load(base, clients, seconds, batch)), seconds, 100)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "healthz": healthz,
        "event": events,
        "batch_of_100": batches,
        "ratio_event_to_healthz": round(events["per_second"] / healthz["per_second"], 3),
        "ratio_batch_events_to_single": round(batches["per_second"] / events["per_second"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pg", help="a PostgreSQL server URL; a database is made and dropped")
    args = parser.parse_args()
    results: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(
            f"sqlite:///{Path(tmp) / 'bench.db'}", seconds=args.seconds, clients=args.clients
        )
    if args.pg:
        url, name = pg_url(args.pg, prefix="re_bench_http")
        try:
            results["postgresql"] = measure(url, seconds=args.seconds, clients=args.clients)
        finally:
            drop_pg(args.pg, name)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
