"""What every `referral` command shares: the consoles, the database the command works
on, the report formats and how a command fails (a clear message, exit 2 or 1).

The area CLIs (``asks/cli.py``, ``reports/cli.py``, …) import from here, and
:mod:`referral_engine.cli` imports the area CLIs: no module imports the one that imports
it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn

import typer
from rich.console import Console

from referral_engine.settings import DEFAULT_DB_URL

out = Console()
err = Console(stderr=True)


class State:
    db_url: str = DEFAULT_DB_URL


state = State()


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a clear message and exit (2: bad usage or input, 1: runtime failure)."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
