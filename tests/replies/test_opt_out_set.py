"""Opt-out detection measured on its own labeled set, ``tests/data/opt_outs.jsonl``.

A row is ``{"text", "channel": "sms" | "email", "opt_out": true | false, "split": "dev" |
"holdout"}``: short texts and long emails (quoted history, sign-offs), misspellings,
Spanish, the seven words in other senses ("I'll stop by", "cancel the old policy"), hot
referrals, complaints that are opt-outs and complaints that are not.

How it was made and measured (classify() over each split; an email row is read without
its quoted history, as the product reads it):

- Both splits were written before the rules were touched: 88 dev rows and 85 holdout
  rows (45 opt-outs). Measured once with the rules of the day (11 wording patterns):
  holdout recall 0.40 (18 of 45), precision 0.86 (18 of 21); dev recall 0.43,
  precision 0.87.
- The rules (:mod:`referral_engine.replies.opt_out`) were then tuned on dev only; 11 dev
  rows were added while tuning (near-misses the rules had to learn to leave alone:
  "please stop the autopay", "opt out of workers comp", "never asked for the rental
  coverage", "stop sending paper bills"), so dev has 99 rows.
- The holdout, measured again after tuning: recall 1.00 (45 of 45), precision 0.98 (45
  of 46; the one false alarm: "can I unsubscribe from paper bills and go paperless?").
  The holdout was not re-drawn and no rule was changed for a holdout row.
- Later, 14 holdout rows were written fresh (8 opt-outs) to make the halves even, and
  measured once with the tuned rules, unchanged: the 8 opt-outs caught, one false alarm
  of the same kind ("unsubscribe my husband from the paperless billing"). The holdout is
  now 99 rows of 198: recall 1.00 (53 of 53), precision 0.96 (53 of 55).

A caution: one person wrote both splits and the rules, so the holdout is not as blind
as replies from real clients would be; a fresh batch from real traffic is the next test.

Floors: recall on the holdout is 1.0 (a missed revocation breaks the law), precision on
the holdout at least 0.95 (the measured 0.96 rounded down to 0.05).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from referral_engine.replies.quality import load, opt_out_quality, reads_as_opt_out

ROWS = load(Path(__file__).resolve().parent.parent / "data" / "opt_outs.jsonl")
HOLDOUT = [row for row in ROWS if row["split"] == "holdout"]
DEV = [row for row in ROWS if row["split"] == "dev"]

# Read as opt-out though they are not: counted in the precision above, kept visible here
# (strict: the test fails once the rules stop making the mistake, so the figure is updated).
KNOWN_FALSE_ALARMS = {
    "Quick question - can I unsubscribe from paper bills and go paperless?",
    "Can you unsubscribe my husband from the paperless billing? He wants paper.\n\nMaria",
}


def _row_id(row: dict[str, Any]) -> str:
    label = "opt_out" if row["opt_out"] else "other"
    return f"{row['split']}-{row['channel']}-{label}-" + re.sub(r"\W+", "_", row["text"][:40])


def _params() -> list[Any]:
    return [
        pytest.param(
            row,
            id=_row_id(row),
            marks=(
                [pytest.mark.xfail(strict=True, reason="known false alarm")]
                if row["text"] in KNOWN_FALSE_ALARMS
                else []
            ),
        )
        for row in ROWS
    ]


def test_the_set_is_big_balanced_and_half_held_out() -> None:
    assert len(ROWS) >= 150
    assert all(set(row) == {"text", "channel", "opt_out", "split"} for row in ROWS)
    assert 0.4 <= len(HOLDOUT) / len(ROWS) <= 0.6
    assert 0.4 <= sum(row["opt_out"] for row in ROWS) / len(ROWS) <= 0.6
    for split in (DEV, HOLDOUT):
        kinds = {(row["channel"], row["opt_out"]) for row in split}
        assert kinds == {("sms", True), ("sms", False), ("email", True), ("email", False)}


def test_every_opt_out_in_the_holdout_is_caught() -> None:
    measured = opt_out_quality(HOLDOUT)
    assert measured.opt_outs >= 40
    assert measured.recall == 1.0, measured


def test_precision_on_the_holdout_is_at_least_0_95() -> None:
    assert opt_out_quality(HOLDOUT).precision >= 0.95


def test_every_opt_out_in_dev_is_caught_with_no_false_alarm() -> None:
    measured = opt_out_quality(DEV)
    assert (measured.recall, measured.precision) == (1.0, 1.0), measured


@pytest.mark.parametrize("row", _params())
def test_a_labeled_reply_reads_as_labeled(row: dict[str, Any]) -> None:
    assert reads_as_opt_out(row) == row["opt_out"]
