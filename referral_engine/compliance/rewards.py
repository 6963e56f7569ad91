"""What a referral reward may be: the trigger, and the rules of the referrer's state.

Rules come from two places, and a reward must pass every one that applies:

* ``[states.XX.rewards]`` in ``states.toml`` (the product's reading of the law, with its
  sources: research R30–R33), read by :func:`file_rules`;
* ``[rewards.states.XX]`` in the agency's settings: the rule an admin sets for a state
  the file has none for (which unblocks it), or a stricter one for a state it has.

What a caller may rely on, in the order the questions are asked (:func:`check`):

1. A trigger that depends on the referred person quoting, applying or buying is never
   accepted (:func:`trigger_refusal`; research R32): settings that name one are refused.
2. A referrer whose state is unknown, or whose state has no rule at all, gets no reward:
   it is blocked until an admin sets one (R33).
3. A state that allows only non-cash rewards blocks cash.
4. The value plus what this referrer was already given or offered in the rule's period
   (a calendar year in the agency's zone, or the rolling 12 months before now) may not
   pass the rule's annual cap.

Every answer names the rule that allowed or blocked the reward, with its citation.
Pure: no database, clock or network.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from referral_engine.compliance.places import US_STATES
from referral_engine.compliance.states import RULES_FILE, RulesFileError, state_tables

TRIGGERS: dict[str, str] = {
    "referral_received": "a referral is received from a client (captured, not a draft)",
}
"""The triggers a reward may have: none of them waits for the referred person to act."""
# Words that make a trigger depend on what the referred person does (R32).
_CONTINGENT = (
    "bind",
    "bound",
    "quote",
    "convert",
    "purchase",
    "buy",
    "bought",
    "sale",
    "sold",
    "sell",
    "apply",
    "applied",
    "application",
    "policy",
    "premium",
    "closed",
    "won",
    "issued",
)
KINDS: dict[str, str] = {
    "gift_card": "a gift card",
    "donation": "a donation in their name",
    "merchandise": "a thank-you gift",
    "cash": "a cash reward",
}
"""Reward kinds, with the words a disclosure uses; only ``cash`` is cash."""
CASH_KINDS = frozenset({"cash"})
R32 = (
    "a reward may never depend on the referred person quoting, applying or buying"
    " (research R32: WA OIC [68], Fla. Stat. 626.112(8) [70], N.Y. Ins. Law 2114-2116 [73],"
    " Texas [74], Georgia [75])"
)
_RULE_KEYS = {
    "non_cash_only",
    "annual_cap",
    "cap_period",
    "citation",
    "source",
    "confirmed",
    "note",
}


class CapPeriod(StrEnum):
    calendar_year = "calendar_year"  # January 1 to December 31, in the agency's zone
    rolling_12_months = "rolling_12_months"  # the 12 months before the reward


def trigger_refusal(trigger: str) -> str | None:
    """Why ``trigger`` may not start a reward, or None when it may."""
    if trigger in TRIGGERS:
        return None
    word = trigger.strip().lower()
    if any(part in word for part in _CONTINGENT):
        return f"{trigger!r} makes the reward depend on the referred person: {R32}"
    return f"unknown trigger {trigger!r}: use one of {', '.join(TRIGGERS)} ({R32})"


@dataclass(frozen=True)
class RewardRule:
    """What one rule lets a referrer in ``state`` be given."""

    state: str
    non_cash_only: bool
    annual_cap: float | None  # dollars per referrer per period; None: no cap stated
    cap_period: CapPeriod
    citation: str
    source: str
    set_by: str  # "states.toml" or "agency settings"
    confirmed: bool = True

    def describe(self) -> str:
        """The rule in words, with where it comes from: "WA: non-cash only; at most
        $100.00 per referrer per rolling 12 months (WA OIC ...; states.toml)"."""
        parts = ["non-cash only" if self.non_cash_only else "cash or non-cash"]
        if self.annual_cap is None:
            parts.append("no cap stated")
        else:
            period = self.cap_period.replace("_", " ")
            parts.append(f"at most {_money(self.annual_cap)} per referrer per {period}")
        unconfirmed = "; unconfirmed" if not self.confirmed else ""
        return (
            f"{self.state}: {'; '.join(parts)}; not contingent on a purchase "
            f"({self.citation}; {self.set_by}{unconfirmed})"
        )


@dataclass(frozen=True)
class RewardCheck:
    """The answer: allowed or blocked, and the rule(s) that decided it, in words."""

    allowed: bool
    rule: str


def _money(value: float) -> str:
    return f"${value:,.2f}"


# -- reading rules ---------------------------------------------------------------------


def parse_rule(state: str, table: dict[str, Any], *, set_by: str) -> RewardRule:
    """One ``rewards`` table as a rule; :class:`RulesFileError` names what is wrong."""
    where = f"states.{state}.rewards" if set_by == "states.toml" else f"rewards.states.{state}"
    if state not in US_STATES:
        raise RulesFileError(f"[{where}]: {state!r} is not a USPS state or territory code")
    unknown = set(table) - _RULE_KEYS
    if unknown:
        raise RulesFileError(f"[{where}]: unknown key(s) {', '.join(sorted(unknown))}")
    non_cash = table.get("non_cash_only", True)
    if not isinstance(non_cash, bool):
        raise RulesFileError(f"[{where}].non_cash_only: true or false")
    cap = table.get("annual_cap")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int | float) or cap < 0):
        raise RulesFileError(f"[{where}].annual_cap: dollars, 0 or more")
    try:
        period = CapPeriod(table.get("cap_period", CapPeriod.calendar_year))
    except ValueError as exc:
        raise RulesFileError(f"[{where}].cap_period: calendar_year or rolling_12_months") from exc
    citation = str(table.get("citation") or "").strip()
    source = str(table.get("source") or "").strip()
    if set_by == "states.toml" and not (citation and source):
        raise RulesFileError(f"[{where}] needs a citation and a source")
    return RewardRule(
        state=state,
        non_cash_only=non_cash,
        annual_cap=float(cap) if cap is not None else None,
        cap_period=period,
        citation=citation or source or "set by the agency's admin",
        source=source,
        set_by=set_by,
        confirmed=bool(table.get("confirmed", True)),
    )


def parse_file_rules(states: dict[str, dict[str, Any]]) -> dict[str, RewardRule]:
    """The ``rewards`` table of every ``[states.XX]`` that has one."""
    found = {}
    for code, table in sorted(states.items()):
        if isinstance(table, dict) and "rewards" in table:
            rewards = table["rewards"]
            if not isinstance(rewards, dict):
                raise RulesFileError(f"[states.{code}.rewards] must be a table")
            found[code] = parse_rule(code, rewards, set_by="states.toml")
    return found


@lru_cache(maxsize=8)
def _file_rules(path: Path) -> dict[str, RewardRule]:
    return parse_file_rules(state_tables(path))


def file_rules(path: Path = RULES_FILE) -> dict[str, RewardRule]:
    """The shipped file's reward rules by state (read once per path)."""
    return copy.copy(_file_rules(path))


def rules_for(
    state: str | None, *, file: dict[str, RewardRule], agency: dict[str, RewardRule]
) -> list[RewardRule]:
    """Every rule that applies to a referrer in ``state``: the file's, then the agency's."""
    if state is None:
        return []
    return [rule for rule in (file.get(state), agency.get(state)) if rule is not None]


# -- the check -------------------------------------------------------------------------


def period_start(now: datetime, period: CapPeriod, zone: ZoneInfo) -> datetime:
    """Where the cap's period begins, for a reward at ``now`` (UTC-aware)."""
    local = now.astimezone(zone)
    if period == CapPeriod.calendar_year:
        return datetime.combine(date(local.year, 1, 1), time(0), zone).astimezone(UTC)
    try:
        earlier = local.replace(year=local.year - 1)
    except ValueError:  # February 29: the year before has none
        earlier = local.replace(year=local.year - 1, day=28)
    return earlier.astimezone(UTC)


@dataclass(frozen=True)
class Proposal:
    """A reward to check: for a referrer in ``state`` (None when unknown)."""

    state: str | None
    kind: str
    value: float


def check(
    proposal: Proposal, rules: list[RewardRule], *, earlier: dict[CapPeriod, float]
) -> RewardCheck:
    """Allowed only when every rule allows it; ``earlier`` is what the referrer was
    already given or offered (approved or waiting for review) in each period."""
    if proposal.state is None:
        return RewardCheck(
            False,
            "the referrer's state is unknown (no address or ZIP code on record): rewards are"
            " blocked until it is known (research R33)",
        )
    if not rules:
        return RewardCheck(
            False,
            f"no reward rule for {proposal.state}: rewards there are blocked until an admin"
            f" sets [rewards.states.{proposal.state}] in the agency settings (research R33)",
        )
    for rule in rules:
        refusal = _refusal(proposal, rule, earlier=earlier.get(rule.cap_period, 0.0))
        if refusal is not None:
            return RewardCheck(False, refusal)
    allowed = " and ".join(rule.describe() for rule in rules)
    return RewardCheck(True, f"allowed by {allowed}")


def _refusal(proposal: Proposal, rule: RewardRule, *, earlier: float) -> str | None:
    if rule.non_cash_only and proposal.kind in CASH_KINDS:
        return f"blocked: {KINDS.get(proposal.kind, proposal.kind)} is cash — {rule.describe()}"
    if rule.annual_cap is None:
        return None
    total = round(earlier + proposal.value, 2)
    if total > rule.annual_cap + 0.005:
        period = rule.cap_period.replace("_", " ")
        return (
            f"blocked: {_money(earlier)} already given or offered to this referrer in the"
            f" {period}; this {_money(proposal.value)} would make {_money(total)}, over the"
            f" cap — {rule.describe()}"
        )
    return None
