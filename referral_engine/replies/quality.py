"""How well :func:`classify` reads a labeled set of replies: precision, recall, F1.

A labeled row is a JSON object (one per line in ``tests/data/replies.jsonl``)::

    {"text": "...", "channel": "sms" | "email", "headers": {...}, "client_name": "...",
     "label": "hot", "prospects": [{"first_name": "Tom", "mobile": "+13125550100"}],
     "split": "dev" | "holdout_1" | "holdout_2" | ...}

``headers``, ``client_name``, ``prospects`` and ``split`` (default ``dev``) are optional.
``dev`` rows were written before the rules; each ``holdout_N`` batch was written later,
measured once, and only then tuned on, except the newest (:func:`newest_split`), which is
measured and not tuned on. Shared by the tests (which hold the numbers to a floor) and
``bench/reply_quality.py`` (which prints them).

What the numbers say, measured with :func:`quality` and :func:`by_split` over the 354 rows
of ``tests/data/replies.jsonl``: on the newest batch, ``holdout_7`` (40 rows, untuned),
accuracy is 0.70 and, per class (precision / recall, support):

    hot         1.00 / 0.75   (8)     interested  0.83 / 0.71   (7)
    complaint   0.67 / 0.20  (10)     neutral     0.41 / 1.00   (7)
    opt_out     1.00 / 1.00   (4)     auto_reply  1.00 / 1.00   (4)

So precision does not simply hold on unseen wording: hot did (6 of 6 read as hot were
hot), complaint did not (2 of 3), and most misses fell to neutral. The tuned rows (``dev``
and ``holdout_1`` to ``holdout_6``, 314 rows) score 1.00 / 1.00 in every class, which shows
the fit to what the rules were tuned on, not how they read new wording. Over all 354 rows:
hot 1.00 / 0.98, complaint 0.98 / 0.88. Measure again when a batch is added.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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


def split_of(row: Row) -> str:
    return str(row.get("split", "dev"))


def newest_split(rows: Iterable[Row]) -> str | None:
    """The ``holdout_N`` with the highest N: the batch nobody has tuned the rules on yet."""
    numbers = [
        int(split.removeprefix("holdout_"))
        for split in {split_of(row) for row in rows}
        if split.startswith("holdout_") and split.removeprefix("holdout_").isdigit()
    ]
    return f"holdout_{max(numbers)}" if numbers else None


@dataclass(frozen=True)
class SplitQuality:
    """How one split reads: its size, accuracy, and the two scores that matter most."""

    split: str
    rows: int
    accuracy: float
    hot_precision: float
    hot_recall: float
    complaint_precision: float
    complaint_recall: float


def accuracy(counts: Mapping[str, Mapping[str, int]]) -> float:
    total = sum(sum(line.values()) for line in counts.values())
    right = sum(counts[kind][kind] for kind in counts)
    return right / total if total else 1.0


def by_split(rows: Sequence[Row]) -> list[SplitQuality]:
    """One :class:`SplitQuality` per split, ``dev`` first, then holdouts in order."""

    def order(split: str) -> tuple[int, str]:
        number = split.removeprefix("holdout_")
        return (int(number), "") if number.isdigit() else (-1, split)

    report = []
    for split in sorted({split_of(row) for row in rows}, key=order):
        counts = confusion([row for row in rows if split_of(row) == split])
        score = scores(counts)
        report.append(
            SplitQuality(
                split=split,
                rows=sum(sum(line.values()) for line in counts.values()),
                accuracy=accuracy(counts),
                hot_precision=score["hot"]["precision"],
                hot_recall=score["hot"]["recall"],
                complaint_precision=score["complaint"]["precision"],
                complaint_recall=score["complaint"]["recall"],
            )
        )
    return report


def format_splits(report: Sequence[SplitQuality]) -> str:
    """The per-split report as a plain-text table."""
    lines = [
        f"{'split':<12}{'rows':>6}{'accuracy':>10}{'hot P':>8}{'hot R':>8}"
        f"{'compl P':>9}{'compl R':>9}"
    ]
    lines += [
        f"{q.split:<12}{q.rows:>6}{q.accuracy:>10.2f}{q.hot_precision:>8.2f}"
        f"{q.hot_recall:>8.2f}{q.complaint_precision:>9.2f}{q.complaint_recall:>9.2f}"
        for q in report
    ]
    return "\n".join(lines)


# -- opt-out detection (tests/data/opt_outs.jsonl) --------------------------------------


def reads_as_opt_out(row: Row) -> bool:
    """Whether :func:`classify` reads an opt-out-set row (``text``, ``channel``) as opt-out."""
    return predict(row) == ReplyClass.opt_out


@dataclass(frozen=True)
class OptOutQuality:
    """How opt-out detection reads a set of rows labeled ``opt_out`` true or false."""

    rows: int
    opt_outs: int
    caught: int  # opt-outs read as opt-out
    false_alarms: int  # other replies read as opt-out

    @property
    def recall(self) -> float:
        return self.caught / self.opt_outs if self.opt_outs else 1.0

    @property
    def precision(self) -> float:
        flagged = self.caught + self.false_alarms
        return self.caught / flagged if flagged else 1.0


def opt_out_quality(rows: Iterable[Row]) -> OptOutQuality:
    """Recall and precision of opt-out detection over labeled rows."""
    total = opt_outs = caught = false_alarms = 0
    for row in rows:
        total += 1
        flagged = reads_as_opt_out(row)
        opt_outs += bool(row["opt_out"])
        caught += bool(row["opt_out"]) and flagged
        false_alarms += (not row["opt_out"]) and flagged
    return OptOutQuality(total, opt_outs, caught, false_alarms)
