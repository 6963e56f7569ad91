"""Reading a reply to an ask: what kind it is, why, and whom it names.

Pure: text and headers in, a :class:`Reading` out. No database, clock or network.
Callers may rely on these guarantees:

- ``classify`` always returns exactly one :class:`ReplyClass` and a short ``why``.
- An auto-reply is never anything else: an out-of-office that mentions a colleague's
  phone number is not a referral.
- A carrier opt-out keyword (the whole message is STOP, UNSUBSCRIBE, ...) or clear
  unsubscribe wording is always ``opt_out``, whatever else the message says.
- ``prospects`` is empty for auto-replies, opt-outs and neutral replies (nobody is
  contacted on the strength of them); otherwise it holds whoever
  :func:`extract_prospects` found.

The order of the questions, first match wins, and why:

1. **auto_reply** (headers per RFC 3834, then out-of-office wording): a machine wrote
   it, so nothing in it speaks for the client.
2. **opt_out** (carrier keyword, or wording such as "please stop texting me"): the law
   and the client's wish come before any opportunity, and it is honored at once.
3. **complaint** (spam, "how did you get my number", unanswered claims, cancelling,
   refusing to recommend; a sentence about our service with a grievance in it, "you
   guys took forever", "nobody told me"; a harsh word, "a joke", "rude", unless
   negated; or a milder one, "upset", "bad", with a VADER-negative tone):
   an unhappy client must reach a person who repairs the relationship, not one who
   chases the referral; a reply that complains *and* names someone is a complaint.
   Negative words about someone else's agent ("hates her agent") are the referral,
   not a complaint, so sentences about a third party's agent or rates don't count.
4. **hot** (another person's phone or email; a named person; or an unhedged "my sister
   needs a quote" / "can I give him your number?"): a person to call, so it must never
   wait in an inbox.
5. **interested** (positive but no person yet: "let me think who", "I'll ask around",
   "my brother might", questions about the referral program; a hedged hot cue).
6. **neutral**: everything else ("thanks!", "who is this?", questions about their own
   policy, "I don't know anyone right now").

Prospects are people the client names or gives details for: phone numbers through
``phonenumbers.PhoneNumberMatcher`` (E.164), emails through a loose pattern checked by
``email_validator``, names from capitalized words next to a cue ("my neighbor Maria
Lopez", "talk to Jim", "her name is ...", "Sarah Chen at 312-555-0100"). Each phone and
email joins the name nearest to it in the text. The client's own name and contact
details ("call me at ...") and the agency's addresses are never prospects.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from mailparser_reply import EmailReplyParser
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class ReplyClass(StrEnum):
    hot = "hot"
    interested = "interested"
    opt_out = "opt_out"
    complaint = "complaint"
    auto_reply = "auto_reply"
    neutral = "neutral"


@dataclass(frozen=True)
class Prospect:
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile: str | None = None  # E.164
    company: str | None = None


@dataclass(frozen=True)
class Reading:
    kind: ReplyClass
    why: str
    prospects: tuple[Prospect, ...] = ()
    sentiment: float = 0.0  # VADER compound, -1..1


OPT_OUT_WORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")
OPT_IN_WORDS = ("START", "UNSTOP", "YES")
HELP_WORDS = ("HELP", "INFO")


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# --- quoted history and auto-replies -------------------------------------------------

# A library "signature" whose first line runs on ("Thanks, my neighbor Maria ...") is
# really the message; only a short valediction line starts a signature.
_SHORT_SIGNOFF = re.compile(r"^\W*(?:\w+\W*){1,4}$")


def strip_quoted(text: str) -> str:
    """The newest reply in an email body, without quoted history or signature.

    SMS text (no quote headers, no signature) comes back unchanged but for trimming.
    """
    reply = EmailReplyParser(languages=["en"]).read(text).replies[0]
    content: str = reply.content
    signature: str = reply.signatures
    first_line = signature.splitlines()[0] if signature else ""
    if signature and _SHORT_SIGNOFF.match(first_line) and content.endswith(signature):
        content = content[: -len(signature)]
    return content.strip() or text.strip()


_AUTO_SUBJECT = _rx(
    r"\b(?:out of (?:the )?office|ooo|automatic reply|auto[- ]?reply|autoreply|"
    r"auto[- ]?response|on vacation|on leave|away until)\b|^away\b"
)
_AUTO_BODY = _rx(
    r"\b(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"this is an automated|automated (?:response|message|reply)|away until|"
    r"auto-?generated|automatically generated|no longer (?:in use|monitored)|"
    r"on vacation until|upon my return|(?:limited|no) access to (?:my )?e-?mail|"
    r"do not disturb|mailbox is not monitored|(?:message|e-?mail) has been received|"
    r"(?:limited|no|intermittent) e-?mail access|away from (?:the|my) office|"
    r"(?:number|line) (?:does ?n[o']?t|does not|can ?n[o']?t|cannot) (?:receive|accept) texts|"
    r"we (?:have )?received your (?:message|e-?mail|text)|thank you for contacting)\b"
)
_AWAY = _rx(r"\b(?:on vacation|on leave|out until|currently away|away from my desk)\b")
_AWAY_FORMALITY = _rx(
    r"\burgent\b|\bin my absence\b|\bwill (?:respond|reply)\b|\bwill (?:return|be back)"
    r"(?: to the office)?(?: on)? (?:\d|mon|tue|wed|thu|fri|jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|oct|nov|dec|next)"
)
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}
_FALSE_VALUES = {"no", "false", "0", ""}


def is_auto_reply(headers: Mapping[str, str], text: str) -> bool:
    """True for a machine-written reply (RFC 3834 headers or out-of-office wording).

    ``X-Auto-Response-Suppress`` only asks *others* not to auto-reply; alone it says
    nothing about who wrote this message, so it does not count.
    """
    fields = {name.strip().lower(): value.strip().lower() for name, value in headers.items()}
    submitted = fields.get("auto-submitted")
    if submitted is not None and submitted.split(";")[0].strip() not in _FALSE_VALUES:
        return True
    for name in ("x-autoreply", "x-autorespond"):
        if name in fields and fields[name] not in _FALSE_VALUES:
            return True
    if fields.get("precedence") in _AUTO_PRECEDENCE:
        return True
    if _AUTO_SUBJECT.search(fields.get("subject", "")):
        return True
    return bool(_AUTO_BODY.search(text) or (_AWAY.search(text) and _AWAY_FORMALITY.search(text)))


# --- carrier keywords ----------------------------------------------------------------


def keyword(text: str, *, expecting_opt_in: bool = False) -> str | None:
    """ "opt_out", "opt_in", "help" or None, when the whole message is one keyword.

    As carriers match: trimmed, case-insensitive, trailing punctuation ignored. "YES"
    opts in only when the last message asked for a yes to opt in.
    """
    word = text.strip()
    while word and (unicodedata.category(word[-1]).startswith("P") or word[-1].isspace()):
        word = word[:-1]
    word = word.upper()
    if word in OPT_OUT_WORDS:
        return "opt_out"
    if word in OPT_IN_WORDS and (word != "YES" or expecting_opt_in):
        return "opt_in"
    if word in HELP_WORDS:
        return "help"
    return None


# --- prospects -----------------------------------------------------------------------

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
_RELATION = rf"\b(?:{_RELATIONS})(?:[- ]in[- ]law)?s?\b"
_WORD = r"(?:[A-Z]'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_NAME = rf"(?P<name>{_WORD}(?:[ \t]+{_WORD})?)"
_NAME_CUES = (
    re.compile(rf"(?i:{_RELATION}(?: of mine)?),?[ \t]+{_NAME}"),
    # "my neighbor across the street, Walter Kim," / "my CPA, Diane Foster,"
    re.compile(rf"(?i:{_RELATION})(?:[ \t]+[a-z]+){{1,4}},[ \t]+{_NAME}"),
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
_THIRD_PARTY_SUBJECT = _rx(r"\b(?:he|she|they|him|her|them)(?:'ll| will| can| to| should)?\s*$")
_NAME_BEFORE_CONTACT = re.compile(rf"\b{_NAME}[ \t]*(?:[,:(\-–—]|\bat\b|\bis\b)?[ \t]*\(?$")
# Capitalized words that start sentences or name days and months, never people.
_NOT_A_NAME = _rx(
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
_OWN_CONTACT = _rx(
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


# --- classification cues -------------------------------------------------------------


def _any(*alternatives: str) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of the alternatives (one idea each)."""
    return _rx("|".join(f"(?:{alternative})" for alternative in alternatives))


_OPT_OUT_WORDING = _any(
    r"^\W*(?:stop|stopall|unsubscribe|unsub)\b(?!\s+by)(?:\W+\w+){0,4}\W*$",  # "stop please"
    r"\b(?:stop|quit|cease)\s+(?:\w+\s+)?(?:texting|messaging|e-?mailing|contacting|calling|"
    r"sending|bugging|bothering)\b",
    r"\b(?:please|pls|plz)\s+stop\b(?!\s+by)",
    r"\bremove me\b|\bremove (?:my|our|this) (?:number|e-?mail|info|name|address)\b",
    r"\btake me off\b",
    r"\boff (?:your|this|the) (?:\w+ )?list\b",
    r"\bunsub(?:scribe)?\b",
    r"\bopt(?:ing)?[- ]?(?:me\s+)?out\b",
    r"\b(?:do ?n[o']?t|do not|never)\s+(?:text|contact|e-?mail|message|call)(?:ing)?\s+"
    r"(?:me|us|this (?:number|e-?mail|address))\b",
    r"\bno more (?:texts|text messages|messages|e-?mails)\b",
    r"\b(?:lose|delete|erase) my (?:number|e-?mail|info|information|data|details)\b",
    r"\bleave me alone\b",
)
_COMPLAINTS = (
    (_any(r"\bspam(?:ming|med|my)?\b", r"\bscam\b"), "calls it spam"),
    (
        _any(
            r"\bhow did (?:you|u|y'?all) get (?:my|this) (?:number|#|cell|phone|e-?mail|info)",
            r"\b(?:who gave|where did) (?:you|u) (?:get )?(?:my|this)\b",
            r"\bgiving out my (?:number|e-?mail|info)",
            r"\b(?:never|didn'?t|did not)\s+(?:give|gave)\s+(?:you\s+)?(?:consent|permission)",
            r"\b(?:never|didn'?t|did not)\s+sign(?:ed)?\s+up\b",
            r"\b(?:never|didn'?t|did not)\s+ask(?:ed)?\s+(?:to be|for)\s+(?:contacted|these|this|"
            r"texts|e-?mails)\b",
        ),
        "asks how we got their details",
    ),
    (
        _any(
            r"\b(?:never|haven'?t|didn'?t|hasn'?t)\s+(?:heard|gotten|got|received)\s+"
            r"(?:back|a call back|a response|an answer)",
            r"\b(?:no ?one|nobody)\s+(?:has\s+|ever\s+)?(?:called|calls|got|gets|returns?|"
            r"returned|answered|responded|explained)\b",
            r"\bstill (?:waiting|no (?:answer|response|word|call))",
            r"\bstill (?:do ?n'?t|haven'?t) (?:have|got|gotten|received|heard)",
            r"\b(?:asked|called|e-?mailed|texted|been on hold|tried|left (?:a )?(?:message|"
            r"voicemail)s?) (?:\w+ ){0,4}(?:twice|three times|\d+ times|multiple times)",
        ),
        "says nobody got back to them",
    ),
    (
        _any(
            r"\b(?:cancel(?:l?ing)?|drop(?:ping)?|leaving|moving)\s+(?:my|our)\s+(?:\w+\s+)?"
            r"(?:policy|policies|coverage|insurance|business|account)\b",
            r"\b(?:i|we)(?:'m|'re| am| are|'ll| will|'ve| have)?\s+(?:just\s+|already\s+|"
            r"gonna\s+|going to\s+|be\s+)*(?:switch|mov|leav|chang|go|went|gone|left)\w*\s+"
            r"(?:over\s+)?(?:to\s+)?(?:another|a different|a new|different|other)?\s*"
            r"(?:agents?|agenc(?:y|ies)|carriers?|insurers?|companies|elsewhere)\b",
        ),
        "says they are leaving",
    ),
    (
        _any(
            # ... unless it is *to* us: "shopping my boat policy with you too".
            r"\bshop(?:ping)? (?:my|our) (?:policy|policies|insurance|coverage|rates?)\b"
            r"(?!.*\b(?:with|to) (?:you|u|y'?all)\b)",
            r"\bthinking (?:about|of) (?:leaving|switching|cancell?ing|shopping|moving)\b"
            r"(?!.*\b(?:with|to) (?:you|u|y'?all)\b)",
            r"\b(?:get|getting) (?:other|some other|competing) quotes\b",
        ),
        "thinks about leaving",
    ),
    (
        _any(
            r"\b(?:why would i|why should i|not (?:going to|gonna)|won'?t|would(?:n'?t| not)|"
            r"can'?t|cannot|not|never|won'?t be)\s+(?:ever\s+)?(?:refer|recommend)\w*",
            r"\bbefore i (?:refer|recommend)\b",
        ),
        "refuses to recommend us",
    ),
    (
        _any(
            r"\band (?:now )?(?:you|u) (?:want|expect) (?:me to (?:refer|send|recommend)|referrals)"
        ),
        "finds the ask tone-deaf",
    ),
    (
        _any(
            r"\benough already\b",
            r"\btoo many (?:texts|messages|e-?mails)\b",
            r"\bwhy do (?:you|u) keep (?:texting|e-?mailing|messaging|calling)\b",
            r"\b(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) (?:text|message|e-?mail)s? "
            r"(?:this|in a) (?:week|month|day)",
        ),
        "tired of our messages",
    ),
    (
        _any(
            r"\bcharged (?:me|us) (?:twice|double)|\bovercharg",
            r"\b(?:my|our)\s+(?:\w+\s+)?(?:premium|rate|bill|payment)s?\s+(?:\w+\s+){0,2}"
            r"(?:went up|doubled|tripled|jumped|increased|skyrocketed)",
            r"\braised (?:my|our) (?:rates?|premium)",
            r"\bpaying (?:\d+ ?%|way|a lot|so much|twice as much) more\b",
            r"\b(?:my|our) claim (?:was|got) (?:denied|rejected|mishandled)",
        ),
        "complains about billing or a claim",
    ),
    (
        _any(
            r"\bfile a complaint\b",
            r"\bdepartment of insurance\b",
            r"\b(?:speak|talk) (?:to|with) (?:your|a|the) (?:manager|supervisor|boss)\b",
            r"\b(?:call(?:ing)?|get(?:ting)?|contact(?:ing)?|hir(?:e|ing)|talk(?:ing)? to) "
            r"(?:my|a|an) (?:lawyer|attorney)\b",
        ),
        "escalates",
    ),
)
# A sentence about our service (anchor) that carries a grievance (marker) is a complaint.
_OUR_SERVICE = _any(
    r"\b(?:you guys|y'?all)\b",
    r"\byour (?:office|team|staff|company|agency|service|people|claims?|billing|website|app|"
    r"portal)\b",
    r"\b(?:my|our) (?:\w+ )?(?:bill|billing|claim|renewal|premium|rates?|policy|refund|payment|"
    r"agent|proof of insurance|id cards?|declarations|coverage|paperwork|check)\b",
)
_GRIEVANCE = _any(
    r"\b(?:took|takes|taking) (?:forever|ages|weeks|months|\d+ (?:days|weeks|months))\b",
    r"\b(?:no ?one|nobody) (?:told|gave|bothered|checked|followed)\b",
    r"\b(?:no ?one|nobody) (?:can|could|would|will)(?: \w+)? (?:explain|help|answer|tell)\b",
    r"\bwithout (?:telling|warning|asking|any notice|notice)\b",
    r"\buntil (?:you|u|y'?all) (?:fix|sort|figure)",
    r"\b(?:made|make|making) (?:a|another) mistake\b|\bby (?:mistake|accident)\b|\bin error\b",
    r"\balmost lost\b|\bseriously\?|\b(?:fighting|arguing|battling) with\b",
    r"\bheard nothing\b|\bno (?:reply|response|answer|callback|call back) (?:yet|since)\b",
    r"\b(?:someone|somebody|anyone) (?:could|would|might|can) (?:return|answer|respond to) my\b",
    r"\b(?:higher|more) than (?:what )?(?:you|u|y'?all) (?:told|quoted|said|promised)\b",
    r"\b(?:you|you guys|your office|your team)\s+(?:\w+\s+)?(?:forgot|lost|messed up|"
    r"screwed up|dropped the ball|overbilled|cancell?ed|charged|billed)\b",
)
# Words that are a complaint on their own, unless negated or about someone else's agent.
_HARSH_WORDS = _rx(
    r"\b(?:terrible|awful|horrible|worst|useless|ridiculous|unacceptable|unbelievable|"
    r"disappoint\w*|frustrat\w*|annoy\w*|furious|pissed|rude|unprofessional|incompetent|"
    r"fed up|sick of|rip-? ?off|a (?:joke|mess|nightmare|disaster)|not impressed|harass\w*|"
    r"condescending|dismissive|unhelpful|sloppy|shady|misleading|lied|bait and switch)\b|"
    r"\bnot (?:the|what) (?:experience|service|treatment) I expected"
)
# Words that count only with a clearly negative VADER tone.
_NEGATIVE_WORDS = _rx(
    r"\b(?:angry|upset|mad|not happy|unhappy|bad|poor|lousy|slow|on hold|overpriced|"
    r"too expensive|hate(?! to))\b"
)
# "don't", "dont", "wasn't" (but not the "nt" that ends "client" or "accident").
_NOT = (
    r"\b(?:not|never|no|(?:do|does|did|is|was|were|are|ca|wo|would|could|should|has|have|had)"
    r"n'?t)\b"
)
_NEGATED_WORD = _rx(rf"{_NOT}\s+(?:\w+\s+)?$")
# Negativity aimed at someone else's agent is the referral opportunity itself.
_OTHERS_AGENT = _any(
    r"\b(?:his|her|their|she|he|they)\b.{0,30}\b(?:agent|agency|carrier|insurer|insurance|"
    r"rates?|premium|coverage)\b",
    r"\b(?:my|our|the) (?:last|old|previous|former|prior) (?:agent|agency|carrier|insurer|"
    r"insurance)",
)
_NEED = _any(
    r"\b(?:needs?|needed|could use|wants?|interested)\b",
    r"\b(?:looking for|is looking|are looking|shopping|paying too much)\b",
    r"\b(?:bought|buying|closed on|closing on|moving|moved|started|starting|opened|opening)\b",
    r"\b(?:was |were |is |been )?ask(?:ing|ed) (?:me )?about\b",
    r"\b(?:unhappy with|hates?)\b",
    r"\b(?:dropp(?:ing|ed)|cancell?(?:ing|ed)|non-?renew(?:ing|ed)) (?:him|her|them)\b",
    r"\b(?:got|gets|getting) (?:a|her|his|their) (?:first |new )?(?:car|truck|house|home|"
    r"license|boat|apartment|place)\b",
)
_SUBJECT = _any(
    _RELATION,
    r"\bi (?:do )?know (?:someone|somebody|a (?:guy|lady|couple|family|business))",
    r"\bi have (?:a|an) (?:friend|client|buddy|neighbou?r|coworker|guy)",
    r"\b(?:a few|some|a couple(?: of)?|several) (?:people|folks|contacts|businesses)\b",
)
_HANDOFF = _any(
    r"\b(?:give|gave|pass(?:ed)?|sen[dt]|forward(?:ed)?|share[d]?)\s+(?:him|her|them)\s+"
    r"(?:your|ur)\s+(?:number|#|info|e-?mail|card|contact|name)",
    r"\b(?:give|gave|pass(?:ed)?|sen[dt]|forward(?:ed)?)\s+(?:your|ur)\s+(?:number|#|info|"
    r"e-?mail|card|contact)\s+(?:to|along to|with)\b",
    r"\b(?:have|had|tell|told|ask|asked)\s+(?:him|her|them)\s+(?:to\s+)?(?:call|text|e-?mail|"
    r"contact|reach out|hit (?:you|u) up|get in touch)",
    r"\b(?:he|she|they)(?:'ll| will| is going to| wants to)\s+(?:call|text|e-?mail|contact|"
    r"reach out to|hit)\s+(?:you|u)\b",
    r"\b(?:you|u) (?:can|could|should) (?:call|text|e-?mail|contact|reach out to|reach) "
    r"(?:him|her|them)\b",
    r"\bgive (?:him|her|them) a (?:call|ring|shout)\b",
    r"\b(?:can|could|should|may) (?:he|she|they) (?:call|text|e-?mail|contact|reach out to) "
    r"(?:you|u)\b",
    r"\bwant (?:his|her|their) (?:number|e-?mail|info|contact|cell|details)\b",
    r"\bfeel free to (?:call|text|e-?mail|contact|reach out)\b",
    r"\bexpect (?:a|his|her|their) call\b",
    r"\b(?:send|sent|sending|refer|referring)\s+(?:him|her|them)\s+(?:your way|over|to you)",
    r"\b(?:text|send|e-?mail|give)\s+(?:you|u)\s+(?:his|her|their)\s+(?:info|number|contact|"
    r"e-?mail|details)",
    r"\b(?:introduce|connect)\s+(?:you|u)\b|\bput (?:you|u) in touch\b",
)
_ANYONE = _rx(r"\b(?:them|they)\b")
_HEDGE = _rx(
    r"\b(?:might|may|maybe|possibly|perhaps|probably|not sure|someday|eventually|later|"
    r"(?<!asked )(?<!asked me )(?<!wondering )(?<!wondered )if|"
    r"at some point|down the road|let me|i'?ll (?:check|ask|see|find out|talk))\b"
)
_NEGATED_NEED = _rx(rf"{_NOT}|\b(?:none|no ?one|nobody|neither)\b")
# "we need to add him to our policy" is the client's own policy, not an introduction.
_OWN_POLICY = _rx(r"\b(?:my|our)\s+(?:\w+\s+)?(?:policy|policies|coverage|plan)\b")
_NO_ONE = _any(
    r"\b(?:do ?n'?t|do not) know (?:anyone|anybody)",
    r"\bcan'?t think of\b",
    r"\bnot that i\b",
    r"\b(?:no ?one|nobody) comes to mind\b",
    r"\beveryone i know\b",
    r"\balready (?:with|have|has|got)\b",
    r"\bnot interested\b",
    r"\bno thanks?\b",
)
_INTERESTED = _any(
    r"\blet me think\b|\bthink (?:about|on) (?:it|who|that)\b",
    r"(?<!n't )(?<!not )\b(?:can|could|will|i'?ll) think of (?:someone|somebody|a few|some)",
    r"\b(?:might|may) know (?:someone|somebody|some|a (?:few|couple|guy))\b",
    r"\bask around\b|\bget back to (?:you|u|ya|y'?all)\b|\bwill do\b|\bbrainstorm\b",
    r"\b(?:link|form|card|flyer|something) (?:that )?i (?:can|could) (?:send|forward|share|give)\b",
    r"\bgive me (?:a few days|some time|a (?:day|week|bit))\b",
    r"\bkeep (?:you|u|y'?all|it|that|this) in mind\b",
    r"\bkeep (?:an eye|my eyes|my ears) (?:out|open)\b",
    r"\b(?:let you know|spread the word|mention you)\b|\b(?:put|get|spread) the word out\b",
    r"\bpass (?:along )?(?:it|this|that|your \w+)(?: along| on)?\b",
    r"\bsend (?:people|folks|friends|anyone|some(?:one|body)|business) (?:your|ur) way\b",
    r"\bhappy to(?: help| refer| share| pass)?(?=\s*[.!,]|\s*$)",
    r"\bi (?:have|know) (?:a few|some|a couple(?: of)?|several) (?:contacts|people|folks|"
    r"friends|businesses|guys)\b",
    r"\bsend me (?:a|the|your) (?:link|card|info)\b",
    # Questions about the referral program or whom to refer.
    r"\bwhat do (?:they|i|we) get\b|\bwhat'?s in it for\b",
    r"\breferral (?:bonus|reward|program|fee|gift|thing)\b",
    r"\bfor (?:a |each |any )?(?:referrals?|referring)\b",
    r"\bhow does (?:it|this|that|the referral(?: \w+)?) work\b",
    r"\bwho (?:do|can|would|should) (?:you|u|y'?all) (?:usually |typically |normally )?"
    r"(?:help|work with|insure|cover|want|take)\b",
    r"\bwhat (?:kinds?|types?|sorts?) of (?:clients|people|businesses|customers|referrals)\b",
    r"\bdo (?:they|referrals) (?:have|need) to be\b",
)
_AFFIRMATION = _rx(
    r"^\W*(?:yes|yeah|yep|yup|sure|absolutely|definitely|of course|for sure|happy to|you bet)"
    r"[\s\W]*$"
)
_PRAISE_FOR_REFERRING = _rx(
    r"\b(?:refer|recommend)\w*|\btell (?:my|all my|people|everyone|friends|others)\b"
)
# A name alone is a referral only next to a need, a hand-off or a "talk to"/"her name is".
_REFERRAL_CONTEXT = _any(
    _NEED.pattern,
    _HANDOFF.pattern,
    r"\b(?:talk(?:ing)? to|speak (?:to|with)|reach out|call|text|contact|e-?mail|"
    r"get in touch|name is|name's|named|goes by)\b",
)
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+|\n")
_CLAUSE = _rx(r"[;:]|\bbut\b|,\s*(?=(?:i|i'?ll|ill|let me|she|he|they)\b)")


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _sentiment(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


def _clauses(text: str) -> list[str]:
    return [
        clause.strip()
        for sentence in _SENTENCE.split(text)
        for clause in _CLAUSE.split(sentence)
        if clause.strip()
    ]


def _complaint(text: str, tone: float) -> str | None:
    for pattern, why in _COMPLAINTS:
        if pattern.search(text):
            return why
    for sentence in _SENTENCE.split(text):
        if _OTHERS_AGENT.search(sentence):
            continue
        grievance = _OUR_SERVICE.search(text) and _GRIEVANCE.search(sentence)
        if grievance and _sentiment(sentence) < 0.3:
            return f"unhappy with our service ({grievance.group().strip().lower()})"
        for word in _HARSH_WORDS.finditer(sentence):
            if not _NEGATED_WORD.search(sentence[: word.start()]):
                return f"negative about us ({word.group().lower()})"
        mild = _NEGATIVE_WORDS.search(sentence)
        if mild and min(tone, _sentiment(sentence)) < -0.3:
            return f"negative about us ({mild.group().lower()})"
    return None


def _someone_needs(text: str) -> tuple[str | None, str | None]:
    """(hot cue, hedged cue): a clause where the client offers someone, plainly or not."""
    hot = hedged = None
    for sentence in _SENTENCE.split(text):
        # A hedge anywhere in the sentence ("..., let me find out if he's still looking")
        # takes back the offer; a negation only cancels its own clause.
        hedge = _HEDGE.search(sentence)
        for clause in _clauses(sentence):
            subject = _SUBJECT.search(clause)
            need = subject and _NEED.search(clause, subject.end())
            handoff = _HANDOFF.search(clause)
            if (
                need
                and not handoff
                and (_NEGATED_NEED.search(clause[: need.start()]) or _OWN_POLICY.search(clause))
            ):
                continue
            # "just have them text you?" hands off nobody unless someone was mentioned.
            if (
                handoff
                and not need
                and _ANYONE.search(handoff.group())
                and not _SUBJECT.search(text)
            ):
                hedged = hedged or clause
            elif (need or handoff) and not hedge:
                hot = hot or clause
            elif (need or handoff or subject) and hedge:
                # "my brother might": a person in mind, but not yet offered.
                hedged = hedged or clause
    return hot, hedged


def _named_as_referral(text: str, prospect: Prospect) -> bool:
    if not prospect.first_name:
        return False
    return any(
        prospect.first_name in sentence and _REFERRAL_CONTEXT.search(sentence)
        for sentence in _SENTENCE.split(text)
    )


def _describe(prospect: Prospect) -> str:
    parts = [" ".join(p for p in (prospect.first_name, prospect.last_name) if p)]
    if prospect.mobile:
        number = phonenumbers.parse(prospect.mobile)
        international = phonenumbers.PhoneNumberFormat.INTERNATIONAL
        parts.append(phonenumbers.format_number(number, international).replace("-", " "))
    parts += [prospect.email or "", prospect.company or ""]
    return ", ".join(p for p in parts if p)


def classify(
    text: str,
    *,
    headers: Mapping[str, str] | None = None,
    region: str = "US",
    client_name: str | None = None,
    agency_domains: Sequence[str] = (),
) -> Reading:
    """Read one reply; see the module docstring for the order of the questions."""
    body = strip_quoted(text)
    tone = _sentiment(body)
    if is_auto_reply(headers or {}, body):
        return Reading(ReplyClass.auto_reply, "automatic reply", (), tone)
    if keyword(body) == "opt_out":
        return Reading(ReplyClass.opt_out, f"opt-out keyword {body.strip()!r}", (), tone)
    if match := _OPT_OUT_WORDING.search(body):
        return Reading(ReplyClass.opt_out, f"asks to stop: {match.group()!r}", (), tone)
    prospects = extract_prospects(
        body, region=region, client_name=client_name, agency_domains=agency_domains
    )
    if complaint := _complaint(body, tone):
        return Reading(ReplyClass.complaint, complaint, prospects, tone)
    hot, hedged = _someone_needs(body)
    reachable = [p for p in prospects if p.mobile or p.email]
    named = [p for p in prospects if _named_as_referral(body, p)]
    if reachable or (named and (hot or not hedged)):
        verb = "gives contact details" if reachable else "names another person"
        who = "; ".join(_describe(p) for p in (reachable or named))
        return Reading(ReplyClass.hot, f"{verb}: {who}", prospects, tone)
    if hot:
        return Reading(ReplyClass.hot, f"offers someone: {hot!r}", prospects, tone)
    if hedged:
        return Reading(ReplyClass.interested, f"maybe someone: {hedged!r}", prospects, tone)
    if (match := _INTERESTED.search(body)) or (match := _AFFIRMATION.search(body)):
        return Reading(
            ReplyClass.interested, f"open to it: {match.group().strip()!r}", prospects, tone
        )
    if tone >= 0.4 and _PRAISE_FOR_REFERRING.search(body) and not _NO_ONE.search(body):
        return Reading(ReplyClass.interested, "warm about referring", (), tone)
    if (found := keyword(body)) in ("help", "opt_in"):
        return Reading(ReplyClass.neutral, f"{found} keyword", (), tone)
    return Reading(ReplyClass.neutral, "no referral, opt-out or complaint", (), tone)
