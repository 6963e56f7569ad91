"""Labeled values in an email's text, typed values per field, and the verdict.

Confirmation emails put their facts as "Label: value" lines, as table rows (which the
HTML reader turns into ``Label<TAB>value``), or as a label line with the value on the
next line. :func:`labeled_values` finds all three; :func:`typed` turns a raw value into
the field's type (or None when it is not one); :func:`verdict` turns findings into
:class:`PolicyFacts` when every required field is found once, or into the reasons why
not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from referral_engine.mail.facts import (
    FIELD_WORDS,
    REQUIRED,
    Findings,
    PolicyFacts,
    first_date,
    known_line,
    parse_money,
    policy_number,
    transaction_word,
)

_SAME_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 /&'().#-]{1,40}?)\s*(?::|\t| {2,})\s*(.+?)\s*$")
_LABEL_ONLY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 /&'().#-]{1,40}?)\s*:?\s*$")
_FOLD = re.compile(r"[^a-z0-9#]+")


def fold_label(text: str) -> str:
    return _FOLD.sub(" ", text.lower()).strip()


def labeled_values(text: str) -> Iterator[tuple[str, str]]:
    """(folded label, value) pairs, in the order they appear."""
    lines = [line.rstrip() for line in text.split("\n")]
    for number, line in enumerate(lines):
        same = _SAME_LINE.match(line)
        if same:
            yield fold_label(same.group(1)), same.group(2)
            continue
        alone = _LABEL_ONLY.match(line)
        if alone and len(alone.group(1).split()) <= 5:
            following = next((n for n in lines[number + 1 :] if n.strip()), "")
            if following and not _SAME_LINE.match(following):
                yield fold_label(alone.group(1)), following.strip()


def _name(text: str) -> str | None:
    """A name: up to eight words with a letter (a sentence under a heading is not one)."""
    value = " ".join(text.split()).strip(" .,;")
    if not value or len(value.split()) > 8 or not any(c.isalpha() for c in value):
        return None
    return value[:200]


def _email(text: str) -> str | None:
    match = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    return match.group(0).lower() if match else None


def _phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    return text.strip() if 10 <= len(digits) <= 11 else None


def _token(text: str) -> str | None:
    value = text.strip()
    return value if value and len(value) <= 200 and " " not in value else None


def typed(
    name: str,
    text: str,
    *,
    transactions: dict[str, str] | None = None,
    lines: dict[str, str] | None = None,
) -> Any:
    """The value of field ``name`` read from ``text``, or None when it is not one."""
    readers: dict[str, Any] = {
        "policy_number": policy_number,
        "insured_name": _name,
        "contact_name": _name,
        "carrier": _name,
        "producer_name": _name,
        "effective_date": first_date,
        "line_of_business": lambda t: known_line(t, lines),
        "premium": parse_money,
        "email": _email,
        "producer_email": _email,
        "phone": _phone,
        "client_id": _token,
        "transaction": lambda t: transaction_word(t, transactions),
    }
    return readers[name](text)


@dataclass
class Reading:
    """What one extractor made of one email: facts, or the reasons it was quarantined."""

    reader: str  # the layout's name, "general" or "acord-xml"
    facts: PolicyFacts | None = None
    reasons: list[str] = field(default_factory=list)


def verdict(reader: str, findings: Findings, *, unreadable: dict[str, str]) -> Reading:
    """Facts when every required field has exactly one value and no optional field
    is ambiguous; else the reasons (missing, ambiguous, or present but unreadable)."""
    values: dict[str, Any] = {}
    reasons: list[str] = []
    for name in FIELD_WORDS:
        value, problem = findings.single(name)
        if problem:
            reasons.append(problem)
        elif value is None and name in REQUIRED:
            seen = unreadable.get(name)
            reasons.append(
                f"{FIELD_WORDS[name]} not readable ({seen!r})"
                if seen
                else f"no {FIELD_WORDS[name]} found"
            )
        values[name] = value
    if reasons:
        return Reading(reader, reasons=reasons)
    return Reading(reader, facts=PolicyFacts(**values))
