"""One clock: nothing in the product reads the wall clock except ``referral_engine/clock.py``.

Every decision takes its instant from ``clock.now()`` (pinned by ``--now``, ``REFERRAL_NOW``
or a test), so a program that reads ``datetime.now()`` or ``time.time()`` elsewhere decides
by the day it happens to run. ruff's DTZ rules only catch *naive* datetimes; this check
catches every wall-clock read, however it was imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "referral_engine"
ALLOWED = {PACKAGE / "clock.py"}
WALL_CLOCK_READS = {
    "datetime.datetime.now",
    "datetime.datetime.utcnow",
    "datetime.datetime.today",
    "datetime.date.today",
    "time.time",
    "time.time_ns",
    "time.localtime",
    "time.gmtime",
    "time.ctime",
    "time.asctime",
}


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every call in ``source`` that reads the wall clock.

    Names are resolved through the module's imports (``from datetime import datetime as
    dt``, ``import time as t``) so an alias does not hide a read. ``time.localtime(x)`` with
    an argument converts a given instant and is not a read.
    """
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for name in node.names:
                aliases[name.asname or name.name.split(".")[0]] = (
                    name.name if name.asname else name.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for name in node.names:
                aliases[name.asname or name.name] = f"{node.module}.{name.name}"
    reads = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if dotted is None:
            continue
        head, _, rest = dotted.partition(".")
        resolved = aliases.get(head, head) + (f".{rest}" if rest else "")
        converts_given_instant = resolved in {"time.localtime", "time.gmtime", "time.ctime"} and (
            node.args or node.keywords
        )
        if resolved in WALL_CLOCK_READS and not converts_given_instant:
            reads.append((node.lineno, resolved))
    return reads


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def product_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path not in ALLOWED and "migrations/versions" not in path.as_posix()
    )


def test_the_check_reads_every_module_of_the_package() -> None:
    modules = product_modules()
    assert len(modules) > 100
    assert PACKAGE / "decisions" / "rules.py" in modules


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_but_the_clock_reads_the_wall_clock(path: Path) -> None:
    reads = wall_clock_reads(path.read_text(encoding="utf-8"))
    assert reads == [], f"{path.name} reads the wall clock; take the instant from clock.now()"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("from datetime import datetime\ndatetime.now()", "datetime.datetime.now"),
        ("from datetime import UTC, datetime\nx = datetime.now(UTC)", "datetime.datetime.now"),
        ("import datetime\ndatetime.datetime.utcnow()", "datetime.datetime.utcnow"),
        ("import datetime as dt\ndt.date.today()", "datetime.date.today"),
        ("from datetime import date as d\nd.today()", "datetime.date.today"),
        ("import time\ntime.time()", "time.time"),
        ("from time import time_ns\ntime_ns()", "time.time_ns"),
        ("import time as t\nt.localtime()", "time.localtime"),
    ],
)
def test_the_check_finds_a_wall_clock_read_however_it_is_imported(source: str, found: str) -> None:
    assert [name for _, name in wall_clock_reads(source)] == [found]


@pytest.mark.parametrize(
    "source",
    [
        "from referral_engine import clock\nclock.now()",
        "import time\ntime.localtime(0)",
        "from datetime import datetime\ndatetime.fromisoformat('2026-01-01')",
        "import time\ntime.monotonic()",
    ],
)
def test_the_check_lets_pass_what_does_not_read_the_wall_clock(source: str) -> None:
    assert wall_clock_reads(source) == []
