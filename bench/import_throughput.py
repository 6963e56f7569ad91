"""Import throughput and memory, as ratios against baselines measured in the same run.

    python bench/import_throughput.py [--events 100000] [--pg postgresql://postgres@127.0.0.1:5432/test]

For each database (SQLite file, PostgreSQL) it imports a generated JSONL file of
canonical events with `referral import`'s own code path in a fresh process, and reports:

- events/s, and the ratio to the baseline: reading and validating the same file
  without storing anything (what ingest cannot be faster than);
- peak RSS of the import of N events against the import of N/10 events: memory stays
  flat when the ratio is near 1.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generate(path: Path, count: int) -> None:
    lines = []
    with path.open("w") as handle:
        for i in range(count):
            document = {
                "id": f"bench-{i}",
                "type": "policy.bound",
                "occurred_at": "2026-11-25T15:30:00-06:00",
                "source": "bench",
                "client": {
                    "external_id": f"C-{i}",
                    "first_name": "Dana",
                    "last_name": f"R{i}",
                    "email": f"client{i}@example.com",
                    "mobile": f"+1312555{i % 10000:04d}" if i % 3 else None,
                    "consent": {"email": True, "sms": i % 2 == 0},
                },
                "policy": {
                    "number": f"PA-{i}",
                    "line_of_business": "Personal Auto",
                    "premium": 1500 + i % 900,
                    "transaction": "new",
                },
                "producer": {"name": "Sam Ortiz", "email": f"producer{i % 7}@agency.example"},
            }
            lines.append(json.dumps(document))
            if len(lines) == 5000:
                handle.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            handle.write("\n".join(lines) + "\n")


def child(mode: str, path: Path, url: str) -> dict[str, float]:
    from referral_engine.events.importer import import_file, read_jsonl
    from referral_engine.events.schemas import EventIn, NormalizeContext

    started = time.perf_counter()
    if mode == "baseline":
        context = NormalizeContext().as_dict()
        count = sum(
            1
            for raw in read_jsonl(path, source="bench")
            if EventIn.model_validate(raw.parsed, context=context)
        )
    else:
        from referral_engine.setup import initialize

        initialize(url)
        started = time.perf_counter()
        summary = import_file(url, path=path, source="bench", mapping=None, chunk=1000)
        count = summary.accepted
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "events": count,
        "seconds": elapsed,
        "per_second": count / elapsed,
        "peak_mb": peak_kb / 1024,
    }


def run_child(mode: str, path: Path, url: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--file", str(path), "--url", url],
        check=True,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "REFERRAL_ADMIN_TOKEN": "rk_bench",
            "REFERRAL_ADMIN_PASSWORD": "bench admin passphrase",
        },
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def pg_url(server: str, prefix: str = "re_bench") -> tuple[str, str]:
    """A new database on ``server``: its SQLAlchemy URL and its name."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", name


def drop_pg(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("REFERRAL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--child")
    parser.add_argument("--file")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.file), args.url)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.jsonl", Path(tmp) / "small.jsonl"
        generate(big, args.events)
        generate(small, max(args.events // 10, 1))
        baseline = run_child("baseline", big, "")
        print(f"baseline (read + validate, no storage): {baseline['per_second']:,.0f} events/s")
        rows = []
        for name in ("sqlite", "postgresql"):
            results = {}
            for label, path in (("big", big), ("small", small)):
                if name == "sqlite":
                    url, dbname = f"sqlite:///{Path(tmp) / f'{label}.db'}", ""
                else:
                    url, dbname = pg_url(args.pg)
                try:
                    results[label] = run_child("import", path, url)
                finally:
                    if dbname:
                        drop_pg(args.pg, dbname)
            big_run, small_run = results["big"], results["small"]
            rows.append((name, big_run, small_run))
            print(
                f"{name:10} {big_run['events']:>8,.0f} events in {big_run['seconds']:6.1f} s = "
                f"{big_run['per_second']:>7,.0f} events/s "
                f"({big_run['per_second'] / baseline['per_second']:.2f} of baseline); "
                f"peak RSS {big_run['peak_mb']:.0f} MB for {args.events:,} vs "
                f"{small_run['peak_mb']:.0f} MB for {args.events // 10:,} "
                f"(ratio {big_run['peak_mb'] / small_run['peak_mb']:.2f})"
            )


if __name__ == "__main__":
    main()
