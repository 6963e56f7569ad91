"""How well confirmation emails are read: accepted-correct, quarantined and WRONG counts.

    python bench/mail_extractor.py [--set heldout|tuning] [--json FILE] [--show]

Runs the shipped layouts and the general extractor (no database: the reading step of
``referral mail import``) over a labeled set under ``tests/data/mail/<set>/``, whose
``labels.json`` gives each email's expected fields, or ``"quarantine"`` when the email
does not state every required field unambiguously. Counts:

- accepted-correct: read, and every labeled field read as labeled;
- quarantined: not read (a person gets it) — whatever the label;
- WRONG: read with a field other than labeled, or read when it should be quarantined;
- optional_missed (among accepted-correct): an optional field the email states (premium,
  email, phone, client code) was left out of the event.

A wrong event is worse than a quarantined one: WRONG must stay 0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from referral_engine.mail.facts import PolicyFacts  # noqa: E402
from referral_engine.mail.layouts import shipped_layouts  # noqa: E402
from referral_engine.mail.service import Arrival, read_arrival  # noqa: E402

DATA = ROOT / "tests" / "data" / "mail"
COMPARED = (
    "policy_number",
    "insured_name",
    "effective_date",
    "line_of_business",
    "transaction",
    "premium",
    "email",
    "phone",
    "client_id",
)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _value(facts: PolicyFacts, name: str) -> Any:
    value = getattr(facts, name)
    if name == "effective_date":
        return value.isoformat()
    if name == "phone" and value is not None:
        return re.sub(r"\D", "", value)[-10:]
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def score(folder: Path) -> dict[str, Any]:
    """Counts and the per-email results for one labeled folder."""
    labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    layouts = shipped_layouts()
    counts = {
        "emails": 0,
        "accepted_correct": 0,
        "quarantined": 0,
        "wrong": 0,
        "optional_missed": 0,
    }
    rows = []
    for name, expected in sorted(labels.items()):
        path = next(folder.glob(f"{name}.*"))
        arrival = Arrival(path.read_bytes(), path.name, path.suffix == ".xml")
        _, _, reading = read_arrival(arrival, layouts=layouts, lines={}, now=NOW)
        counts["emails"] += 1
        if reading.facts is None:
            counts["quarantined"] += 1
            rows.append({"email": name, "result": "quarantined", "why": reading.reasons})
            continue
        if expected == "quarantine":
            diff = ["should have been quarantined"]
        else:
            diff = [
                f"{field}: read {_value(reading.facts, field)!r}, labeled {expected.get(field)!r}"
                for field in COMPARED
                if _value(reading.facts, field) is not None
                and _value(reading.facts, field) != expected.get(field)
            ]
            # An optional field the email states but the reader left out: incomplete, not wrong.
            missed = [
                f
                for f in COMPARED
                if expected.get(f) is not None and _value(reading.facts, f) is None
            ]
            counts["optional_missed"] += bool(missed)
        result = "wrong" if diff else "accepted_correct"
        counts[result] += 1
        rows.append({"email": name, "result": result, "reader": reading.reader, "why": diff})
    should = sum(1 for v in labels.values() if v != "quarantine")
    counts["readable_labeled"] = should
    return {"set": folder.name, "counts": counts, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="heldout", choices=("heldout", "tuning"))
    parser.add_argument("--json", type=Path, help="Write the figures to this file.")
    parser.add_argument("--show", action="store_true", help="Print every email's result.")
    args = parser.parse_args()
    figures = score(DATA / args.set)
    counts = figures["counts"]
    print(
        f"{args.set}: {counts['emails']} emails ({counts['readable_labeled']} labeled readable):"
        f" {counts['accepted_correct']} accepted-correct, {counts['quarantined']} quarantined,"
        f" {counts['wrong']} WRONG"
    )
    for row in figures["rows"]:
        if args.show or row["result"] == "wrong":
            print(f"  {row['email']}: {row['result']} {'; '.join(row['why'])}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 1 if counts["wrong"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
