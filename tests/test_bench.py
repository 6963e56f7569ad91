"""The benchmark command of docs/performance.md runs, step by step, and says every ratio
it promises (a smoke run at small sizes: the figures themselves are the benchmark's, not
the suite's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PG_SERVER

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_the_benchmark_runs_every_step_and_reports_each_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--pg", PG_SERVER, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    for kind in ("sqlite", "postgresql"):
        step = figures["import"][kind]
        assert step["import"]["events"] == figures["events"]
        assert step["tick"]["events"] == figures["events"]
        assert step["import_to_raw"] > 0 and step["tick_to_import"] > 0
        http = figures["http"][kind]
        assert http["ratio_event_to_healthz"] > 0 and http["event"]["p99_ms"] > 0
    assert figures["workers"]["two_to_one"] > 0
    assert figures["rss"]["ratio"] > 0
    assert "skipped" not in figures["reports"]
