"""A stand-in for Applied Epic's REST API: OAuth client credentials
(``POST /v1/auth/connect/token``), ``GET /policy/v1/lines`` answered as HAL+JSON
(``_embedded.lines``, ``_links.next.href``, filtered by ``lastUpdatedOn_after``) and
``GET /crm/v1/clients/{id}``; bearer tokens that can expire mid-poll."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from tests.sources.standin import Answer, Seen, StandIn

CLIENT_ID, CLIENT_SECRET = "epic-client-9", "epic-secret-1"


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def line(line_id: str, updated: str, client_id: str, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": line_id,
        "lineType": {"code": "AUTOP", "description": "Personal Auto"},
        "status": {"code": "CONTRACTED"},
        "stage": {"code": "ISSUED"},
        "action": {"code": "NEW"},
        "client": {"id": client_id},
        "policy": {"id": f"pol-{line_id}", "policyNumber": f"EP-{line_id}"},
        "effectiveOn": "2026-12-01",
        "issuingCompany": {"name": "Travelers"},
        "annualizedPremium": 2100.0,
        "issuedOn": updated,
        "lastUpdatedOn": updated,
    }
    record.update(fields)
    return record


def epic_client(client_id: str, first: str, **fields: Any) -> dict[str, Any]:
    record = {
        "id": client_id,
        "accountName": f"{first} Reyes",
        "accountType": "PERSONAL",
        "primaryContact": {
            "firstName": first,
            "lastName": "Reyes",
            "email": f"{first.lower()}@example.com",
            "mobilePhone": "+13125550123",
        },
        "address": {"postalCode": "60601"},
    }
    record.update(fields)
    return record


@dataclass
class Epic(StandIn):
    lines: list[dict[str, Any]] = field(default_factory=list)
    clients: dict[str, dict[str, Any]] = field(default_factory=dict)
    expire_after_pages: int | None = None
    pages_served: int = 0

    def route(self, request: Seen) -> Answer:
        if request.method == "POST" and request.path == "/v1/auth/connect/token":
            form = request.form
            if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
                "client_credentials",
                CLIENT_ID,
                CLIENT_SECRET,
            ):
                return 401, {}, {"error": "invalid_client"}
            token = self.issue_token()
            return 200, {}, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        if not self.bearer_ok(request):
            return 401, {}, {"error": "invalid_token", "error_description": "token expired"}
        if request.path == "/policy/v1/lines":
            return 200, {"content-type": "application/hal+json"}, self._lines(request.query)
        found = re.fullmatch(r"/crm/v1/clients/([^/]+)", request.path)
        if found and found.group(1) in self.clients:
            return 200, {"content-type": "application/hal+json"}, self.clients[found.group(1)]
        return 404, {}, {"title": "Not Found"}

    def _lines(self, query: dict[str, str]) -> dict[str, Any]:
        after = instant(query["lastUpdatedOn_after"])
        rows = sorted(
            (x for x in self.lines if instant(x["lastUpdatedOn"]) > after),
            key=lambda x: instant(x["lastUpdatedOn"]),
        )
        limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
        page = rows[offset : offset + limit]
        links: dict[str, Any] = {"self": {"href": "/policy/v1/lines"}}
        if offset + limit < len(rows):
            following = {**query, "offset": str(offset + limit)}
            links["next"] = {"href": f"/policy/v1/lines?{urlencode(following)}"}
        self.pages_served += 1
        if self.expire_after_pages is not None and self.pages_served == self.expire_after_pages:
            self.expire_tokens()
        return {"_embedded": {"lines": page}, "_links": links, "total": len(rows)}
