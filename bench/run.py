"""Every throughput figure of issue 11, each a ratio to a baseline measured in the same run.

    python bench/run.py [--events 20000] [--pg postgresql://postgres@127.0.0.1:5432/test]
                        [--rss 100000,1000000] [--report-events 1000000] [--json FILE]

What it measures (SQLite always; PostgreSQL when ``--pg`` names a server, where a
throwaway database is made and dropped for each step):

- ``import``: `referral import` of ``--events`` canonical events (its own code path, in
  a fresh process) against the raw storage limit — the same lines ``json.loads``-ed and
  written with the driver's plain ``executemany`` into a table with a unique key, one
  commit per 1,000 rows (sqlite3; psycopg on PostgreSQL). Target ≥ 0.15 on SQLite.
- ``tick``: deciding those events (one `run_due` pass, as `referral tick`) against the
  import's own events/s. Target ≥ 0.5.
- ``workers`` (PostgreSQL): the same events decided by one, then two `referral worker`
  processes, events/s of two against one. Target ≥ 1.6.
- ``http``: ``bench/http_ingest.py``: one event per request against ``GET /healthz``,
  8 clients, p50/p99. Target ≥ 0.5 with p99 < 50 ms.
- ``reports``: ``bench/report_latency.py``: every report at ``--report-events``
  events, median and p95 ms. Target < 100 ms.
- ``rss``: peak RSS of importing the first size of ``--rss`` against the second (SQLite);
  flat memory is a ratio near 1.

It prints readable lines as it goes and one JSON document at the end (to ``--json FILE``
as well). ``--skip import,http,...`` leaves steps out; ``--quick`` is a smoke run with
small sizes (what the test suite runs, so the command cannot rot).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from import_throughput import drop_pg, generate, pg_url  # noqa: E402

STEPS = ("import", "workers", "http", "reports", "rss")
ENV = {
    "REFERRAL_ADMIN_TOKEN": "rk_bench_" + "x" * 24,
    "REFERRAL_ADMIN_PASSWORD": "bench admin passphrase",
}


# -- children: each measurement runs in a fresh process --------------------------------


def child_raw(path: Path, url: str) -> dict[str, float]:
    """The raw storage limit: json.loads and plain executemany into a unique-keyed table."""
    started = time.perf_counter()
    count = 0
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw (source TEXT, id TEXT, body TEXT, UNIQUE (source, id))")
        for chunk in _line_chunks(path):
            rows = [(d["source"], d["id"], json.dumps(d)) for d in map(json.loads, chunk)]
            conn.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows)
            conn.commit()
            count += len(rows)
        conn.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            conn.execute("CREATE TABLE raw (source TEXT, id TEXT, body JSONB, UNIQUE (source, id))")
            conn.commit()
            for chunk in _line_chunks(path):
                rows = [(d["source"], d["id"], json.dumps(d)) for d in map(json.loads, chunk)]
                with conn.cursor() as cursor:
                    cursor.executemany("INSERT INTO raw VALUES (%s, %s, %s)", rows)
                conn.commit()
                count += len(rows)
    return _timed(count, started)


def _line_chunks(path: Path, size: int = 1000) -> Iterator[list[str]]:
    chunk: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            chunk.append(line)
            if len(chunk) == size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def child_import(path: Path, url: str) -> dict[str, float]:
    from referral_engine.events.importer import import_file
    from referral_engine.setup import initialize

    initialize(url)
    started = time.perf_counter()
    summary = import_file(url, path=path, source="bench", mapping=None, chunk=1000)
    return _timed(summary.accepted, started)


def child_tick(url: str) -> dict[str, float]:
    from datetime import timedelta

    from referral_engine import clock
    from referral_engine.worker import run_due

    started = time.perf_counter()
    report = run_due(url, now=clock.now() + timedelta(minutes=1))
    return _timed(report.ran["events.process_event"], started)


def _timed(count: int, started: float) -> dict[str, float]:
    seconds = time.perf_counter() - started
    return {
        "events": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_child(step: str, *args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", step, *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


# -- databases ------------------------------------------------------------------------


@contextmanager
def database(kind: str, tmp: Path, pg: str | None, label: str) -> Iterator[str]:
    """A fresh database URL of ``kind``, dropped (PostgreSQL) when the block ends."""
    if kind == "sqlite":
        path = tmp / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    assert pg is not None
    url, name = pg_url(pg)
    try:
        yield url
    finally:
        drop_pg(pg, name)


def kinds(pg: str | None) -> list[str]:
    return ["sqlite", "postgresql"] if pg else ["sqlite"]


# -- steps ----------------------------------------------------------------------------


def step_import(file: Path, tmp: Path, pg: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in kinds(pg):
        with database(kind, tmp, pg, "raw") as url:
            raw = run_child("raw", str(file), url)
        with database(kind, tmp, pg, "import") as url:
            imported = run_child("import", str(file), url)
            tick = run_child("tick", "-", url)
        out[kind] = {
            "raw_limit": raw,
            "import": imported,
            "tick": tick,
            "import_to_raw": round(imported["per_second"] / raw["per_second"], 3),
            "tick_to_import": round(tick["per_second"] / imported["per_second"], 3),
        }
        print(
            f"{kind:10} raw {raw['per_second']:>9,.0f}/s  import {imported['per_second']:>7,.0f}/s "
            f"({out[kind]['import_to_raw']:.3f} of raw; target 0.15)  "
            f"tick {tick['per_second']:>6,.0f}/s ({out[kind]['tick_to_import']:.3f} of import; "
            "target 0.5)",
            flush=True,
        )
    return out


def step_workers(file: Path, tmp: Path, pg: str | None) -> dict[str, Any]:
    if not pg:
        return {"skipped": "needs --pg"}
    out: dict[str, Any] = {}
    for count in (1, 2):
        with database("postgresql", tmp, pg, f"workers{count}") as url:
            run_child("import", str(file), url)
            out[f"{count}_worker"] = _drain(url, count)
    one, two = out["1_worker"]["per_second"], out["2_worker"]["per_second"]
    out["two_to_one"] = round(two / one, 2)
    print(
        f"workers    one {one:,.0f}/s  two {two:,.0f}/s  ratio {out['two_to_one']:.2f} "
        "(target 1.6)",
        flush=True,
    )
    return out


def _drain(url: str, count: int) -> dict[str, float]:
    """Start ``count`` `referral worker` processes and time them until no event waits."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    pending = text(
        "SELECT count(*) FROM jobs WHERE done_at IS NULL AND kind = 'events.process_event'"
    )
    with engine.connect() as conn:
        total = int(conn.execute(pending).scalar() or 0)
    command = [sys.executable, "-c", "from referral_engine.cli import app; app()", "--db", url]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [*command, "worker", "--poll", "0.2"],
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        while True:
            with engine.connect() as conn:
                if not conn.execute(pending).scalar():
                    break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        engine.dispose()
    return {"events": total, "seconds": round(seconds, 2), "per_second": round(total / seconds, 1)}


def step_http(seconds: float, pg: str | None) -> dict[str, Any]:
    command = [sys.executable, str(HERE / "http_ingest.py"), "--seconds", str(seconds)]
    if pg:
        command += ["--pg", pg]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    for kind in kinds(pg):
        figures = result[kind]
        print(
            f"{kind:10} healthz {figures['healthz']['per_second']:,.0f} req/s  event "
            f"{figures['event']['per_second']:,.0f} req/s p50 {figures['event']['p50_ms']} ms "
            f"p99 {figures['event']['p99_ms']} ms  ratio {figures['ratio_event_to_healthz']} "
            "(target 0.5, p99 < 50 ms)",
            flush=True,
        )
    return dict(result)


def step_reports(events: int, pg: str | None) -> dict[str, Any]:
    script = HERE / "report_latency.py"
    if not script.exists():
        return {"skipped": "bench/report_latency.py is missing"}
    command = [sys.executable, str(script), "--events", str(events), "--json"]
    if pg:
        command += ["--pg", pg]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"reports    at {events:,} events: {json.dumps(result)[:400]}", flush=True)
    return dict(result)


def step_rss(sizes: list[int], tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in sizes:
        file = tmp / f"rss{size}.jsonl"
        generate(file, size)
        with database("sqlite", tmp, None, f"rss{size}") as url:
            out[str(size)] = run_child("import", str(file), url)
        file.unlink()
    small, large = (out[str(s)]["peak_rss_mb"] for s in sizes)
    out["ratio"] = round(large / small, 2)
    print(
        f"rss        {sizes[0]:,}: {small:.0f} MB  {sizes[1]:,}: {large:.0f} MB  "
        f"ratio {out['ratio']:.2f} (flat is near 1)",
        flush=True,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument(
        "--pg", default=None, help="a PostgreSQL server URL; throwaway databases are made there"
    )
    parser.add_argument("--rss", default="100000,1000000")
    parser.add_argument("--report-events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="per HTTP measurement")
    parser.add_argument("--skip", default="", help=f"steps to leave out: {','.join(STEPS)}")
    parser.add_argument("--quick", action="store_true", help="a smoke run with small sizes")
    parser.add_argument("--json", type=Path, help="also write the JSON document here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.rest)))
        return
    if args.quick:
        args.events, args.rss, args.report_events, args.seconds = 300, "200,2000", 2000, 1.0
    skip = {s for s in args.skip.split(",") if s}
    results: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "events": args.events,
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory() as workdir:
        tmp = Path(workdir)
        file = tmp / "events.jsonl"
        generate(file, args.events)
        if "import" not in skip:
            results["import"] = step_import(file, tmp, args.pg)
        if "workers" not in skip:
            results["workers"] = step_workers(file, tmp, args.pg)
        if "http" not in skip:
            results["http"] = step_http(args.seconds, args.pg)
        if "reports" not in skip:
            results["reports"] = step_reports(args.report_events, args.pg)
        if "rss" not in skip:
            results["rss"] = step_rss([int(s) for s in args.rss.split(",")], tmp)
    document = json.dumps(results, indent=2)
    if args.json:
        args.json.write_text(document + "\n")
    print(document)


def _child(step: str, rest: list[str]) -> dict[str, Any]:
    if step == "raw":
        return child_raw(Path(rest[0]), rest[1])
    if step == "import":
        return child_import(Path(rest[0]), rest[1])
    if step == "tick":
        return child_tick(rest[1])
    raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main()
