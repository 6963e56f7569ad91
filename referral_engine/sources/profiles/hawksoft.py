"""HawkSoft Partner API v3: the ``asOf`` change feed of clients, then each client's
policies (docs/sources/hawksoft.md).

Basic authentication (client id as the user name, client secret as the password) and
``version=3.0`` on every request. ``GET {base_url}/vendor/agency/{account}/clients?asOf=``
lists the client numbers changed since the cursor; each is read with
``GET {base_url}/vendor/agency/{account}/client/{number}``, ``page_size`` clients to a
page. HawkSoft has no webhooks: this feed is the way in.

A policy becomes an event when its ``Status`` is ``New`` and its ``SoldDate`` is recent
(within the source's catch-up window): a bind (``new``, or ``rewrite`` when
``ApplicationType`` says so); ``Renew`` is a renewal. The kept raw input is
``{"client": <the client without its policies>, "policy": <that policy>}``, both as sent.
Field names are read in either case (``PolicyNumber`` or ``policyNumber``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from referral_engine.settings import SourceSection
from referral_engine.sources.http import PollFailed, PollHttp
from referral_engine.sources.profiles import (
    Change,
    Credentials,
    Page,
    SourceConfigError,
    compact,
    credentials,
    day,
    odata_instant,
    stamp,
)

VERSION = {"version": "3.0"}


def field(record: Any, name: str) -> Any:
    """``record[name]`` whatever the case of its first letter (the API's JSON is camel
    case, its documentation Pascal case)."""
    if not isinstance(record, dict):
        return None
    for key in (name, name[:1].lower() + name[1:], name[:1].upper() + name[1:]):
        if key in record:
            return record[key]
    return None


class HawkSoft:
    name = "hawksoft"

    def __init__(
        self,
        source: str,
        config: SourceSection,
        creds: Credentials,
        *,
        zone: str,
        now: datetime | None = None,
    ) -> None:
        self.source, self.config, self.creds, self.zone = source, config, creds, zone
        self.base = config.base_url.rstrip("/")
        self.recent = timedelta(days=config.max_catch_up_days)
        self.now = now
        if not config.account:
            raise SourceConfigError("a hawksoft source needs account = the agency id")

    def sign_in(self, http: PollHttp) -> dict[str, str]:
        # Read again at each sign-in: a secret rotated while the service runs is used
        # from the next 401 on.
        self.creds = credentials(self.config)
        pair = f"{self.creds.username}:{self.creds.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def pages(self, http: PollHttp, *, since: datetime) -> Iterator[Page]:
        agency = f"{self.base}/vendor/agency/{self.config.account}"
        changed = http.get_json(
            f"{agency}/clients", params={**VERSION, "asOf": odata_instant(since)}
        )
        if not isinstance(changed, list):
            raise PollFailed("the changed-clients feed answered no list")
        numbers = [str(n) for n in changed]
        size = self.config.page_size
        latest: datetime | None = None
        for start in range(0, len(numbers), size):
            changes: list[Change] = []
            for number in numbers[start : start + size]:
                client = http.get_json(f"{agency}/client/{number}", params=VERSION)
                if not isinstance(client, dict):
                    raise PollFailed(f"client {number} answered no object")
                modified = stamp(field(field(client, "Details"), "Modified"), self.zone)
                if modified and (latest is None or modified > latest):
                    latest = modified
                changes.extend(self._changes(number, client))
            last = start + size >= len(numbers)
            # The feed is not ordered by change: the cursor moves once every client is read.
            yield Page(changes, latest if last else None)

    def _changes(self, number: str, client: dict[str, Any]) -> list[Change]:
        policies = field(client, "Policies") or []
        bare = {k: v for k, v in client.items() if k.lower() != "policies"}
        out = []
        for policy in policies:
            if not isinstance(policy, dict):
                continue
            record = {"client": bare, "policy": policy}
            policy_id = field(policy, "Id") or field(policy, "PolicyNumber")
            out.append(Change(f"{number}/{policy_id}", record, self.to_event(record)))
        return out

    def to_event(self, record: dict[str, Any]) -> dict[str, Any] | None:
        return policy_event(
            record, source=self.source, zone=self.zone, now=self.now, recent=self.recent
        )


def policy_event(
    record: dict[str, Any],
    *,
    source: str,
    zone: str,
    now: datetime | None,
    recent: timedelta,
) -> dict[str, Any] | None:
    """One ``{"client", "policy"}`` record as a canonical event, or None (no moment)."""
    client, policy = record.get("client") or {}, record.get("policy") or {}
    status = str(field(policy, "Status") or "").strip().lower()
    sold = field(policy, "SoldDate")
    application = str(field(policy, "ApplicationType") or "").strip().lower()
    if status == "new":
        sold_at = stamp(sold, zone)
        if sold_at is None or (now is not None and sold_at < now - recent):
            return None
        transaction = "rewrite" if "rewrite" in application else "new"
    elif status in ("renew", "renewal", "renewed"):
        transaction = "renewal"
    else:
        return None
    number = field(client, "ClientNumber")
    policy_id = field(policy, "Id") or field(policy, "PolicyNumber")
    lobs = field(policy, "LOBs") or field(policy, "Lobs") or []
    lob = lobs[0] if lobs and isinstance(lobs[0], dict) else {}
    person = _first(field(client, "People"))
    segment = "commercial" if "commercial" in application else None
    if "personal" in application:
        segment = "personal"
    details = field(client, "Details") or {}
    document = {
        "id": f"policy-{policy_id}-{transaction}",
        "type": "policy.renewed" if transaction == "renewal" else "policy.bound",
        "occurred_at": sold
        if transaction != "renewal"
        else (field(policy, "EffectiveDate") or sold),
        "source": source,
        "client": {
            "external_id": None if number is None else str(number),
            "first_name": field(person, "FirstName"),
            "last_name": field(person, "LastName"),
            "company": field(details, "BusinessName") if segment == "commercial" else None,
            "email": field(person, "Email") or _contact(client, "email"),
            "mobile": field(person, "CellPhone") or _contact(client, "cell"),
        },
        "policy": {
            "number": field(policy, "PolicyNumber"),
            "line_of_business": field(lob, "Code") or field(lob, "Name"),
            "segment": segment,
            "carrier": field(policy, "Carrier"),
            "premium": field(policy, "Premium"),
            "effective_date": day(field(policy, "EffectiveDate")),
            "transaction": transaction,
        },
    }
    return compact(document)


def _first(items: Any) -> dict[str, Any]:
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0]
    return {}


def _contact(client: dict[str, Any], kind: str) -> str | None:
    """The first contact of a kind (``Type`` ``Email``, ``Cell``…) from ``Contacts``."""
    for contact in field(client, "Contacts") or []:
        if kind in str(field(contact, "Type") or "").lower():
            value = field(contact, "Data") or field(contact, "Value")
            if value:
                return str(value)
    return None
