"""The reward rules as pure code (research R30–R33): the trigger, each state's rule, the
cap's period; and docs/compliance.md agreeing with states.toml."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from referral_engine.compliance.rewards import (
    CapPeriod,
    Proposal,
    RewardRule,
    check,
    file_rules,
    parse_file_rules,
    parse_rule,
    period_start,
    rules_for,
    trigger_refusal,
)
from referral_engine.compliance.states import RulesFileError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "compliance.md"
FILE = file_rules()
CHICAGO = ZoneInfo("America/Chicago")


def verdict(state: str | None, kind: str, value: float, earlier: float = 0.0) -> bool:
    rules = rules_for(state, file=FILE, agency={})
    periods = {rule.cap_period: earlier for rule in rules}
    return check(Proposal(state, kind, value), rules, earlier=periods).allowed


@pytest.mark.parametrize(
    ("state", "kind", "value", "earlier", "allowed"),
    [
        ("WA", "gift_card", 100, 0, True),
        ("WA", "gift_card", 60, 60, False),
        ("WA", "gift_card", 40, 60, True),
        ("WA", "cash", 5, 0, False),
        ("GA", "donation", 100, 0, True),
        ("GA", "gift_card", 0.01, 100, False),
        ("GA", "cash", 5, 0, False),
        ("TX", "cash", 25, 0, True),
        ("TX", "gift_card", 25.01, 0, False),
        ("TX", "gift_card", 5, 20, True),
        ("TX", "gift_card", 6, 20, False),
        ("FL", "cash", 1000, 5000, True),
        ("NY", "cash", 1000, 5000, True),
        ("CA", "gift_card", 1, 0, False),
        ("IL", "gift_card", 1, 0, False),
        (None, "gift_card", 1, 0, False),
    ],
)
def test_the_check_follows_each_state_rule(
    state: str | None, kind: str, value: float, earlier: float, allowed: bool
) -> None:
    assert verdict(state, kind, value, earlier) is allowed


@pytest.mark.parametrize(
    "trigger", ["on_bind", "bound", "on_quote", "quoted", "converted", "on_purchase", "applied"]
)
def test_a_trigger_that_waits_for_the_referred_person_is_refused(trigger: str) -> None:
    refusal = trigger_refusal(trigger)
    assert refusal is not None and "R32" in refusal
    assert "makes the reward depend on the referred person" in refusal


def test_the_one_trigger_is_a_referral_received() -> None:
    assert trigger_refusal("referral_received") is None
    assert "unknown trigger" in (trigger_refusal("every_tuesday") or "")


@pytest.mark.parametrize(
    ("now", "period", "start"),
    [
        ("2026-12-20T16:00:00+00:00", CapPeriod.calendar_year, "2026-01-01T06:00:00+00:00"),
        ("2027-01-01T05:59:00+00:00", CapPeriod.calendar_year, "2026-01-01T06:00:00+00:00"),
        ("2027-01-01T06:00:00+00:00", CapPeriod.calendar_year, "2027-01-01T06:00:00+00:00"),
        ("2027-11-30T16:00:00+00:00", CapPeriod.rolling_12_months, "2026-11-30T16:00:00+00:00"),
        ("2028-02-29T18:00:00+00:00", CapPeriod.rolling_12_months, "2027-02-28T18:00:00+00:00"),
    ],
)
def test_a_cap_period_starts_where_its_name_says(now: str, period: CapPeriod, start: str) -> None:
    got = period_start(datetime.fromisoformat(now), period, CHICAGO)
    assert got == datetime.fromisoformat(start).astimezone(UTC)


def test_an_agency_rule_adds_to_the_files_rule() -> None:
    looser = parse_rule("WA", {"annual_cap": 500, "non_cash_only": False}, set_by="agency")
    rules = rules_for("WA", file=FILE, agency={"WA": looser})
    assert len(rules) == 2
    result = check(Proposal("WA", "cash", 10), rules, earlier={})
    assert not result.allowed and "states.toml" in result.rule


def test_the_rule_says_where_it_comes_from() -> None:
    assert FILE["WA"].describe() == (
        "WA: non-cash only; at most $100.00 per referrer per rolling 12 months; not"
        " contingent on a purchase (WA OIC, Referrals [68]; states.toml)"
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"annual_cap": -1, "citation": "c", "source": "s"}, "annual_cap"),
        ({"cap_period": "monthly", "citation": "c", "source": "s"}, "cap_period"),
        ({"non_cash_only": "yes", "citation": "c", "source": "s"}, "non_cash_only"),
        ({"cap": 10, "citation": "c", "source": "s"}, "unknown key"),
        ({"annual_cap": 10}, "citation and a source"),
    ],
)
def test_a_broken_rewards_table_fails_loudly(table: dict[str, object], message: str) -> None:
    with pytest.raises(RulesFileError, match=message):
        parse_file_rules({"WA": {"rewards": table}})


# --- docs/compliance.md and the file agree ------------------------------------------------


def _table_after(heading: str) -> list[list[str]]:
    section = DOCS.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    block = next(b for b in section.split("\n\n") if b.startswith("|"))
    rows = [line for line in block.splitlines() if not line.startswith("| ---")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in rows[1:]]


def _all_tables_after(heading: str) -> list[list[str]]:
    section = DOCS.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = []
    for block in section.split("\n\n"):
        if block.startswith("|"):
            lines = [line for line in block.splitlines() if not line.startswith("| ---")]
            rows.extend([c.strip() for c in line.strip("|").split("|")] for line in lines[1:])
    return rows


def _summary(rule: RewardRule) -> str:
    kind = "non-cash only" if rule.non_cash_only else "cash or non-cash"
    if rule.annual_cap is None:
        return f"{kind}; no cap stated"
    period = rule.cap_period.replace("_", " ")
    return f"{kind}; ${rule.annual_cap:.0f} per referrer per {period}"


def test_the_rewards_table_in_the_docs_matches_the_file() -> None:
    from referral_engine.compliance.places import US_STATES

    documented = {row[0]: row for row in _table_after("Rewards")}
    assert set(documented) == {f"{code} ({US_STATES[code]})" for code in FILE}
    for code, rule in FILE.items():
        row = documented[f"{code} ({US_STATES[code]})"]
        assert row[1].startswith(_summary(rule)), row[1]
        assert "unconfirmed" in row[1] if not rule.confirmed else True
        assert row[2:4] == [rule.citation, rule.source]


@pytest.mark.parametrize(
    "heading",
    [
        "Revocation",
        "Consent with proof",
        "The first text, HELP and START",
        "Privacy of the referred person",
        "Rewards",
        "Public acknowledgment",
        "Email",
    ],
)
def test_every_test_the_docs_name_as_proof_exists(heading: str) -> None:
    for row in _all_tables_after(heading):
        path = ""
        for proof in re.findall(r"`([^`]*::[^`]+)`", row[-1]):
            where, _, name = proof.partition("::")
            path = where or path
            source = (ROOT / path).read_text(encoding="utf-8")
            assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), proof
