"""A stand-in for the Momentum / NowCerts API: ``POST /api/token`` (password grant) and
``GET /api/PolicyDetailList`` (OData ``$filter=changeDate ge …``, ``$orderby``, ``$top``,
answered ``{"value": [...]}``), bearer tokens that can expire mid-poll; and the notes on
an insured that write-back adds (``POST /api/Zapier/InsertNote``) and looks up
(``GET /api/NotesList`` with ``$filter=insuredDatabaseId eq '…' and
contains(subject,'…')``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.sources.standin import Answer, Seen, StandIn

CHICAGO = ZoneInfo("America/Chicago")
USER, PASSWORD = "agency-api@agency.example", "momentum-password-1"


def local(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHICAGO)


def policy(database_id: str, changed: str, **fields: Any) -> dict[str, Any]:
    """A PolicyDetailList record (NowCerts' field names; times local, without offset)."""
    record: dict[str, Any] = {
        "databaseId": database_id,
        "number": f"PA-{database_id[-4:]}",
        "isQuote": False,
        "effectiveDate": "2026-12-01T00:00:00",
        "expirationDate": "2027-12-01T00:00:00",
        "bindDate": changed,
        "businessType": "New_Business",
        "insuredDatabaseId": f"ins-{database_id}",
        "insuredFirstName": "Dana",
        "insuredLastName": "Reyes",
        "insuredEmail": f"{database_id}@example.com",
        "insuredSmsPhone": "+13125550123",
        "insuredType": "Personal",
        "totalPremium": 1820.0,
        "status": "Active",
        "carrierName": "Progressive",
        "lineOfBusinesses": [{"lineOfBusinessName": "Personal Auto"}],
        "createDate": changed,
        "changeDate": changed,
        "referralSourceName": None,
    }
    record.update(fields)
    return record


@dataclass
class Momentum(StandIn):
    policies: list[dict[str, Any]] = field(default_factory=list)
    # After this many pages served, every token expires (a token ending mid-poll).
    expire_after_pages: int | None = None
    pages_served: int = 0
    # Notes written on insureds, as stored: {"insuredDatabaseId", "subject", "creatorName"}.
    notes: list[dict[str, Any]] = field(default_factory=list)
    # The next note is stored but answered 500 (an answer lost after the write).
    lose_next_note_answer: bool = False
    # After this many notes written, every token expires.
    expire_after_notes: int | None = None

    def route(self, request: Seen) -> Answer:
        if request.method == "POST" and request.path == "/api/token":
            form = request.form
            if (form.get("grant_type"), form.get("username"), form.get("password")) != (
                "password",
                USER,
                PASSWORD,
            ):
                return 400, {}, {"error": "invalid_grant"}
            return 200, {}, {"access_token": self.issue_token(), "token_type": "bearer"}
        if request.method == "GET" and request.path == "/api/PolicyDetailList":
            if not self.bearer_ok(request):
                return 401, {}, {"message": "Authorization has been denied for this request."}
            return 200, {}, {"value": self._page(request.query)}
        if request.path in ("/api/Zapier/InsertNote", "/api/NotesList"):
            if not self.bearer_ok(request):
                return 401, {}, {"message": "Authorization has been denied for this request."}
            if request.method == "POST" and request.path == "/api/Zapier/InsertNote":
                return self._insert_note(request.body)
            if request.method == "GET" and request.path == "/api/NotesList":
                return 200, {}, {"value": self._notes(request.query)}
        return 404, {}, {"message": "not found"}

    def _insert_note(self, body: Any) -> Answer:
        if not isinstance(body, dict) or not body.get("insured_database_id"):
            return 400, {}, {"message": "insured_database_id is required"}
        if not str(body.get("subject") or "").strip():
            return 400, {}, {"message": "subject is required"}
        note = {
            "databaseId": f"note-{len(self.notes) + 1}",
            "insuredDatabaseId": body["insured_database_id"],
            "subject": body["subject"],
            "creatorName": body.get("creator_name"),
            "type": body.get("type"),
        }
        self.notes.append(note)
        if self.expire_after_notes is not None and len(self.notes) == self.expire_after_notes:
            self.expire_tokens()
        if self.lose_next_note_answer:
            self.lose_next_note_answer = False
            return 500, {}, {"message": "An error has occurred."}
        return 200, {}, {"databaseId": note["databaseId"]}

    def _notes(self, query: dict[str, str]) -> list[dict[str, Any]]:
        match = re.fullmatch(
            r"insuredDatabaseId eq '((?:[^']|'')*)' and contains\(subject,'((?:[^']|'')*)'\)",
            query.get("$filter", ""),
        )
        assert match, query
        insured, part = (g.replace("''", "'") for g in match.groups())
        found = [
            n for n in self.notes if n["insuredDatabaseId"] == insured and part in n["subject"]
        ]
        return found[: int(query.get("$top", 100))]

    def notes_on(self, insured: str) -> list[str]:
        return [n["subject"] for n in self.notes if n["insuredDatabaseId"] == insured]

    def _page(self, query: dict[str, str]) -> list[dict[str, Any]]:
        match = re.fullmatch(r"changeDate (ge|gt) (\S+)", query.get("$filter", ""))
        assert match, query
        since = local(match.group(2))
        strict = match.group(1) == "gt"
        rows = [
            p
            for p in self.policies
            if local(p["changeDate"]) > since or (not strict and local(p["changeDate"]) == since)
        ]
        assert query.get("$orderby") == "changeDate,databaseId"
        rows.sort(key=lambda p: (local(p["changeDate"]), p["databaseId"]))
        skip, top = int(query.get("$skip", 0)), int(query.get("$top", 100))
        page = rows[skip : skip + top]
        self.pages_served += 1
        if self.expire_after_pages is not None and self.pages_served == self.expire_after_pages:
            self.expire_tokens()
        return page
