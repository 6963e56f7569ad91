"""Validation errors in plain words, for the page forms: what to type, not what failed."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

EMAIL = "Enter an email address like name@agency.com."
MOBILE = "Enter a mobile number like (312) 555-0100."
FORM = "_form"
"""The key of a problem with the form as a whole (not one field)."""


def plain(error: ErrorDetails) -> str:
    """A validation error in words a person can act on."""
    kind = error["type"]
    limits = error.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float"):
        return "Enter a whole number."
    if kind == "float_parsing":
        return "Enter a number."
    if kind == "greater_than_equal":
        return f"Enter {limits['ge']} or more."
    if kind == "less_than_equal":
        return f"Enter {limits['le']} or less."
    if kind == "literal_error":
        return f"Choose one of: {limits.get('expected', '')}."
    if kind == "string_too_short" or kind == "string_too_long":
        return f"Enter {limits.get('min_length') or limits.get('max_length')} characters."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def by_field(exc: ValidationError, names: dict[tuple[str, ...], str]) -> dict[str, str]:
    """The first problem per form field: ``names`` maps an error's location (as strings)
    to the form field's name; an email or a mobile number is told how to write it; a
    problem no field owns is kept under :data:`FORM`."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        field = names.get(loc, FORM)
        words = plain(error)
        if loc and loc[-1] == "email":
            words = EMAIL
        elif loc and loc[-1] == "mobile":
            words = MOBILE
        problems.setdefault(field, words)
    return problems
