"""Lines of business: ACORD codes, the names agencies use for them, and their segment.

Agency systems send ACORD LOB codes ("AUTOP"), their own codes, or free text
("Personal Auto", "Workers Comp"). :func:`resolve_line` maps all of them to one ACORD
code and a segment (personal or commercial). An agency's own codes are mapped in its
settings (``[lines_of_business]`` in the TOML file: ``"PA" = "AUTOP"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PERSONAL = "personal"
COMMERCIAL = "commercial"

# ACORD line-of-business codes we know, with their segment and a plain name.
ACORD_LINES: dict[str, tuple[str, str]] = {
    "AUTOP": (PERSONAL, "Personal Auto"),
    "HOME": (PERSONAL, "Homeowners"),
    "DFIRE": (PERSONAL, "Dwelling Fire"),
    "MHOME": (PERSONAL, "Mobile Home"),
    "BOAT": (PERSONAL, "Watercraft"),
    "RECV": (PERSONAL, "Recreational Vehicle"),
    "PPKGE": (PERSONAL, "Personal Package"),
    "PUMBR": (PERSONAL, "Personal Umbrella"),
    "FLOOD": (PERSONAL, "Flood"),
    "INMRP": (PERSONAL, "Personal Inland Marine"),
    "MOTOR": (PERSONAL, "Motorcycle"),
    "AUTOB": (COMMERCIAL, "Business Auto"),
    "BOP": (COMMERCIAL, "Businessowners"),
    "CGL": (COMMERCIAL, "General Liability"),
    "CPKGE": (COMMERCIAL, "Commercial Package"),
    "PROP": (COMMERCIAL, "Commercial Property"),
    "WORK": (COMMERCIAL, "Workers Compensation"),
    "UMBRC": (COMMERCIAL, "Commercial Umbrella"),
    "EPLI": (COMMERCIAL, "Employment Practices Liability"),
    "GARAG": (COMMERCIAL, "Garage and Dealers"),
    "INMRC": (COMMERCIAL, "Commercial Inland Marine"),
    "CRIME": (COMMERCIAL, "Crime"),
    "DO": (COMMERCIAL, "Directors and Officers"),
    "PL": (COMMERCIAL, "Professional Liability"),
    "CYBER": (COMMERCIAL, "Cyber Liability"),
    "BOND": (COMMERCIAL, "Surety Bond"),
    "TRUCK": (COMMERCIAL, "Motor Carrier"),
}

# Names and abbreviations seen in agency exports, matched after folding case and
# punctuation. Order does not matter: keys are whole folded names.
ALIASES: dict[str, str] = {
    "personal auto": "AUTOP",
    "auto personal": "AUTOP",
    "private passenger auto": "AUTOP",
    "ppa": "AUTOP",
    "auto": "AUTOP",
    "car": "AUTOP",
    "homeowners": "HOME",
    "homeowner": "HOME",
    "home": "HOME",
    "ho3": "HOME",
    "ho 3": "HOME",
    "renters": "HOME",
    "condo": "HOME",
    "ho4": "HOME",
    "ho6": "HOME",
    "dwelling fire": "DFIRE",
    "dwelling": "DFIRE",
    "landlord": "DFIRE",
    "mobile home": "MHOME",
    "manufactured home": "MHOME",
    "boat": "BOAT",
    "watercraft": "BOAT",
    "rv": "RECV",
    "recreational vehicle": "RECV",
    "motorhome": "RECV",
    "motorcycle": "MOTOR",
    "personal package": "PPKGE",
    "personal umbrella": "PUMBR",
    "umbrella": "PUMBR",
    "flood": "FLOOD",
    "jewelry": "INMRP",
    "personal articles": "INMRP",
    "commercial auto": "AUTOB",
    "business auto": "AUTOB",
    "fleet": "AUTOB",
    "commercial fleet": "AUTOB",
    "bop": "BOP",
    "business owners": "BOP",
    "businessowners": "BOP",
    "business owners policy": "BOP",
    "general liability": "CGL",
    "commercial general liability": "CGL",
    "gl": "CGL",
    "liability": "CGL",
    "commercial package": "CPKGE",
    "package": "CPKGE",
    "commercial property": "PROP",
    "property": "PROP",
    "workers comp": "WORK",
    "workers compensation": "WORK",
    "work comp": "WORK",
    "wc": "WORK",
    "commercial umbrella": "UMBRC",
    "excess liability": "UMBRC",
    "epli": "EPLI",
    "employment practices": "EPLI",
    "employment practices liability": "EPLI",
    "garage": "GARAG",
    "garage liability": "GARAG",
    "inland marine": "INMRC",
    "contractors equipment": "INMRC",
    "crime": "CRIME",
    "d o": "DO",
    "directors and officers": "DO",
    "professional liability": "PL",
    "e o": "PL",
    "errors and omissions": "PL",
    "cyber": "CYBER",
    "cyber liability": "CYBER",
    "surety": "BOND",
    "bond": "BOND",
    "trucking": "TRUCK",
    "motor carrier": "TRUCK",
}

_FOLD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Line:
    """A resolved line of business: its code (ACORD where known) and segment."""

    code: str
    segment: str | None
    name: str


def fold(text: str) -> str:
    return _FOLD.sub(" ", text.lower().replace("'", "")).strip()


def resolve_line(
    raw: str | None,
    *,
    agency_map: Mapping[str, str] | None = None,
    segment_hint: str | None = None,
) -> Line | None:
    """Map a code or name to a :class:`Line`; an explicit personal/commercial hint wins.

    Unknown text is kept as its own (upper-cased) code with no segment unless a hint
    gives one, so nothing a source says is lost.
    """
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    code = _code_for(text, agency_map or {})
    segment, name = ACORD_LINES.get(code, (None, text))
    if segment_hint in (PERSONAL, COMMERCIAL):
        segment = segment_hint
    return Line(code=code, segment=segment, name=name)


def _code_for(text: str, agency_map: Mapping[str, str]) -> str:
    for key, value in agency_map.items():
        if key.strip().lower() == text.lower() or fold(key) == fold(text):
            return value.strip().upper()
    upper = text.upper()
    if upper in ACORD_LINES:
        return upper
    folded = fold(text)
    if folded in ALIASES:
        return ALIASES[folded]
    return upper[:40]


def segment_of(code: str | None) -> str | None:
    """personal or commercial for a known ACORD code, else None."""
    if code is None:
        return None
    entry = ACORD_LINES.get(code.upper())
    return entry[0] if entry else None
