"""The pieces every cue table reads with: patterns, sentences, clauses, negation and tone.

Pure and stateless but for VADER's lexicon, which is loaded once on first use.
"""

from __future__ import annotations

import re
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def rx(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern."""
    return re.compile(pattern, re.IGNORECASE)


def any_of(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of the alternatives (one idea each)."""
    return rx("|".join(f"(?:{alternative})" for alternative in alternatives))


# "don't", "dont", "wasn't" (but not the "nt" that ends "client" or "accident").
NOT = (
    r"\b(?:not|never|no|(?:do|does|did|is|was|were|are|ca|wo|would|could|should|has|have|had)"
    r"n'?t)\b"
)

_SENTENCE = re.compile(r"(?<=[.!?\n])\s+|\n")
_CLAUSE = rx(r"[;:]|\bbut\b|,\s*(?=(?:i|i'?ll|ill|let me|she|he|they)\b)")


def sentences(text: str) -> list[str]:
    """The text cut after ``.``, ``!`` and ``?`` and at line breaks (pieces may be empty)."""
    return _SENTENCE.split(text)


def clauses(text: str) -> list[str]:
    """Each sentence cut further at ``;``, ``:``, "but" and a comma before a new subject."""
    return [
        clause.strip()
        for sentence in sentences(text)
        for clause in _CLAUSE.split(sentence)
        if clause.strip()
    ]


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score of the text, -1 (negative) .. 1 (positive)."""
    return float(_vader().polarity_scores(text)["compound"])
