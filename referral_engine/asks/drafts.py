"""Drafts of referral asks: pick the template for a moment and render a short human ask.

Pure code: no database, clock or network. The caller says who is asked, for what moment
and through which channel (:class:`DraftContext`); :func:`render_draft` picks the most
specific template (key scheme and fallback order in :mod:`referral_engine.asks.templates`)
and returns a :class:`Draft`.

What a caller may rely on:

- Every default template thanks for the specific decision, makes one ask, and asks for a
  reply; it names the client and the producer and never mentions a reward.
- Email: the subject is returned apart from the body; the body ends with the producer's
  name and agency. The unsubscribe link and postal address are added at delivery.
- SMS: when ``first_text`` is set, :func:`first_text_footer` ("Msg & data rates may
  apply", :data:`OPT_OUT_LINE`, led by the agency's name unless the text already names
  the agency) is appended on its own line. A
  default SMS, opt-out line included, fits in two segments for GSM-7 names up to 20
  characters (client first name) and 30 (company when there is no first name, producer,
  agency). When a render does not fit,
  :func:`render_draft` renders the same template again with ``short`` true (templates drop
  optional words under ``{% if not short %}``) and returns that; if even that does not
  fit (a custom template, or names outside GSM-7) it is returned as is, and
  :func:`sms_segments` tells the reviewer what it will cost.
- :func:`mentions_reward` flags wording that promises something for a referral; such an
  ask goes to owner review.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from referral_engine.asks.templates import (
    ANY,
    CHANNELS,
    FAMILIES,
    SEGMENTS,
    TENURES,
    TRIGGERS,
    VARIABLE_HELP,
    VARIABLES,
    TemplateError,
    default_templates,
    render_text,
    template_key,
    validate_key,
    validate_template,
)

__all__ = [
    "ANY",
    "CHANNELS",
    "FAMILIES",
    "OPT_OUT_LINE",
    "SEGMENTS",
    "SMS_MAX_SEGMENTS",
    "TENURES",
    "TRIGGERS",
    "VARIABLES",
    "VARIABLE_HELP",
    "Draft",
    "DraftContext",
    "TemplateError",
    "choose_template",
    "default_templates",
    "is_gsm7",
    "line_phrase",
    "lob_family",
    "mentions_reward",
    "render_draft",
    "render_source",
    "sms_segments",
    "template_key",
    "template_variables",
    "tenure_band",
    "tenure_years",
    "validate_key",
    "validate_template",
    "first_text_footer",
]

OPT_OUT_LINE = "Reply STOP to opt out, HELP for help."


def first_text_footer(agency_name: str, body: str = "") -> str:
    """The line a first text to a number ends with: who is texting, that rates may apply,
    and how to stop or get help (CTIA Messaging Principles; Twilio's messaging policy).

    The agency's name leads the line unless ``body`` already names the agency, as every
    default template does in its first sentence: the name is said once, not twice.
    """
    name = " ".join(agency_name.split())
    rules = f"Msg & data rates may apply. {OPT_OUT_LINE}"
    if not name or name.casefold() in " ".join(body.split()).casefold():
        return rules
    return f"{name}: {rules}"


SMS_MAX_SEGMENTS = 2

# Tenure thresholds in whole years with the agency: a new client, an established one
# (3 years or more), a long-standing one (10 years or more; the band is "long_tenured").
ESTABLISHED_AFTER_YEARS = 3
LONG_TENURED_AFTER_YEARS = 10


@dataclass(frozen=True)
class DraftContext:
    """Everything a template may say about one ask. Invalid choices raise ValueError."""

    trigger: str
    channel: str
    segment: str
    line_of_business: str | None
    tenure: str
    first_name: str
    company: str | None
    producer_name: str
    agency_name: str
    first_text: bool = False
    link: str | None = None
    years: int = 0

    def __post_init__(self) -> None:
        for value, choices, name in (
            (self.trigger, TRIGGERS, "trigger"),
            (self.channel, CHANNELS, "channel"),
            (self.segment, SEGMENTS, "segment"),
            (self.tenure, TENURES, "tenure"),
        ):
            if value not in choices:
                raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(choices)}")
        if self.years < 0:
            raise ValueError("years cannot be negative")


@dataclass(frozen=True)
class Draft:
    """A rendered ask. ``subject`` is None for SMS; ``template`` is the key used."""

    subject: str | None
    body: str
    template: str


# --- tenure -------------------------------------------------------------------------


def tenure_years(client_since: date | None, on: date) -> int:
    """Whole years from ``client_since`` to ``on`` (0 when unknown or in the future).

    A client since 29 February completes a year on 1 March in common years.
    """
    if client_since is None or client_since > on:
        return 0
    before_anniversary = (on.month, on.day) < (client_since.month, client_since.day)
    return on.year - client_since.year - int(before_anniversary)


def tenure_band(client_since: date | None, on: date) -> str:
    """The tenure band: "new" under 3 full years (or unknown), "established" under 10,
    else "long_tenured", the long-standing client (thresholds in whole years, see
    :func:`tenure_years`)."""
    years = tenure_years(client_since, on)
    if client_since is None or years < ESTABLISHED_AFTER_YEARS:
        return "new"
    if years < LONG_TENURED_AFTER_YEARS:
        return "established"
    return "long_tenured"


# --- lines of business --------------------------------------------------------------

# ACORD code → (family, the policy in words). Umbrella and package are their own
# personal families: an umbrella or a home-and-auto package is a different conversation
# from a single auto or home policy. Commercial umbrellas sit with liability.
_LINES: dict[str, tuple[str, str]] = {
    "AUTOP": ("auto", "auto policy"),
    "HOME": ("home", "homeowners policy"),
    "DFIRE": ("home", "dwelling policy"),
    "MHOME": ("home", "mobile home policy"),
    "FLOOD": ("home", "flood policy"),
    "BOAT": ("recreational", "boat policy"),
    "RECV": ("recreational", "RV policy"),
    "MOTOR": ("recreational", "motorcycle policy"),
    "PUMBR": ("umbrella", "umbrella policy"),
    "PPKGE": ("package", "home and auto package"),
    "INMRP": ("other", "personal articles policy"),
    "AUTOB": ("commercial_auto", "fleet policy"),
    "GARAG": ("commercial_auto", "garage policy"),
    "TRUCK": ("commercial_auto", "trucking policy"),
    "BOP": ("business_package", "business owner's policy"),
    "CPKGE": ("business_package", "commercial package policy"),
    "CGL": ("liability", "general liability policy"),
    "EPLI": ("liability", "employment practices coverage"),
    "CUMBR": ("liability", "commercial umbrella policy"),
    "UMBRC": ("liability", "commercial umbrella policy"),
    "DO": ("liability", "D&O policy"),
    "PL": ("liability", "professional liability policy"),
    "CYBER": ("liability", "cyber policy"),
    "PROP": ("property", "property policy"),
    "INMRC": ("property", "equipment coverage"),
    "WORK": ("workers_comp", "workers' comp coverage"),
    "CRIME": ("other", "crime policy"),
    "BOND": ("other", "bond"),
}


def lob_family(code: str | None) -> str:
    """The family of an ACORD line code (case-insensitive); "other" when unknown or None."""
    if code is None:
        return "other"
    return _LINES.get(code.strip().upper(), ("other", ""))[0]


def line_phrase(code: str | None, segment: str) -> str:
    """The policy in words for "thanks for trusting us with your ___".

    Unknown or missing codes give "policy", or "business policy" for a commercial client.
    """
    entry = _LINES.get(code.strip().upper()) if code else None
    if entry is not None:
        return entry[1]
    return "business policy" if segment == "commercial" else "policy"


# --- choosing and rendering ---------------------------------------------------------


def choose_template(templates: Mapping[str, str], context: DraftContext) -> str:
    """The key of the template for ``context``: the most specific candidate of
    :func:`template_key` among the agency's own ``templates``; only when the agency has
    none that fits, the most specific shipped default. An agency that writes its own
    bind text expects to see it on every bind it fits, not only where no shipped
    default is more specific.

    Raises :class:`TemplateError` when no candidate exists at all.
    """
    defaults = default_templates()
    keys = template_key(
        context.trigger,
        context.segment,
        lob_family(context.line_of_business),
        context.tenure,
        context.channel,
    )
    for pool in (templates, defaults):
        for key in keys:
            if key in pool:
                return key
    raise TemplateError(f"no template for {keys[-1]} or any more specific key")


def template_variables(
    context: DraftContext, *, channel: str, short: bool = False
) -> dict[str, object]:
    """The values a template sees (exactly :data:`VARIABLES`), whitespace tidied."""
    first_name = _tidy(context.first_name)
    company = _tidy(context.company or "")
    producer_name = _tidy(context.producer_name)
    years = context.years
    return {
        "first_name": first_name,
        "greeting_name": first_name or company or "there",
        "company": company,
        "producer_name": producer_name,
        "producer_first_name": producer_name.split(" ")[0],
        "agency_name": _tidy(context.agency_name),
        "line": line_phrase(context.line_of_business, context.segment),
        "line_code": _tidy(context.line_of_business or "").upper(),
        "family": lob_family(context.line_of_business),
        "segment": context.segment,
        "tenure": context.tenure,
        "years": years,
        "years_phrase": f"{years} years" if years > 1 else "1 year" if years else "all these years",
        "trigger": context.trigger,
        "channel": channel,
        "link": _tidy(context.link or ""),
        "short": short,
    }


def _tidy(text: str) -> str:
    # Newlines in a name must not reach a Subject header or split an SMS.
    return " ".join(text.split())


def render_source(
    source: str, context: DraftContext, *, channel: str, short: bool = False
) -> tuple[str | None, str]:
    """Render one template text for ``context``: (subject, body); subject None for SMS.

    Used for previews of an edited template. For SMS with ``first_text`` the opt-out
    line is appended. Raises :class:`TemplateError` (see :func:`validate_template`).
    """
    variables = template_variables(context, channel=channel, short=short)
    subject, body = render_text(source, variables, channel=channel)
    if channel == "sms" and context.first_text and OPT_OUT_LINE not in body:
        body = f"{body}\n{first_text_footer(context.agency_name, body)}"
    return subject, body


def render_draft(context: DraftContext, custom: Mapping[str, str] | None = None) -> Draft:
    """The ask for ``context`` from the most specific custom or default template."""
    templates = {**default_templates(), **(custom or {})}
    key = choose_template(custom or {}, context)
    source = templates[key]
    subject, body = render_source(source, context, channel=context.channel)
    if context.channel == "sms" and sms_segments(body) > SMS_MAX_SEGMENTS:
        subject, body = render_source(source, context, channel=context.channel, short=True)
    return Draft(subject=subject, body=body, template=key)


# --- rewards ------------------------------------------------------------------------

_REFER = r"\b(?:refer\w*|introduc\w*|send(?:ing)?\s+(?:them|someone|anyone)|pass(?:ing)?\s+along)\b"
_PAY = r"\b(?:pay|pays|paid|paying|payment|compensat\w*|discount\w*|credit|credits|points)\b"
_REWARD_PATTERNS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\brewards?\b",
        r"\brewarded\b",
        r"\bgifts?\b",
        r"\bgift\s*cards?\b",
        r"\bgiftcards?\b",
        r"\bcommissions?\b",
        r"\bbonus(?:es)?\b",
        r"\bincentives?\b",
        r"\bkickbacks?\b",
        r"\brebates?\b",
        r"\bfinder[’']?s\s+fees?\b",
        r"\breferral\s+fees?\b",
        r"\b(?:prize|raffle|sweepstakes|giveaway)s?\b",
        r"\bcash\b",
        r"[$€£]\s?\d",
        r"\b\d+\s?(?:dollars|bucks|usd)\b",
        r"\bthank[- ]you\s+(?:present|treat|card)\b",
        _REFER + r".{0,60}?" + _PAY,
        _PAY + r".{0,60}?" + _REFER,
    )
]


def mentions_reward(text: str) -> bool:
    """True when ``text`` mentions a reward, gift (card), commission, bonus, prize,
    cash or a dollar amount, or payment, a discount or credit for referring.

    Whole words only: "commission" counts, "omission" and "commissioner" do not;
    "reward" counts, "rewarding" does not. Payment words count only near a word about
    referring, so "your payment went through" is not a reward.
    """
    return any(pattern.search(text) for pattern in _REWARD_PATTERNS)


# --- SMS segments -------------------------------------------------------------------

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")
_GSM7_SINGLE, _GSM7_PART = 160, 153  # septets in one message / in each part of a long one
_UCS2_SINGLE, _UCS2_PART = 70, 67  # UTF-16 code units, likewise


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 alphabet (basic or extension table)."""
    return all(char in _GSM7_BASIC or char in _GSM7_EXTENDED for char in text)


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` costs; 0 for an empty text.

    GSM-7 when every character allows it (an extension character such as "€" or "["
    counts 2): 160 per single message, else 153 per segment. Otherwise UCS-2: 70 code
    units single, else 67 per segment, an emoji counting 2. Like carriers, a
    two-unit character is never split across segments.
    """
    if not text:
        return 0
    if is_gsm7(text):
        sizes = [2 if char in _GSM7_EXTENDED else 1 for char in text]
        single, part = _GSM7_SINGLE, _GSM7_PART
    else:
        sizes = [2 if ord(char) > 0xFFFF else 1 for char in text]
        single, part = _UCS2_SINGLE, _UCS2_PART
    if sum(sizes) <= single:
        return 1
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments
