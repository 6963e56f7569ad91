"""The settings page's sections: one form per section of :class:`AgencySettings`, each
posting only its own fields, checked with the whole settings and told in plain words.

What a caller may rely on:

- :data:`SECTIONS` names the sections a form edits (agency, timing, review, program,
  rewards); sources, webhooks and the per-state reward rules stay in the advanced editor.
- :func:`apply` returns the stored settings with only that section's posted fields
  replaced, or the problems per field (plain words) and nothing else: every field not on
  the form keeps its stored value.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from referral_engine.settings import AgencySettings
from referral_engine.web.pages.plain import plain

SECTIONS: dict[str, str] = {
    "agency": "Agency",
    "timing": "Timing and quiet hours",
    "review": "Review",
    "program": "Program (what it costs, for ROI)",
    "rewards": "Rewards",
}
SKIPPED = {("rewards", "states")}  # tables of their own: the advanced editor
SECTION_ERROR = "_section"
"""The key under which a problem with the section as a whole (not one field) is kept."""

LABELS: dict[str, str] = {
    "agency.name": "Agency name",
    "agency.timezone": "Time zone (e.g. America/Chicago)",
    "agency.holidays": "Holiday calendar (country, or country-subdivision: US, US-TX)",
    "agency.postal_address": "Postal address (needed before any email goes out)",
    "agency.phone_region": "Phone region (for numbers written without +1)",
    "agency.principal_email": "Principal's email",
    "agency.phone": "Agency phone (a texted HELP answers with it)",
    "timing.bind_delay_business_days": "Days after a bind before the ask (business days)",
    "timing.send_hour": "Send hour (client's local time, 0–23)",
    "timing.quiet_start": "Quiet hours start (HH:MM)",
    "timing.quiet_end": "Quiet hours end (HH:MM)",
    "timing.frequency_cap_days": "Days between two asks to one client",
    "timing.max_messages_per_day": "Messages to one person in 24 hours (1–3)",
    "timing.warmth_window_days": "Days an ask stays warm",
    "timing.recent_complaint_days": "Days a complaint holds asks back",
    "review.premium_threshold": "Premium at or above which an ask goes to review ($)",
    "review.commercial_requires_review": "Commercial asks go to review",
    "review.all_asks": "Every ask goes to review",
    "program.cost_per_month": "Program cost per month",
    "program.currency": "Currency (3 letters, e.g. USD)",
    "rewards.enabled": "Propose a reward for each referral",
    "rewards.value": "Reward value ($)",
}
REQUIRED = {"agency.name": "Enter the agency's name."}


@dataclass(frozen=True)
class Field:
    """One field as the form shows it."""

    name: str
    label: str
    kind: str  # "checkbox", "number", "select", "text", "email"
    value: Any
    choices: tuple[str, ...] = ()
    step: str = ""


def fields(
    settings: AgencySettings, section: str, typed: dict[str, Any] | None = None
) -> list[Field]:
    """The fields of ``section``, valued from ``typed`` (what was posted) or the settings."""
    model: BaseModel = getattr(settings, section)
    shown: list[Field] = []
    for name, info in type(model).model_fields.items():
        if (section, name) in SKIPPED:
            continue
        value = typed[name] if typed is not None and name in typed else getattr(model, name)
        label = LABELS.get(f"{section}.{name}", name.replace("_", " ").capitalize())
        kind, choices, step = _widget(info.annotation, name)
        shown.append(Field(name, label, kind, value, choices, step))
    return shown


def _widget(annotation: Any, name: str) -> tuple[str, tuple[str, ...], str]:
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if annotation is bool:
        return "checkbox", (), ""
    if annotation is int:
        return "number", (), "1"
    if annotation is float:
        return "number", (), "any"
    if get_origin(annotation) is Literal:
        return "select", tuple(str(a) for a in get_args(annotation)), ""
    return ("email" if name.endswith("email") else "text"), (), ""


def posted(settings: AgencySettings, section: str, form: Any) -> dict[str, Any]:
    """The section's values as posted: a checkbox not sent is off; text as typed."""
    values: dict[str, Any] = {}
    for field in fields(settings, section):
        if field.kind == "checkbox":
            values[field.name] = field.name in form
        else:
            values[field.name] = str(form.get(field.name, "")).strip()
    return values


def apply(
    settings: AgencySettings, section: str, values: dict[str, Any]
) -> tuple[AgencySettings | None, dict[str, str]]:
    """``settings`` with ``section``'s ``values`` in place (every other key as stored), or
    None and the problems: field name (or :data:`SECTION_ERROR`) → plain words."""
    problems = {
        name: words
        for key, words in REQUIRED.items()
        if key.startswith(f"{section}.")
        and not str(values.get(name := key.split(".", 1)[1], "")).strip()
    }
    document = settings.model_dump(mode="json")
    document[section] = {**document[section], **values}
    try:
        candidate = AgencySettings.model_validate(document)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            key = str(loc[1]) if len(loc) > 1 and loc[0] == section else SECTION_ERROR
            words = plain(error)
            if key == SECTION_ERROR:
                # A rule across fields that names one first ("send_hour 22 falls inside
                # quiet hours") is told at that field.
                first, _, rest = str(error["msg"]).removeprefix("Value error, ").partition(" ")
                if first in values and rest:
                    key, words = first, rest[:1].upper() + rest[1:] + "."
            problems.setdefault(key, words)
        return None, problems
    if problems:
        return None, problems
    return candidate, {}
