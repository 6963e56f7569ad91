"""Applied Epic: policy lines updated since the cursor (docs/sources/applied-epic.md).

REST answering HAL+JSON, OAuth 2 client credentials: ``POST {base_url}/v1/auth/connect/token``
(form: ``grant_type=client_credentials``, the client id and secret) answers an
``access_token``. A poll reads ``GET {base_url}/policy/v1/lines`` with
``lastUpdatedOn_after=<cursor>``, ``sort=lastUpdatedOn`` and ``limit``, following
``_links.next.href`` from page to page; the lines are in ``_embedded.lines``. Each new
client is read once per poll from ``GET {base_url}/crm/v1/clients/{id}``.

A line is a bind when its status is ``CONTRACTED``, its stage ``ISSUED`` and its action
``NEW`` (``REWRITE``: a rewrite); action ``RENEW`` is a renewal; anything else is no
moment. ``lineType.code`` is the line of business. The kept raw input is ``{"line":
<the line>, "client": <its client>}``, both as sent. A code may come as a string or as
``{"code": ...}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from referral_engine.settings import SourceSection
from referral_engine.sources.http import PollFailed, PollHttp
from referral_engine.sources.profiles import (
    Change,
    Credentials,
    Page,
    access_token,
    compact,
    credentials,
    day,
    odata_instant,
    path_value,
    stamp,
)

ACTIONS = {"NEW": "new", "REWRITE": "rewrite", "RENEW": "renewal", "RENEWAL": "renewal"}


class AppliedEpic:
    name = "applied-epic"

    def __init__(
        self, source: str, config: SourceSection, creds: Credentials, *, zone: str
    ) -> None:
        self.source, self.config, self.creds, self.zone = source, config, creds, zone
        self.base = config.base_url.rstrip("/")

    def sign_in(self, http: PollHttp) -> dict[str, str]:
        # Read again at each sign-in: a secret rotated while the service runs is used
        # from the next 401 on.
        self.creds = credentials(self.config)
        token = access_token(
            http,
            f"{self.base}/v1/auth/connect/token",
            {
                "grant_type": "client_credentials",
                "client_id": self.creds.username,
                "client_secret": self.creds.secret,
            },
            said="the token endpoint",
        )
        return {"Authorization": f"Bearer {token}", "Accept": "application/hal+json"}

    def pages(self, http: PollHttp, *, since: datetime) -> Iterator[Page]:
        clients: dict[str, dict[str, Any]] = {}
        url: str | None = f"{self.base}/policy/v1/lines"
        params: dict[str, Any] | None = {
            "lastUpdatedOn_after": odata_instant(since),
            "sort": "lastUpdatedOn",
            "limit": self.config.page_size,
        }
        while url:
            body = http.get_json(url, params=params)
            lines = path_value(body, "_embedded.lines")
            if not isinstance(lines, list):
                raise PollFailed("lines answered no _embedded.lines list")
            changes = []
            for line in lines:
                if not isinstance(line, dict):
                    continue
                client = self._client(http, line, clients)
                record = {"line": line, "client": client}
                changes.append(Change(str(line.get("id")), record, self.to_event(record)))
            stamps = [s for s in (stamp(ln.get("lastUpdatedOn"), self.zone) for ln in lines) if s]
            yield Page(changes, max(stamps) if stamps else None)
            following = path_value(body, "_links.next.href")
            url = urljoin(url, following) if isinstance(following, str) and following else None
            params = None  # the next link carries its own query

    def _client(
        self, http: PollHttp, line: dict[str, Any], known: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        client_id = path_value(line, "client.id") or line.get("clientId")
        if client_id is None:
            return {}
        key = str(client_id)
        if key not in known:
            found = http.get_json(f"{self.base}/crm/v1/clients/{key}")
            known[key] = found if isinstance(found, dict) else {}
        return known[key]

    def to_event(self, record: dict[str, Any]) -> dict[str, Any] | None:
        return line_event(record, source=self.source)


def code(value: Any) -> str:
    """A code given as ``"NEW"`` or as ``{"code": "NEW", ...}``, upper case."""
    if isinstance(value, dict):
        value = value.get("code")
    return str(value or "").strip().upper()


def line_event(record: dict[str, Any], *, source: str) -> dict[str, Any] | None:
    """One ``{"line", "client"}`` record as a canonical event, or None (no moment)."""
    line, client = record.get("line") or {}, record.get("client") or {}
    transaction = ACTIONS.get(code(line.get("action")))
    if transaction is None:
        return None
    if transaction != "renewal" and (
        code(line.get("status")) != "CONTRACTED" or code(line.get("stage")) != "ISSUED"
    ):
        return None
    contact = client.get("primaryContact") or path_value(client, "contacts.0") or {}
    account_type = code(client.get("accountType") or client.get("type"))
    segment = {"PERSONAL": "personal", "COMMERCIAL": "commercial"}.get(account_type)
    renewal = transaction == "renewal"
    document = {
        "id": f"line-{line.get('id')}-{transaction}",
        "type": "policy.renewed" if renewal else "policy.bound",
        "occurred_at": line.get("issuedOn") or line.get("lastUpdatedOn"),
        "source": source,
        "client": {
            "external_id": None if client.get("id") is None else str(client.get("id")),
            "first_name": contact.get("firstName"),
            "last_name": contact.get("lastName"),
            "company": client.get("accountName") if segment == "commercial" else None,
            "email": contact.get("email") or contact.get("emailAddress"),
            "mobile": contact.get("mobilePhone") or contact.get("cellPhone"),
            "postal_code": path_value(client, "address.postalCode"),
        },
        "policy": {
            "number": path_value(line, "policy.policyNumber") or line.get("policyNumber"),
            "line_of_business": code(line.get("lineType")) or None,
            "segment": segment,
            "carrier": _name(line.get("issuingCompany")),
            "premium": line.get("annualizedPremium") or line.get("estimatedPremium"),
            "effective_date": day(
                path_value(line, "policy.effectiveOn") or line.get("effectiveOn")
            ),
            "transaction": transaction,
        },
    }
    return compact(document)


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value else None
