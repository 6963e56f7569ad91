"""ACORD XML policy transactions (``.xml``): one policy transaction per file.

Read with ``defusedxml`` (no entity expansion, no external references). The message
type comes from the request element's name (``…PolicyAddRq`` → new business,
``Mod`` → change, ``Renew`` → renewal, ``Reinstate`` → reinstatement, ``Cancel`` →
cancellation); the policy from ``PersPolicy`` or ``CommlPolicy`` (``PolicyNumber``,
``LOBCd``, ``ContractTerm/EffectiveDt``, ``CurrentTermAmt/Amt``, ``InsurerName``); the
insured from ``InsuredOrPrincipal/GeneralPartyInfo`` (a person's ``GivenName`` and
``Surname`` or a ``CommercialName``, ``EmailAddr``, ``PhoneNumber``, and the agency's
client code in ``ItemIdInfo/AgencyId``). Namespaces are ignored. The same rule as for
emails holds: exactly one value per required field, or quarantine.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from referral_engine.mail.facts import Findings, first_date, known_line, parse_money, policy_number
from referral_engine.mail.reading import Reading, verdict

_MESSAGE = re.compile(r"Policy(Add|Mod|Renew|Reinstate|Cancel)R[qs]$")
_TRANSACTIONS = {
    "Add": "new",
    "Mod": "change",
    "Renew": "renewal",
    "Reinstate": "reinstatement",
    "Cancel": "cancellation",
}
_POLICIES = ("PersPolicy", "CommlPolicy")


@dataclass(frozen=True)
class AcordReading:
    reading: Reading
    key: str  # the event id: the request's RqUID, else a hash of the file
    requested_at: date | None  # TransactionRequestDt


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _all(root: Element, name: str) -> list[Element]:
    return [e for e in root.iter() if _local(e.tag) == name]


def _texts(root: Element, *path: str) -> list[str]:
    """The text of every element reached by ``path`` (local names) below ``root``."""
    level = [root]
    for name in path:
        level = [c for e in level for c in e.iter() if c is not e and _local(c.tag) == name]
    return [" ".join((e.text or "").split()) for e in level if (e.text or "").strip()]


def read_acord(raw: bytes, *, lines: dict[str, str] | None = None) -> AcordReading:
    """The policy transaction in an ACORD XML document, or the reasons it cannot be read."""
    digest = f"acord-{hashlib.sha256(raw).hexdigest()[:24]}"
    try:
        root = fromstring(raw)
    except (ParseError, DefusedXmlException) as exc:
        reason = f"not a readable XML document: {exc}"
        return AcordReading(Reading("acord-xml", reasons=[reason]), digest, None)
    requests = [e for e in root.iter() if _MESSAGE.search(_local(e.tag))]
    if len(requests) != 1:
        count = "no" if not requests else str(len(requests))
        reason = f"{count} ACORD policy transactions (…PolicyAddRq, …RenewRq, …); expected one"
        return AcordReading(Reading("acord-xml", reasons=[reason]), digest, None)
    request = requests[0]
    uids = _texts(root, "RqUID")
    key = f"acord-{uids[0][:180]}" if len(set(uids)) == 1 else digest
    requested = [first_date(t) for t in _texts(request, "TransactionRequestDt")]
    findings = _findings(request, _transaction(request), lines)
    reading = verdict("acord-xml", findings, unreadable={})
    when = requested[0] if len(set(requested)) == 1 else None
    return AcordReading(reading, key, when)


def _transaction(request: Element) -> str:
    match = _MESSAGE.search(_local(request.tag))
    assert match is not None
    return _TRANSACTIONS[match.group(1)]


def _findings(request: Element, transaction: str, lines: dict[str, str] | None) -> Findings:
    findings = Findings()
    findings.add("transaction", transaction)
    policies = [p for name in _POLICIES for p in _all(request, name)]
    for policy in policies:
        for text in _texts(policy, "PolicyNumber"):
            findings.add("policy_number", policy_number(text))
        for text in _texts(policy, "LOBCd"):
            findings.add("line_of_business", known_line(text, lines))
        for text in _texts(policy, "ContractTerm", "EffectiveDt"):
            findings.add("effective_date", first_date(text))
        for text in _texts(policy, "CurrentTermAmt", "Amt"):
            findings.add("premium", parse_money(text))
        for text in _texts(policy, "InsurerName"):
            findings.add("carrier", text)
    for insured in _all(request, "InsuredOrPrincipal"):
        _insured(insured, findings)
    return findings


def _insured(insured: Element, findings: Findings) -> None:
    for person in _all(insured, "PersonName"):
        given = " ".join(_texts(person, "GivenName"))
        surname = " ".join(_texts(person, "Surname"))
        findings.add("insured_name", f"{given} {surname}".strip() or None)
    for name in _texts(insured, "CommlName", "CommercialName"):
        findings.add("insured_name", name)
    for address in _texts(insured, "EmailAddr"):
        findings.add("email", address.lower())
    for number in _texts(insured, "PhoneNumber"):
        findings.add("phone", number)
    for code in _texts(insured, "ItemIdInfo", "AgencyId"):
        findings.add("client_id", code)


def requested_instant(day: date | None, fallback: datetime) -> Any:
    """occurred_at for an ACORD transaction: its request date (read in the agency's
    zone by the canonical schema), else ``fallback``."""
    return day.isoformat() if day else fallback.isoformat()
