"""Generic REST: any JSON API read through a TOML mapping (docs/sources/generic-rest.md).

The mapping file (``mapping = "FILE"`` in ``[sources.NAME]``) says where the API is and
how a record becomes an event; the field part is the CSV mapping's format (see
docs/import.md), with record paths in place of column names::

    [request]
    url = "https://crm.example.com/api/v2/deals"
    auth_header = "Authorization"      # the header that carries the credential
    auth_prefix = "Bearer "            # put before the token_env variable's value
    items_path = "data"                # where the page's list of records is
    cursor_param = "updated_since"     # query parameter given the cursor (UTC, ISO 8601)
    changed_path = "updated_at"        # the record's change stamp (moves the cursor)
    next_path = "links.next"           # the next page's URL, or:
    page_param = "page"                # a page number parameter (from 1)
    size_param = "per_page"            # page size parameter (the source's page_size)

    [when]                             # only records whose path has one of these values
    "stage" = ["won"]

    [profile]
    id = "{id}-won"                    # the event id from record paths (never a stamp)

    [columns]                          # record path -> canonical field
    "customer.email" = "client.email"

    [constants]
    type = "policy.bound"

Records are read in ``changed_path`` order; the cursor moves page by page to the newest
stamp read. The kept raw input is the record as sent.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from referral_engine.events.csv_profiles import Profile, ProfileError, parse_profile, row_to_raw
from referral_engine.events.service import FieldError
from referral_engine.settings import SourceSection
from referral_engine.sources.http import PollFailed, PollHttp
from referral_engine.sources.profiles import (
    Change,
    Page,
    SourceConfigError,
    credentials,
    odata_instant,
    path_value,
    stamp,
)


@dataclass(frozen=True)
class RestMapping:
    url: str
    items_path: str
    cursor_param: str
    changed_path: str
    fields: Profile
    auth_header: str = "Authorization"
    auth_prefix: str = "Bearer "
    next_path: str = ""
    page_param: str = ""
    size_param: str = ""
    when: dict[str, list[str]] = field(default_factory=dict)


def load_mapping(path: str) -> RestMapping:
    """A generic REST mapping from its TOML file; a missing or bad file is an error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as exc:
        raise SourceConfigError(f"cannot read the mapping {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourceConfigError(f"the mapping {path} is not valid TOML: {exc}") from exc
    request = raw.get("request")
    if not isinstance(request, dict):
        raise SourceConfigError(f"the mapping {path} needs a [request] table")
    missing = [
        k for k in ("url", "items_path", "cursor_param", "changed_path") if not request.get(k)
    ]
    if missing:
        raise SourceConfigError(f"the mapping's [request] needs {', '.join(missing)}")
    if not str(request["url"]).startswith(("https://", "http://")):
        raise SourceConfigError("the mapping's [request] url must be an http(s) URL")
    try:
        fields = parse_profile(text, default_name=Path(path).stem)
    except ProfileError as exc:
        raise SourceConfigError(str(exc)) from exc
    if not fields.id_template:
        raise SourceConfigError("the mapping needs [profile] id = a template of record paths")
    when = raw.get("when", {})
    return RestMapping(
        url=str(request["url"]),
        items_path=str(request["items_path"]),
        cursor_param=str(request["cursor_param"]),
        changed_path=str(request["changed_path"]),
        fields=fields,
        auth_header=str(request.get("auth_header", "Authorization")),
        auth_prefix=str(request.get("auth_prefix", "Bearer ")),
        next_path=str(request.get("next_path", "")),
        page_param=str(request.get("page_param", "")),
        size_param=str(request.get("size_param", "")),
        when={
            str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in when.items()
        },
    )


class GenericRest:
    name = "generic-rest"

    def __init__(
        self, source: str, config: SourceSection, mapping: RestMapping, *, zone: str
    ) -> None:
        self.source, self.config, self.mapping, self.zone = source, config, mapping, zone

    @classmethod
    def from_config(cls, source: str, config: SourceSection, *, zone: str) -> GenericRest:
        mapping = load_mapping(config.mapping)
        if config.token_env:
            credentials(config)  # a named variable must be set
        return cls(source, config, mapping, zone=zone)

    def sign_in(self, http: PollHttp) -> dict[str, str]:
        if not self.config.token_env:
            return {}
        # Read again at each sign-in: a rotated token is picked up on a 401.
        secret = credentials(self.config).secret
        return {self.mapping.auth_header: f"{self.mapping.auth_prefix}{secret}"}

    def pages(self, http: PollHttp, *, since: datetime) -> Iterator[Page]:
        mapping = self.mapping
        url: str | None = mapping.url
        first: dict[str, Any] = {mapping.cursor_param: odata_instant(since)}
        if mapping.size_param:
            first[mapping.size_param] = self.config.page_size
        params: dict[str, Any] | None = first
        number = 1
        while url:
            if mapping.page_param and params is not None:
                params[mapping.page_param] = number
            body = http.get_json(url, params=params)
            items = path_value(body, mapping.items_path) if mapping.items_path != "." else body
            if not isinstance(items, list):
                raise PollFailed(f"the answer has no list at {mapping.items_path!r}")
            records = [r for r in items if isinstance(r, dict)]
            changes = [self._change(r) for r in records]
            stamps = [
                s
                for r in records
                if (s := stamp(_text(path_value(r, mapping.changed_path)), self.zone))
            ]
            yield Page(changes, max(stamps) if stamps else None)
            if mapping.next_path:
                following = path_value(body, mapping.next_path)
                url = urljoin(url, following) if isinstance(following, str) and following else None
                params = None
            elif mapping.page_param and len(records) >= self.config.page_size:
                number += 1
            else:
                url = None

    def _stamp(self, record: dict[str, Any]) -> datetime | None:
        return stamp(_text(path_value(record, self.mapping.changed_path)), self.zone)

    def _change(self, record: dict[str, Any]) -> Change:
        document, errors = self.read(record)
        return Change(str(document.get("id", "")), record, document or None, tuple(errors))

    def to_event(self, record: dict[str, Any]) -> dict[str, Any] | None:
        return self.read(record)[0] or None

    def read(self, record: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
        """The record through the mapping's fields, with the mapping's complaints (a date
        that fits no format…); ``{}`` when ``[when]`` leaves the record out."""
        if not self._wanted(record):
            return {}, []
        cells = {path: _text(path_value(record, path)) for path in _paths(self.mapping.fields)}
        raw = row_to_raw(
            cells, self.mapping.fields, source=self.source, file_name=None, line_no=None
        )
        document = dict(raw.parsed or {})
        document["source"] = self.source
        return document, list(raw.errors)

    def _wanted(self, record: dict[str, Any]) -> bool:
        return all(
            _text(path_value(record, path)) in values for path, values in self.mapping.when.items()
        )


def _paths(profile: Profile) -> set[str]:
    import re

    return set(profile.columns) | set(re.findall(r"\{([^{}]+)\}", profile.id_template or ""))


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
