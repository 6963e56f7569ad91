"""Referral-ready signals: which events are warm moments, and the evidence for each.

Pure: takes an event's type and canonical payload, returns a :class:`Signal` (or
``None`` when the event is not a moment at all). A signal that is *not ready* still
says why, so the ask's timeline can show that feedback was read and found lukewarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

TRIGGERS = (
    "policy.bound",
    "policy.renewed",
    "feedback.received",
    "project.completed",
    "support.resolved",
    "account.upgraded",
)

# VADER's compound score above which free text reads "clearly positive" (VADER's own
# convention puts positive at >= 0.05; we ask for much more before asking a favour).
POSITIVE_TEXT = 0.5
PROMOTER_SCORE = 9  # NPS promoters: 9 and 10

# Wording that says a problem is still open. Positive words around it ("thanks, but
# I'm still waiting on my claim check") must not make the moment warm. A miss sends a
# referral ask to someone with an open problem; a false alarm only skips one ask, so
# when in doubt the pattern errs towards "unresolved". The lookarounds keep the
# warmest phrasings warm: "still no complaints", "no waiting on hold", "outstanding
# claim service". Apostrophes may be typed or curly (phones type "haven’t").
_UNRESOLVED = re.compile(
    r"""\b(
        still\s+(?:waiting|haven['’]?t|hasn['’]?t|not|no|open|broken|pending|unresolved|trying|need
                  |on\s+hold|owes?|owed|dealing)
            (?!\s+(?:a\s+single\s+|one\s+)?(?:complaints?|problems?|issues?|regrets?)\b)
      | (?:not|never|isn['’]?t|wasn['’]?t|hasn['’]?t\s+been|haven['’]?t\s+been
          |(?:has|have)\s+not\s+been)\s+(?:yet\s+)?
            (?:fixed|resolved|paid|processed|answered|sorted|settled|handled|returned
              |issued|refunded|corrected|credited|reimbursed)
      | (?<!\bno\s)(?<!\bno\smore\s)(?<!without\s)waiting\s+(?:on|for)
      | awaiting\s+(?:my|our|the)
      | (?<!\bno\s)unresolved
      | outstanding\s+(?:issue|claim|bill|balance|problem)
            (?!\s+(?:service|handling|support|help|team|work|experience))
      | (?:no|(?:never|haven['’]?t|have\s+not)\s+(?:had|got|gotten|received)(?:\s+(?:a|any))?)\s+
            (?:reply|response|answer|call\s+back|callback|word)
      | (?:never|haven['’]?t|hasn['’]?t|have\s+not|has\s+not|not\s+yet)\s+heard\s+back
      | (?:nobody|no\s+one|no-one)\s+(?:has\s+|have\s+|had\s+)?(?:yet\s+)?
            (?:called|got\s+back|gotten\s+back|fixed|replied|responded|followed\s+up|returned
              |reached\s+out|contacted|sorted)
      | (?:haven['’]?t|hasn['’]?t|have\s+not|has\s+not|not\s+yet|never)\s+(?:yet\s+)?
            (?:received|gotten|got)\s+(?:my|our)
      | (?:haven['’]?t|hasn['’]?t|have\s+not|has\s+not|not\s+yet)\s+(?:yet\s+)?
            (?:received|gotten|got)\s+(?:the|any)
      | (?:never|hasn['’]?t|has\s+not|haven['’]?t|have\s+not|didn['’]?t|not\s+yet)\s+
            (?:yet\s+)?arrived
      | open\s+(?:claim|ticket|issue)
      | (?:claim|bill|billing|payment|refund)\s+(?:is\s+)?(?:still|delayed|late|missing|wrong)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class Signal:
    """A referral-ready moment (or a moment read and found not ready)."""

    trigger: str
    ready: bool
    evidence: str


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def text_sentiment(text: str) -> float:
    """VADER's compound score of ``text``, from -1 (negative) to 1 (positive)."""
    return float(_analyzer().polarity_scores(text)["compound"])


def mentions_unresolved_problem(text: str) -> bool:
    """True when free text says a problem is still open ("still waiting on my claim")."""
    return bool(_UNRESOLVED.search(text))


def read_feedback(score: int | None, text: str | None) -> Signal:
    """Feedback is warm at a score of 9–10, or when its text reads clearly positive;
    never when its text mentions a problem that is still open."""
    text = (text or "").strip()
    quoted = f"“{text[:160]}”" if text else ""
    if text and mentions_unresolved_problem(text):
        return Signal(
            "feedback.received",
            False,
            f"feedback mentions an unresolved problem: {quoted}",
        )
    if score is not None:
        if score >= PROMOTER_SCORE:
            return Signal("feedback.received", True, f"promoter score {score}/10 {quoted}".strip())
        return Signal(
            "feedback.received",
            False,
            f"score {score}/10 is below {PROMOTER_SCORE}: not a promoter {quoted}".strip(),
        )
    if not text:
        return Signal("feedback.received", False, "feedback with neither a score nor text")
    compound = text_sentiment(text)
    if compound >= POSITIVE_TEXT:
        return Signal(
            "feedback.received", True, f"clearly positive text (sentiment {compound:+.2f}) {quoted}"
        )
    return Signal(
        "feedback.received",
        False,
        f"text is not clearly positive (sentiment {compound:+.2f}) {quoted}",
    )


def _policy_words(payload: dict[str, Any]) -> str:
    policy = payload.get("policy") or {}
    parts = [policy.get("line_of_business"), "policy", policy.get("number")]
    carrier = policy.get("carrier")
    words = " ".join(str(p) for p in parts if p)
    return f"{words} with {carrier}" if carrier else words


def signal_for(event_type: str, payload: dict[str, Any]) -> Signal | None:
    """The signal an event makes, or None when the event is not a moment."""
    policy = payload.get("policy") or {}
    transaction = policy.get("transaction")
    if event_type == "policy.bound":
        if transaction not in (None, "new", "rewrite"):
            return None  # an endorsement or reinstatement is not new business
        label = "rewrite" if transaction == "rewrite" else "new business"
        return Signal(event_type, True, f"{label}: {_policy_words(payload)} bound")
    if event_type == "policy.renewed":
        return Signal(event_type, True, f"renewal: {_policy_words(payload)} renewed")
    if event_type == "feedback.received":
        feedback = payload.get("feedback") or {}
        return read_feedback(feedback.get("score"), feedback.get("text"))
    if event_type == "project.completed":
        return Signal(event_type, True, "project completed")
    if event_type == "support.resolved":
        return Signal(event_type, True, "support issue resolved")
    if event_type == "account.upgraded":
        return Signal(event_type, True, "account upgraded")
    return None


def moment_key(
    *, client_id: int, event_type: str, payload: dict[str, Any], source: str, external_id: str
) -> str:
    """The identity of a moment: one ask per key.

    A policy moment is the client, the policy number, the transaction and the effective
    date (or the year, for a renewal without one): the same bind reported by the agency
    system and by a carrier download, under different event ids, is one moment. Other
    moments are their event.
    """
    policy = payload.get("policy") or {}
    number = policy.get("number")
    if event_type in ("policy.bound", "policy.renewed") and number:
        transaction = policy.get("transaction") or (
            "renewal" if event_type == "policy.renewed" else "new"
        )
        if event_type == "policy.bound":
            return f"{client_id}:{event_type}:{number}:{transaction}"
        when = policy.get("effective_date") or str(payload.get("occurred_at", ""))[:4]
        return f"{client_id}:{event_type}:{number}:{transaction}:{when}"
    return f"{client_id}:{event_type}:{source}:{external_id}"
