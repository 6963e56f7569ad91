"""Report latency at 1M events, against a SELECT 1 round trip and the 100 ms target.

    python bench/report_latency.py [--events 1000000] [--repeat 20] [--json]
        [--pg postgresql://postgres@127.0.0.1:5432/test]
    python bench/report_latency.py --smoke        # 20,000 events, 3 runs each: a quick check

For each database (an SQLite file; with ``--pg``, also a PostgreSQL database it creates
on that server and drops after) it:

1. creates the schema with `referral init`'s own code (``setup.initialize``);
2. writes a generated agency book of ``--events`` events over two years and what the
   product makes of them (asks and their timelines, replies, referrals with their SLA,
   conversions, tasks, rewards, consents: see ``report_life.py``) with bulk inserts —
   SQLAlchemy Core ``executemany`` on SQLite, ``COPY`` on PostgreSQL, then ``VACUUM
   ANALYZE`` there as autovacuum would (SQLite gets no ``ANALYZE``: the product never
   runs one);
3. with the clock pinned at the book's last instant, times each report the product has,
   ``--repeat`` times after one warm-up: every reports API endpoint through FastAPI's
   TestClient with the admin's token (this quarter, and sources and funnel over twelve
   months), the dashboard, the report pages and the list pages (the first page, a
   search, a page far down) signed in, and the weekly digest's
   rendering;
4. times the baselines on the same engine: ``SELECT 1`` (a round trip doing no work) and
   ``GET /healthz`` (the HTTP stack doing no work).

It prints, per report, the median and p95 in ms, the median's ratio to ``SELECT 1`` and
to the 100 ms target; ``--json`` prints one JSON object, on one line, on stdout instead
(the readable lines go to stderr). ``--keep DIR`` keeps the databases (the SQLite file
in DIR, the PostgreSQL database undropped) and ``--reuse URL`` times a database kept
before, after migrating it, without building again.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import report_life
from import_throughput import drop_pg, pg_url

TARGET_MS = 100.0
END = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # a Wednesday: "now" for every report
ADMIN_EMAIL = "principal@bench.example"
ADMIN_PASSWORD = "bench-password-not-secret"
ADMIN_TOKEN = "rk_bench_" + "r" * 32
AGENCY = """
[agency]
name = "Bench Agency"
timezone = "America/Chicago"
principal_email = "principal@bench.example"

[program]
cost_per_month = 1500
"""


@dataclass(frozen=True)
class Case:
    """One thing to time: an HTTP path, or a call with a session."""

    name: str
    path: str | None = None
    call: Callable[[Any], object] | None = None


def cases(now: datetime) -> list[Case]:
    """Every report the product has, as a user (or the digest job) asks for it."""
    from referral_engine.reports.digest import render_digest
    from referral_engine.reports.service import current_week

    year_ago = (now - timedelta(days=365)).date().isoformat()
    sources = "/api/v1/reports/sources"
    return [
        Case("weekly", "/api/v1/reports/weekly"),
        Case("sources by referrer", f"{sources}?by=referrer"),
        Case("sources by partner", f"{sources}?by=partner"),
        Case("sources by trigger", f"{sources}?by=trigger"),
        Case("sources by segment", f"{sources}?by=segment"),
        Case("sources by referrer, 12 months", f"{sources}?by=referrer&from={year_ago}"),
        Case("funnel", "/api/v1/reports/funnel"),
        Case("funnel, 12 months", f"/api/v1/reports/funnel?from={year_ago}"),
        Case("roi", "/api/v1/reports/roi"),
        Case("top-referrers", "/api/v1/reports/top-referrers"),
        Case("dashboard page", "/"),
        Case("reports page", "/reports"),
        Case("sources page", "/reports/sources"),
        Case("funnel page", "/reports/funnel"),
        Case("roi page", "/reports/roi"),
        Case("asks list", "/asks"),
        Case("asks list, searched", "/asks?q=Smith"),
        Case("asks list, last page", "/asks?page=9000"),
        Case("review queue", "/review?who=all"),
        Case("tasks list", "/tasks?who=all"),
        Case("referrals list", "/referrals"),
        Case("contacts list", "/contacts"),
        Case("contacts, by phone", "/contacts?q=%28312%29%20555-0142"),
        Case("outbox list", "/outbox"),
        Case("inputs list", "/inputs"),
        Case(
            "weekly digest (rendered)",
            call=lambda session: render_digest(session, current_week(session, now), now=now),
        ),
    ]


# -- databases ---------------------------------------------------------------------------


def pg_database(server: str) -> tuple[str, str]:
    """A new database on ``server``: its SQLAlchemy URL and its name."""
    return pg_url(server, prefix="re_bench_reports")


def initialize(url: str, tmp: Path) -> None:
    from referral_engine.setup import initialize as referral_init

    config = tmp / "agency.toml"
    config.write_text(AGENCY)
    referral_init(url, config=config)


@contextmanager
def sqlite_writer(url: str) -> Iterator[report_life.Writer]:
    """Rows through SQLAlchemy Core ``executemany``, one transaction per call."""
    from referral_engine.db import engine_for
    from referral_engine.models import Base

    engine = engine_for(url)

    def write(table: str, rows: list[dict[str, Any]]) -> None:
        with engine.begin() as connection:
            connection.execute(Base.metadata.tables[table].insert(), rows)

    yield write


@contextmanager
def pg_writer(url: str) -> Iterator[report_life.Writer]:
    """Rows through ``COPY … FROM STDIN``; then sequences past the ids written, and
    ``VACUUM ANALYZE`` (what autovacuum does to a table loaded in bulk)."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:

        def write(table: str, rows: list[dict[str, Any]]) -> None:
            columns = list(rows[0])
            quoted = ", ".join(f'"{c}"' for c in columns)
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row([_pg_value(row[c]) for c in columns])
            conn.commit()

        yield write
        for table in _tables_with_ids():
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" GREATEST((SELECT max(id) FROM {table}), 1))"
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _pg_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _tables_with_ids() -> list[str]:
    from referral_engine.models import Base

    return [t.name for t in Base.metadata.sorted_tables if "id" in t.columns]


def build(url: str, events: int) -> tuple[dict[str, int], float]:
    """The book written into the (initialized) database at ``url``: rows per table and
    the seconds it took."""
    from sqlalchemy import func, select

    from referral_engine.db import engine_for, is_sqlite
    from referral_engine.users.models import User

    with engine_for(url).connect() as connection:
        admin_id = int(connection.scalar(select(func.max(User.id))) or 0)
    started = time.perf_counter()
    writer = sqlite_writer if is_sqlite(url) else pg_writer
    with writer(url) as write:
        rows = report_life.build(write, events=events, end=END, admin_id=admin_id)
    return rows, time.perf_counter() - started


# -- timing ------------------------------------------------------------------------------


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls, after one warm-up call."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def figures(samples: list[float]) -> dict[str, float]:
    """Median and p95 (nearest rank) in ms."""
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3)}


def measure(url: str, repeat: int) -> dict[str, Any]:
    """The baselines and every report at ``url``, with the clock pinned at the book's end."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from referral_engine import clock
    from referral_engine.db import engine_for, unit_of_work
    from referral_engine.web.app import create_app

    clock.pin(END)
    engine = engine_for(url)
    with engine.connect() as connection:
        select_1 = figures(timed(lambda: connection.execute(text("SELECT 1")).scalar(), repeat))
    results: dict[str, Any] = {}
    with TestClient(create_app(url)) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        signed_in = client.post(
            "/login",
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        healthz = figures(timed(lambda: _get(client, "/healthz"), repeat))
        for case in cases(END):
            if case.path is not None:
                path = case.path
                samples = timed(lambda path=path: _get(client, path), repeat)
            else:
                call = case.call
                assert call is not None

                def in_session(call: Callable[[Any], object] = call) -> None:
                    with unit_of_work(url) as session:
                        call(session)

                samples = timed(in_session, repeat)
            results[case.name] = _against(figures(samples), select_1["median_ms"])
    clock.pin(None)
    return {"baseline": {"select_1": select_1, "healthz": healthz}, "reports": results}


def _get(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"


def _against(found: dict[str, float], select_1_ms: float) -> dict[str, Any]:
    return {
        **found,
        "x_select_1": round(found["median_ms"] / select_1_ms, 1),
        "of_target": round(found["median_ms"] / TARGET_MS, 3),
        "under_target": found["p95_ms"] < TARGET_MS,
    }


# -- running -----------------------------------------------------------------------------


def run_one(kind: str, url: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """Build (unless reusing) and time one database."""
    from referral_engine.db import dispose_all

    initialize(url, tmp)
    result: dict[str, Any] = {}
    if not args.reuse:
        rows, seconds = build(url, args.events)
        result = {"rows": rows, "build_seconds": round(seconds, 1)}
        total = sum(rows.values())
        say(f"{kind}: built {total:,} rows in {seconds:.0f} s ({rows['events']:,} events)")
    dispose_all()
    result |= measure(url, args.repeat)
    # Other work on the machine shows in the figures: say how busy it was.
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    dispose_all()
    report(kind, result)
    return result


def databases(args: argparse.Namespace, tmp: Path) -> Iterator[tuple[str, str, Callable[[], None]]]:
    """(kind, url, cleanup) of each database to time."""
    if args.reuse:
        yield ("sqlite" if args.reuse.startswith("sqlite") else "postgresql"), args.reuse, _nothing
        return
    folder = Path(args.keep) if args.keep else tmp
    path = folder / f"report_latency_{args.events}.db"
    path.unlink(missing_ok=True)
    yield "sqlite", f"sqlite:///{path}", _nothing
    if args.pg:
        url, name = pg_database(args.pg)
        yield "postgresql", url, _nothing if args.keep else (lambda: drop_pg(args.pg, name))


def _nothing() -> None:
    return None


def say(line: str) -> None:
    print(line, file=sys.stderr if _JSON else sys.stdout, flush=True)


def report(kind: str, result: dict[str, Any]) -> None:
    base = result["baseline"]
    say(
        f"{kind}: SELECT 1 {base['select_1']['median_ms']:.3f} ms,"
        f" GET /healthz {base['healthz']['median_ms']:.2f} ms (medians);"
        f" load average {result['load_average'][0]:.2f}"
    )
    say(f"  {'report':32} {'median':>9} {'p95':>9} {'x SELECT 1':>11} {'of 100 ms':>10}")
    for name, found in result["reports"].items():
        mark = "" if found["under_target"] else "  over target"
        say(
            f"  {name:32} {found['median_ms']:>9.1f} {found['p95_ms']:>9.1f}"
            f" {found['x_select_1']:>11,.0f} {found['of_target']:>10.2f}{mark}"
        )


_JSON = False


def main() -> None:
    global _JSON
    # Starlette's notice that its TestClient will move to httpx2: noise on stderr.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per report")
    parser.add_argument("--pg", help="a PostgreSQL server URL: also time a database there")
    parser.add_argument("--smoke", action="store_true", help="20,000 events, 3 runs each")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--keep", metavar="DIR", help="keep the databases (SQLite file in DIR)")
    parser.add_argument("--reuse", metavar="URL", help="time a database kept before")
    args = parser.parse_args()
    if args.smoke:
        args.events, args.repeat = 20_000, 3
    _JSON = args.json
    os.environ.update(
        REFERRAL_ADMIN_EMAIL=ADMIN_EMAIL,
        REFERRAL_ADMIN_PASSWORD=ADMIN_PASSWORD,
        REFERRAL_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    os.environ.pop("REFERRAL_NOW", None)
    out: dict[str, Any] = {"events": args.events, "repeat": args.repeat, "target_ms": TARGET_MS}
    out |= {"now": END.isoformat(), "databases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, url, cleanup in databases(args, Path(tmp)):
            try:
                out["databases"][kind] = run_one(kind, url, args, Path(tmp))
                if args.keep:
                    say(f"{kind}: kept at {url}")
            finally:
                cleanup()
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
