"""Whom a reply names: people, their phones and emails, and the business they run.

Pure. Phone numbers through ``phonenumbers.PhoneNumberMatcher`` (E.164), emails through a
loose pattern checked by ``email_validator``, names from capitalized words next to a cue
("my neighbor Maria Lopez", "talk to Jim", "her name is ...", "Sarah Chen at
312-555-0100"). Each phone and email joins the name nearest to it in the text. The
client's own name and contact details ("call me at ...") and the agency's addresses are
never prospects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from referral_engine.replies.reading import Prospect
from referral_engine.replies.text import rx

_RELATIONS = (
    r"sister|brother|mom|mother|dad|father|son|daughter|cousin|aunt|uncle|niece|nephew|"
    r"wife|husband|spouse|fianc[eé]e?|grandma|grandpa|grandson|granddaughter|stepson|"
    r"stepdaughter|in-laws|(?:grand)?parent|relative|family member|godson|goddaughter|"
    r"girlfriend|boyfriend|neighbou?r|friend|buddy|pal|bff|homie|bro|sis|roommate|"
    r"classmate|teammate|co-?worker|colleague|boss|employee|staff|manager|landlord|tenant|"
    r"client|customer|vendor|supplier|business partner|partner|contractor|realtor|mechanic|"
    r"accountant|cpa|bookkeeper|lawyer|attorney|(?:new )?hire|intern|assistant|receptionist|"
    r"foreman|pastor|barber|hairdresser|dentist|doctor|coach|nanny|babysitter|kid|"
    r"(?<!you )(?<!y'all )guy|gal|lady"
)
RELATION = rf"\b(?:{_RELATIONS})(?:[- ]in[- ]law)?s?\b"
_WORD = r"(?:[A-Z]'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = rf"(?P<name>{_WORD}(?:[ \t]+{_WORD})?)"
_NAME_CUES = (
    re.compile(rf"(?i:{RELATION}(?: of mine)?),?[ \t]+{_NAME}"),
    # "my neighbor across the street, Walter Kim," / "my CPA, Diane Foster,"
    re.compile(rf"(?i:{RELATION})(?:[ \t]+[a-z]+){{1,4}},[ \t]+{_NAME}"),
    re.compile(rf"\b(?i:my|our)[ \t]+[A-Za-z]+,[ \t]+{_NAME}"),
    re.compile(
        r"(?i:\b(?:talk(?:ing)? to|speak (?:to|with)|reach out to|call|text|e-?mail|contact|"
        r"get in touch with|get a ?hold of|introduce you to|connect you (?:with|to)|give|"
        rf"hit up|look up))[ \t]+{_NAME}"
    ),
    re.compile(
        r"(?i:\b(?:pass(?:ed)?|gave|give|sen[dt]|forward(?:ed)?|hand(?:ed)?|shared?)[ \t]+"
        rf"(?:your|ur|my)[ \t]+\w+[ \t]+(?:along[ \t]+)?(?:to|with))[ \t]+{_NAME}"
    ),
    re.compile(
        r"(?i:\b(?:(?:his|her|their) name(?: is|'s)|named|name's|goes by|ask for))"
        rf"[ \t]+{_NAME}"
    ),
    re.compile(rf"\b{_NAME}'s[ \t]+(?i:number|cell|phone|mobile|e-?mail|contact)"),
    re.compile(
        rf"\b(?P<name>{_WORD}[ \t]+{_WORD})(?=[ \t]+(?i:needs|is|just|wants|owns|runs|has|"
        r"was|asked|said|would|could|might|will|bought|started|opened)\b)"
    ),
)
# "I'll have her call Sam": a name after "her call" is ours, not a prospect.
_THIRD_PARTY_SUBJECT = rx(r"\b(?:he|she|they|him|her|them)(?:'ll| will| can| to| should)?\s*$")
_NAME_BEFORE_CONTACT = re.compile(rf"\b{_NAME}[ \t]*(?:[,:(\-–—]|\bat\b|\bis\b)?[ \t]*\(?$")
# Capitalized words that start sentences or name days and months, never people.
_NOT_A_NAME = rx(
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|"
    r"may|june|july|august|september|october|november|december|today|tomorrow|tonight|"
    r"hi|hey|hello|dear|thanks|thank|sure|yes|yeah|yep|no|nope|ok|okay|sorry|please|and|but|"
    r"so|also|just|maybe|not|will|can|let|great|good|happy|merry|best|regards|cheers|sent|"
    r"call|text|email|contact|reach|cell|phone|mobile|number|office|work|home|here|there|"
    r"what|when|who|why|how|if|the|this|that|these|those|my|his|her|their|our|your|you|he|"
    r"she|they|we|it|insurance|agency|policy|llc|inc|co|corp|mr|mrs|ms|dr|christmas|"
    r"thanksgiving|easter|lol|omg|btw|fyi|asap|re|fwd|god|honestly|actually"
)
_EMAIL_CANDIDATE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_COMPANY = re.compile(
    r"\b(?P<company>(?:[A-Z][\w&'.-]*[ \t]+){1,3}(?:LLC|Inc\.?|Corp\.?|Company|Group|Dental|"
    r"Roofing|Plumbing|Construction|Landscaping|Bakery|Cafe|Trucking|Logistics|Services|"
    r"Salon|Realty|Properties|Electric|HVAC|Farms?|Motors|Auto Body|Auto Repair))\b"
)
_OWN_CONTACT = rx(
    r"(?:\bme\b|\b(?:my|new) (?:new |other |own )?(?:cell|number|phone|mobile|e-?mail|"
    r"direct line|office|work)(?: number)?)[ \t:,]*(?:at|on|is|:)?[ \t]*$"
)


@dataclass
class _Found:
    start: int
    end: int
    value: str
    last: str | None = None


@dataclass
class _Draft:
    at: int
    first: str | None = None
    last: str | None = None
    slots: dict[str, _Found] = field(default_factory=dict)

    def prospect(self) -> Prospect:
        def value(kind: str) -> str | None:
            found = self.slots.get(kind)
            return found.value if found else None

        return Prospect(self.first, self.last, value("email"), value("mobile"), value("company"))


def _gap(a: _Found, b: _Found) -> int:
    return max(0, b.start - a.end, a.start - b.end)


def _name(text: str, match: re.Match[str]) -> _Found | None:
    words = match.group("name").split()
    if _NOT_A_NAME.fullmatch(words[0]):
        return None
    if len(words) == 2 and _NOT_A_NAME.fullmatch(words[1]):
        words = words[:1]
    start = match.start("name")
    return _Found(
        start, start + len(" ".join(words)), words[0], words[1] if len(words) > 1 else None
    )


def _is_client(found: _Found, client_name: str | None) -> bool:
    if not client_name:
        return False
    own = client_name.lower().split()
    if found.value.lower() != own[0]:
        return False
    return found.last is None or len(own) == 1 or found.last.lower() == own[-1]


def _phones(text: str, region: str) -> list[_Found]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        if _OWN_CONTACT.search(text[max(0, match.start - 40) : match.start]):
            continue
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(_Found(match.start, match.end, e164))
    return found


def _emails(text: str, agency_domains: Sequence[str]) -> list[_Found]:
    agency = tuple(domain.lower().lstrip("@") for domain in agency_domains)
    found = []
    for match in _EMAIL_CANDIDATE.finditer(text):
        try:
            address = validate_email(match.group().rstrip("."), check_deliverability=False)
        except EmailNotValidError:
            continue
        domain = address.domain.lower()
        if any(domain == own or domain.endswith("." + own) for own in agency):
            continue
        if _OWN_CONTACT.search(text[max(0, match.start() - 40) : match.start()]):
            continue
        found.append(_Found(match.start(), match.end(), address.normalized))
    return found


def _names(text: str, contacts: list[_Found], client_name: str | None) -> list[_Found]:
    candidates: list[_Found] = []
    for cue in _NAME_CUES:
        for match in cue.finditer(text):
            if cue is _NAME_CUES[1] and _THIRD_PARTY_SUBJECT.search(text[: match.start()]):
                continue
            if (found := _name(text, match)) is not None:
                candidates.append(found)
    for contact in contacts:
        before = _NAME_BEFORE_CONTACT.search(text[: contact.start])
        if before and (found := _name(text, before)) is not None:
            candidates.append(found)
    names: list[_Found] = []
    # Longest first, so "Maria Lopez" wins over a later "Maria" at the same place.
    for candidate in sorted(candidates, key=lambda f: (f.start, -(f.end - f.start))):
        if _is_client(candidate, client_name):
            continue
        if any(n.start <= candidate.start < n.end or n.value == candidate.value for n in names):
            continue
        names.append(candidate)
    return names


def _attach(
    drafts: list[_Draft], anchors: list[_Found], kind: str, items: list[_Found], reach: int
) -> list[_Found]:
    """Give each item to the nearest anchor with a free slot; return the ones left over."""
    pairs = sorted(
        (_gap(anchor, item), a, i)
        for a, anchor in enumerate(anchors)
        for i, item in enumerate(items)
    )
    taken: set[int] = set()
    for distance, a, i in pairs:
        if distance <= reach and i not in taken and kind not in drafts[a].slots:
            drafts[a].slots[kind] = items[i]
            taken.add(i)
    return [item for i, item in enumerate(items) if i not in taken]


def extract_prospects(
    text: str,
    *,
    region: str = "US",
    client_name: str | None = None,
    agency_domains: Sequence[str] = (),
) -> tuple[Prospect, ...]:
    """People the text names or gives contact details for, in order of appearance."""
    phones = _phones(text, region)
    emails = _emails(text, agency_domains)
    companies = [
        _Found(m.start("company"), m.end("company"), m.group("company"))
        for m in _COMPANY.finditer(text)
        if not _NOT_A_NAME.fullmatch(m.group("company").split()[0])
    ]
    # "Greg Olsen at Olsen Trucking": the business is not a second person.
    names = [
        name
        for name in _names(text, phones + emails, client_name)
        if not any(_gap(name, company) == 0 for company in companies)
    ]
    drafts = [_Draft(n.start, n.value, n.last) for n in names]
    phones = _attach(drafts, names, "mobile", phones, reach=150)
    emails = _attach(drafts, names, "email", emails, reach=150)
    _attach(drafts, names, "company", companies, reach=80)
    # Details with no name nearby still make a (nameless) prospect each.
    loose = [_Draft(p.start, slots={"mobile": p}) for p in phones]
    emails = _attach(loose, phones, "email", emails, reach=80)
    loose += [_Draft(e.start, slots={"email": e}) for e in emails]
    return tuple(d.prospect() for d in sorted(drafts + loose, key=lambda d: d.at))


def describe(prospect: Prospect) -> str:
    parts = [" ".join(p for p in (prospect.first_name, prospect.last_name) if p)]
    if prospect.mobile:
        number = phonenumbers.parse(prospect.mobile)
        international = phonenumbers.PhoneNumberFormat.INTERNATIONAL
        parts.append(phonenumbers.format_number(number, international).replace("-", " "))
    parts += [prospect.email or "", prospect.company or ""]
    return ", ".join(p for p in parts if p)
