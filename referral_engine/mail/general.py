"""The general extractor: confirmation emails from senders no layout knows.

The order of the questions, and what a caller may rely on:

1. Every "Label: value" line (or table row) whose label is a known name for a field
   (:data:`LABELS`) gives a finding; "Policy # NW-1" written in a sentence counts too.
2. The transaction comes from a labeled value, else from the subject's words, else from
   the body's ("renewal", "new business", "bound", "cancelled", …); "issued" counts
   only when no other transaction word is there (a renewal is issued too), and a
   negated mention ("this is not a policy change") does not count.
3. The line of business comes from a labeled value, else from the subject's words
   (mapped with :mod:`referral_engine.events.lob`); only a line we know counts.
4. An email address at the sender's own domain (the carrier's service desk) and a
   toll-free number (its call center) are not the insured's, and are not read as such.
5. The email is accepted only when policy number, insured name, effective date, line of
   business and transaction each have exactly one value, and no optional field
   (premium, email, phone, …) has two different ones. Otherwise it is quarantined,
   with every reason.
"""

from __future__ import annotations

import re

from referral_engine.events.lob import ALIASES, fold
from referral_engine.mail.facts import Findings, known_line, policy_number
from referral_engine.mail.message import MailMessage
from referral_engine.mail.reading import Reading, labeled_values, typed, verdict

LABELS: dict[str, tuple[str, ...]] = {
    "policy_number": (
        "policy number",
        "policy no",
        "policy #",
        "policy num",
        "policy id",
        "pol no",
        "pol #",
        "policy",
        "policy nbr",
    ),
    "insured_name": (
        "insured",
        "named insured",
        "insured name",
        "name of insured",
        "policyholder",
        "policy holder",
        "primary insured",
        "client",
        "client name",
        "customer",
        "customer name",
        "account name",
        "insured s name",
        "policyholder name",
    ),
    "effective_date": (
        "effective date",
        "effective",
        "eff date",
        "policy effective date",
        "effective on",
        "coverage effective",
        "policy period",
        "policy term",
        "term",
        "coverage begins",
        "start date",
        "inception date",
        "coverage start",
        "renewal effective date",
    ),
    "line_of_business": (
        "line of business",
        "coverage",
        "policy type",
        "line",
        "lob",
        "coverage type",
        "type of policy",
        "type of coverage",
        "product",
    ),
    "premium": (
        "premium",
        "total premium",
        "annual premium",
        "policy premium",
        "written premium",
        "term premium",
        "total annual premium",
        "renewal premium",
        "annual cost",
    ),
    "transaction": ("transaction", "transaction type", "activity"),
    "email": (
        "email",
        "e mail",
        "insured email",
        "client email",
        "email address",
        "customer email",
        "insured e mail",
    ),
    "phone": (
        "phone",
        "mobile",
        "cell",
        "insured phone",
        "phone number",
        "mobile phone",
        "cell phone",
        "telephone",
        "client phone",
        "mobile number",
    ),
    "client_id": (
        "client code",
        "client id",
        "customer id",
        "client number",
        "customer number",
        "client #",
    ),
    "carrier": ("carrier", "insurance company", "writing company", "insurer"),
    "producer_name": ("producer", "producer name", "agent of record"),
    "producer_email": ("producer email",),
    "contact_name": ("contact", "contact name", "primary contact"),
}
_BY_LABEL = {label: name for name, labels in LABELS.items() for label in labels}
_IN_PROSE = re.compile(r"(?i)\bpolicy\s*(?:number|no\.?|#)\s*:?\s*#?\s*([A-Z0-9][A-Z0-9-]{3,})")
_TRANSACTION_TEXT = (
    ("renewal", re.compile(r"(?i)\b(?:renewal|renewed|renewing)\b")),
    ("new", re.compile(r"(?i)\b(?:new business|bound|binder|bind confirmation|new policy)\b")),
    ("cancellation", re.compile(r"(?i)\b(?:cancell?ation|cancell?ed)\b")),
    ("reinstatement", re.compile(r"(?i)\b(?:reinstatement|reinstated)\b")),
    ("change", re.compile(r"(?i)\b(?:endorsement|policy change)\b")),
)
_ISSUED = re.compile(r"(?i)\b(?:issued|issuance)\b")
_LINE_WORDS = sorted(ALIASES, key=len, reverse=True)


def read_general(message: MailMessage, *, lines: dict[str, str] | None = None) -> Reading:
    """Extract from any confirmation email; see the module docstring for the rules."""
    findings = Findings()
    unreadable: dict[str, str] = {}
    for label, text in labeled_values(message.text):
        name = _BY_LABEL.get(label)
        if name is None:
            continue
        value = typed(name, text, lines=lines)
        if value is not None and name in ("email", "phone") and _senders_own(value, message):
            continue
        if value is None:
            unreadable.setdefault(name, text)
        findings.add(name, value)
    for match in _IN_PROSE.finditer(f"{message.subject}\n{message.text}"):
        findings.add("policy_number", policy_number(match.group(1)))
    if "transaction" not in findings.values:
        for word in transactions_in(message.subject) or transactions_in(message.text):
            findings.add("transaction", word)
    if "line_of_business" not in findings.values:
        for code in lines_in(message.subject, lines):
            findings.add("line_of_business", code)
    return verdict("general", findings, unreadable=unreadable)


_TOLL_FREE = re.compile(r"^(?:1)?(800|888|877|866|855|844|833)")


def _senders_own(value: str, message: MailMessage) -> bool:
    """The sender's own address or call center, not the insured's."""
    if "@" in value:
        domain = value.rpartition("@")[2]
        own = message.sender_domain
        return bool(own) and (
            domain == own or own.endswith(f".{domain}") or domain.endswith(f".{own}")
        )
    return _TOLL_FREE.match(re.sub(r"\D", "", value)) is not None


_NEGATED = re.compile(r"(?i)\b(?:not|no|never)\s+(?:a|an|the|any)?\s*$")


def _said(pattern: re.Pattern[str], text: str) -> bool:
    """The pattern occurs other than negated ("this is not a policy change")."""
    return any(not _NEGATED.search(text[: m.start()]) for m in pattern.finditer(text))


def transactions_in(text: str) -> list[str]:
    """The transactions the words of ``text`` name, negated mentions left out
    ("issued" only if nothing else)."""
    found = [word for word, pattern in _TRANSACTION_TEXT if _said(pattern, text)]
    if not found and _ISSUED.search(text):
        found.append("new")
    return found


def lines_in(text: str, lines: dict[str, str] | None = None) -> list[str]:
    """The known lines of business named in ``text``, longest names first, each word
    used once ("commercial auto" is not also "auto")."""
    folded = f" {fold(text)} "
    codes: list[str] = []
    for words in _LINE_WORDS:
        needle = f" {words} "
        if needle in folded:
            code = known_line(words, lines)
            if code:
                codes.append(code)
            folded = folded.replace(needle, "  ")
    return codes
