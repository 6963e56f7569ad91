"""Where a client is: the US state of an address or of a mobile number's area code.

What a caller may rely on:

* States are two-letter USPS codes: the 50 states, DC and the five inhabited territories
  (AS, GU, MP, PR, VI) — :data:`US_STATES`. Nothing else is ever returned.
* :func:`state_code` reads a code or a name ("fl", "Florida", "Washington State").
* :func:`state_of_postal_code` and :func:`zone_of_postal_code` read a US ZIP code (5 digits,
  ZIP+4 allowed) through the ``zipcodes`` package's data; anything else gives None.
* :func:`state_of_mobile` reads the area code of an E.164 number through ``phonenumbers``'
  geocoder ("Florida", "Chicago, IL"); a number outside the US or its territories, or one
  that names no place (toll-free), gives None.
* No function raises on bad input; lookups are cached (the ZIP data loads once, ~1 s).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

US_STATES: dict[str, str] = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "DC": "District of Columbia",
    "AS": "American Samoa",
    "GU": "Guam",
    "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico",
    "VI": "U.S. Virgin Islands",
}
"""USPS code → name, for every place a client's ``state`` may name."""

# Other spellings: the geocoder's ("Washington State", "Washington D.C.") and common ones.
_ALIASES = {
    "washington state": "WA",
    "washington d.c.": "DC",
    "washington dc": "DC",
    "district of columbia": "DC",
    "us virgin islands": "VI",
    "virgin islands": "VI",
}
_BY_NAME = {name.lower(): code for code, name in US_STATES.items()} | _ALIASES
# Country codes phonenumbers gives the US and its territories (all +1).
_US_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP"})
_CITY_STATE = re.compile(r",\s*([A-Z]{2})$")
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")


def state_code(text: str | None) -> str | None:
    """The USPS code ``text`` names (a code or a name, any case), or None."""
    if text is None:
        return None
    cleaned = " ".join(text.split())
    if cleaned.upper() in US_STATES:
        return cleaned.upper()
    return _BY_NAME.get(cleaned.lower())


@lru_cache(maxsize=1)
def _zip_index() -> dict[str, tuple[str, str]]:
    """ZIP code → (state, zone key), from the ``zipcodes`` package's data (loaded once)."""
    import zipcodes

    return {z["zip_code"]: (z["state"], z["timezone"]) for z in zipcodes.list_all()}


def _zip_entry(postal_code: str | None) -> tuple[str, str] | None:
    if not postal_code:
        return None
    found = _ZIP.match(postal_code.strip())
    return _zip_index().get(found.group(1)) if found else None


def state_of_postal_code(postal_code: str | None) -> str | None:
    """The state of a US ZIP code ("33101" → "FL"), or None (not a ZIP, unknown, military)."""
    entry = _zip_entry(postal_code)
    return entry[0] if entry and entry[0] in US_STATES else None


def zone_of_postal_code(postal_code: str | None) -> str | None:
    """The IANA zone key of a US ZIP code ("33101" → "America/New_York"), or None."""
    entry = _zip_entry(postal_code)
    return (entry[1] or None) if entry else None


@lru_cache(maxsize=4096)
def state_of_mobile(mobile: str | None) -> str | None:
    """The state of an E.164 number's area code ("+13055550123" → "FL"), or None."""
    if not mobile:
        return None
    try:
        number = phonenumbers.parse(mobile, None)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) not in _US_REGIONS:
        return None
    place = geocoder.description_for_number(number, "en").strip()
    city_state = _CITY_STATE.search(place)
    code = city_state.group(1) if city_state else state_code(place)
    return code if code in US_STATES else None
