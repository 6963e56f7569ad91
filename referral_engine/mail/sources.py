"""An ``email`` source's settings: which source, and which layouts read its mail."""

from __future__ import annotations

from referral_engine.mail.layouts import Layout, LayoutError, load_layouts
from referral_engine.settings import AgencySettings, SourceSection


class MailSourceError(ValueError):
    """A source that cannot take mail: unknown, not ``kind = "email"``, bad layouts."""


def email_source(settings: AgencySettings, name: str) -> SourceSection:
    """The ``[sources.NAME]`` table of an email source, or :class:`MailSourceError`."""
    section = settings.sources.get(name)
    if section is None:
        known = ", ".join(sorted(settings.sources)) or "none"
        raise MailSourceError(
            f"unknown source {name!r} (configured: {known}); add [sources.{name}]"
            ' kind = "email" to the settings file and run `referral init --config FILE`'
        )
    if section.kind != "email":
        raise MailSourceError(f'source {name!r} is kind = "{section.kind}", not "email"')
    return section


def layouts_for(section: SourceSection) -> list[Layout]:
    """The source's own layouts (``layouts_dir``) first, then the shipped ones."""
    try:
        return load_layouts(section.layouts_dir or None)
    except LayoutError as exc:
        raise MailSourceError(str(exc)) from exc
