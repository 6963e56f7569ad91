"""How well :func:`classify` reads a labeled set of replies: precision, recall, F1.

A labeled row is a JSON object (one per line in ``tests/data/replies.jsonl``)::

    {"text": "...", "channel": "sms" | "email", "headers": {...}, "client_name": "...",
     "label": "hot", "prospects": [{"first_name": "Tom", "mobile": "+13125550100"}],
     "split": "dev" | "holdout"}

``headers``, ``client_name``, ``prospects`` and ``split`` are optional. Shared by the
tests (which hold the numbers to a floor) and ``bench/reply_quality.py`` (which prints them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from referral_engine.replies.classify import ReplyClass, classify

# The agency that sent the asks in the labeled set.
LABELED_AGENCY_DOMAINS = ("agency.example.com",)

Row = Mapping[str, Any]


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def predict(row: Row) -> ReplyClass:
    return classify(
        row["text"],
        headers=row.get("headers"),
        client_name=row.get("client_name"),
        agency_domains=LABELED_AGENCY_DOMAINS,
    ).kind


def confusion(rows: Iterable[Row]) -> dict[str, dict[str, int]]:
    """counts[label][predicted] for every class, zeros included."""
    counts = {label: {kind: 0 for kind in ReplyClass} for label in ReplyClass}
    for row in rows:
        counts[ReplyClass(row["label"])][predict(row)] += 1
    return {
        str(label): {str(kind): n for kind, n in line.items()} for label, line in counts.items()
    }


def scores(counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, float]]:
    """Per class: precision, recall, f1 and support, from a confusion matrix.

    With nothing predicted (or nothing labeled) in a class, its precision (or recall) is 1.0:
    no wrong answers were given.
    """
    result = {}
    for kind in counts:
        hits = counts[kind][kind]
        labeled = sum(counts[kind].values())
        predicted = sum(line[kind] for line in counts.values())
        precision = hits / predicted if predicted else 1.0
        recall = hits / labeled if labeled else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[kind] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": float(labeled),
        }
    return result


def quality(rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class of :func:`classify` over ``rows``."""
    return scores(confusion(rows))
