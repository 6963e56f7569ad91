"""Momentum / NowCerts: policies created or changed since the cursor (docs/sources/momentum.md).

The API is REST with OData queries. ``POST {base_url}/api/token`` (form: grant_type
``password``, the user name and password) answers an ``access_token``; a poll then reads
``GET {base_url}/api/PolicyDetailList`` with ``$filter=changeDate gt <cursor>``,
``$orderby=changeDate``, ``$top`` and ``$skip``, answered ``{"value": [...]}``.

A policy record becomes one event: ``businessType`` ``New_Business`` → a bind
(``policy.bound``, transaction ``new``), ``Rewrite`` → a bind (``rewrite``), ``Renewal``
→ ``policy.renewed``. A quote (``isQuote``), any other business type and a policy whose
``status`` says it is cancelled or expired make no event. The insured's names, email and
cell/SMS phone become the client; ``insuredType`` says personal or commercial;
``referralSourceName`` becomes the event's ``referral`` (this client, referred by that
source).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

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
    stamp,
)

TRANSACTIONS = {"new_business": "new", "rewrite": "rewrite", "renewal": "renewal"}
NOT_IN_FORCE = {"cancelled", "canceled", "expired", "void", "declined", "lost"}


class Momentum:
    name = "momentum"

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
            f"{self.base}/api/token",
            {
                "grant_type": "password",
                "username": self.creds.username,
                "password": self.creds.secret,
            },
            said="POST /api/token",
        )
        return {"Authorization": f"Bearer {token}"}

    def pages(self, http: PollHttp, *, since: datetime) -> Iterator[Page]:
        # Keyset paging on (changeDate, databaseId): each page asks ``ge`` the newest
        # stamp read and skips the records already read at exactly that stamp, so a
        # policy edited while the poll pages moves to the end instead of shifting an
        # unread one past an offset. Ids already read in this poll are dropped.
        size = self.config.page_size
        after, at_after, seen = since, 0, set[str]()
        while True:
            body = http.get_json(
                f"{self.base}/api/PolicyDetailList",
                params={
                    "$filter": f"changeDate ge {odata_instant(after)}",
                    "$orderby": "changeDate,databaseId",
                    "$top": size,
                    "$skip": at_after,
                },
            )
            records = body.get("value") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise PollFailed("PolicyDetailList answered no 'value' list")
            records = [r for r in records if isinstance(r, dict)]
            fresh = [r for r in records if _key(r) not in seen]
            seen.update(_key(r) for r in fresh)
            stamps = [s for r in records if (s := self._stamp(r))]
            yield Page([self._change(r) for r in fresh], max(stamps) if stamps else None)
            if len(records) < size or not stamps:
                return
            newest = max(stamps)
            on_newest = sum(1 for r in records if self._stamp(r) == newest)
            at_after = at_after + on_newest if newest == after else on_newest
            after = newest

    def _stamp(self, record: dict[str, Any]) -> datetime | None:
        return stamp(record.get("changeDate"), self.zone)

    def _change(self, record: dict[str, Any]) -> Change:
        return Change(_key(record), record, self.to_event(record))

    def to_event(self, record: dict[str, Any]) -> dict[str, Any] | None:
        return policy_event(record, source=self.source)


def policy_event(record: dict[str, Any], *, source: str) -> dict[str, Any] | None:
    """A PolicyDetailList record as a canonical event, or None when it is no moment."""
    if record.get("isQuote") is True:
        return None
    transaction = TRANSACTIONS.get(str(record.get("businessType") or "").strip().lower())
    if transaction is None:
        return None
    if str(record.get("status") or "").strip().lower() in NOT_IN_FORCE:
        return None
    record_id = record.get("databaseId") or record.get("number")
    renewal = transaction == "renewal"
    occurred = record.get("bindDate") or (
        record.get("effectiveDate") if renewal else record.get("createDate")
    )
    lines = record.get("lineOfBusinesses") or []
    line = lines[0] if lines and isinstance(lines[0], dict) else {}
    insured_type = str(record.get("insuredType") or "").strip().lower()
    client = {
        "external_id": _text(record.get("insuredDatabaseId")),
        "first_name": record.get("insuredFirstName"),
        "last_name": record.get("insuredLastName"),
        "company": record.get("insuredCommercialName") if insured_type == "commercial" else None,
        "email": record.get("insuredEmail"),
        "mobile": record.get("insuredSmsPhone") or record.get("insuredCellPhone"),
    }
    document = {
        "id": f"policy-{record_id}-{transaction}",
        "type": "policy.renewed" if renewal else "policy.bound",
        "occurred_at": occurred,
        "source": source,
        "client": client,
        "policy": {
            "number": record.get("number"),
            "line_of_business": line.get("lineOfBusinessName") or line.get("name"),
            "segment": insured_type if insured_type in ("personal", "commercial") else None,
            "carrier": record.get("carrierName"),
            "premium": record.get("totalPremium"),
            "effective_date": day(record.get("effectiveDate")),
            "transaction": transaction,
        },
        "referral": _referral(record, client, line) if not renewal else None,
    }
    return compact(document)


def _referral(
    record: dict[str, Any], client: dict[str, Any], line: dict[str, Any]
) -> dict[str, Any] | None:
    """The agency system's referral source, as our referral: this client, referred by it."""
    name = str(record.get("referralSourceName") or "").strip()
    if not name:
        return None
    prospect = {k: client.get(k) for k in ("first_name", "last_name", "email", "mobile")}
    prospect["company"] = client.get("company")
    prospect["line_of_business"] = line.get("lineOfBusinessName")
    return {"prospect": prospect, "referred_by": {"kind": "external", "name": name}}


def _key(record: dict[str, Any]) -> str:
    return str(record.get("databaseId") or record.get("number") or "")


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


# Write-back (docs/sources/momentum.md, "Write-back"): the note endpoints of the NowCerts
# API, with their field names as read in its public API docs. This is the one place that
# knows them: a field the API names differently is corrected here and nowhere else.
NOTE_INSERT_PATH = "/api/Zapier/InsertNote"
NOTE_LIST_PATH = "/api/NotesList"
NOTE_CREATOR = "Referral Engine"


def note_request(*, insured_id: str, text: str) -> dict[str, Any]:
    """The JSON body that adds a note with ``text`` to the insured ``insured_id``."""
    return {
        "insured_database_id": insured_id,
        "subject": text,
        "creator_name": NOTE_CREATOR,
        "type": "General",
    }


def note_query(*, insured_id: str, marker: str) -> dict[str, Any]:
    """The OData query for the insured's notes that carry ``marker`` (a retry's check)."""
    quoted = insured_id.replace("'", "''")
    mark = marker.replace("'", "''")
    return {
        "$filter": f"insuredDatabaseId eq '{quoted}' and contains(subject,'{mark}')",
        "$top": 5,
    }


def note_texts(body: Any) -> list[str]:
    """The texts of the notes a note list answered (``{"value": [{"subject": …}]}``)."""
    records = body.get("value") if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise PollFailed(f"{NOTE_LIST_PATH} answered no 'value' list")
    return [str(r.get("subject") or "") for r in records if isinstance(r, dict)]
