"""Poll profiles: how one agency system's API is read and its records become events.

A profile is small code plus data, one module per system, each documented on its own page
under docs/sources/. It signs in, lists the records changed since a cursor, page by
page, and maps each record to a canonical event document (or to nothing: a quote, a
change that is no referral moment). The poll runner (:mod:`referral_engine.sources.poller`)
does the rest the same way for all: retries, the cursor, ingest.

What every profile guarantees:

- an event's id is made from the source's own record id and the moment (a bind, a
  renewal), never from a change stamp, so a record read again (a later edit, an
  overlapping poll) is a duplicate, and one moment is one event;
- the kept raw input is the record exactly as the API sent it;
- a page's ``cursor`` is only as far as every record up to it has been read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from referral_engine.events.service import FieldError
from referral_engine.settings import SourceSection
from referral_engine.sources.http import PollFailed, PollHttp, json_of


class SourceConfigError(ValueError):
    """A poll source that cannot be polled as configured (a missing variable, a bad mapping)."""


@dataclass(frozen=True)
class Change:
    """One record read from the source, and the event it makes (None: not a moment)."""

    record_id: str
    record: dict[str, Any]
    document: dict[str, Any] | None
    # What the mapping could not read (kept with the input when it is rejected).
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class Page:
    changes: list[Change]
    # How far the cursor may move once this page is stored (None: not yet).
    cursor: datetime | None


@dataclass(frozen=True)
class Credentials:
    """Read from the environment when a poll starts; never stored or printed."""

    username: str
    secret: str


class PollProfile(Protocol):
    name: str

    def sign_in(self, http: PollHttp) -> dict[str, str]:
        """The headers that authenticate a request (a fresh token where there is one)."""
        ...

    def pages(self, http: PollHttp, *, since: datetime) -> Iterator[Page]:
        """The records changed since ``since``, oldest change first, page by page."""
        ...

    def to_event(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """One record as a canonical event document (the same as ``pages`` made)."""
        ...


def credentials(config: SourceSection) -> Credentials:
    """The source's credentials from the variables it names; a missing one is an error."""
    missing = [n for n in (config.token_env, config.username_env) if n and not os.environ.get(n)]
    if missing:
        raise SourceConfigError(f"environment variable {', '.join(missing)} is not set")
    return Credentials(
        username=os.environ.get(config.username_env, "") if config.username_env else "",
        secret=os.environ.get(config.token_env, "") if config.token_env else "",
    )


def access_token(http: PollHttp, url: str, form: dict[str, str], *, said: str) -> str:
    """The ``access_token`` an OAuth-style token endpoint at ``url`` answers for the
    ``form`` posted (unsigned); :class:`PollFailed` naming ``said`` when there is none."""
    body = json_of(http.request("POST", url, data=form, signed=False))
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise PollFailed(f"{said} answered no access_token")
    return token


def build_profile(name: str, config: SourceSection, *, zone: str, now: datetime) -> PollProfile:
    """The profile a ``[sources.NAME]`` table names, ready to poll (credentials read)."""
    from referral_engine.sources.profiles import applied_epic, generic_rest, hawksoft, momentum

    if config.profile == "generic-rest":
        return generic_rest.GenericRest.from_config(name, config, zone=zone)
    creds = credentials(config)
    if config.profile == "momentum":
        return momentum.Momentum(name, config, creds, zone=zone)
    if config.profile == "hawksoft":
        return hawksoft.HawkSoft(name, config, creds, zone=zone, now=now)
    if config.profile == "applied-epic":
        return applied_epic.AppliedEpic(name, config, creds, zone=zone)
    raise SourceConfigError(f"no poll profile {config.profile!r}")


def path_value(record: Any, path: str) -> Any:
    """The value at a dotted path (``a.b.0.c``: list items by index), or None."""
    node = record
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
        if node is None:
            return None
    return node


def day(value: Any) -> str | None:
    """The date part of an ISO date or instant, as the canonical event takes dates."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    return value[:10]


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without None values and empty tables (the canonical event's defaults
    apply to what a source does not say)."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            value = compact(value)
            if not value:
                continue
        if value is None or value == "":
            continue
        out[key] = value
    return out


def stamp(value: Any, zone: str) -> datetime | None:
    """A source's change stamp as an aware instant (a stamp without offset is read in
    ``zone``, the agency's), or None."""
    from zoneinfo import ZoneInfo

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


def odata_instant(value: datetime) -> str:
    """An instant as OData and most REST filters take it: UTC, seconds, ``Z``."""
    from datetime import UTC

    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
