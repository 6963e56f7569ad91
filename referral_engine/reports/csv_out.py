"""CSV as the reports write it: safe to open in a spreadsheet, one line per row.

What a caller may rely on:

- **No live formulas.** A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return gets a leading apostrophe (the OWASP guidance against CSV
  injection), so ``=HYPERLINK(…)`` in a client's name shows as text in Excel, LibreOffice
  and Google Sheets. Numbers stay numbers: an ``int``/``float`` cell, or a text cell that
  is a plain decimal number (``-12.5``), is written as it is.
- **No wrapping.** Rows are written with the :mod:`csv` module straight to the output
  stream, never through Rich, so a row is one line however wide it is (a cell that holds
  a line break is quoted, as CSV says).
- Lines end with ``\\r\\n`` (RFC 4180); a cell holding a line break of either kind is
  quoted. ``None`` is written as an empty cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will not evaluate it (see the module)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_csv(stream: IO[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write ``rows`` (the header first) to ``stream`` as safe CSV."""
    writer = csv.writer(stream, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    stream.flush()
