"""A stand-in for HawkSoft's Partner API v3: Basic auth, ``version=3.0`` on every request,
``GET /vendor/agency/{id}/clients?asOf=`` (the change feed: client numbers) and
``GET /vendor/agency/{id}/client/{number}`` (a client with People, Contacts, Policies)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.sources.standin import Answer, Seen, StandIn

CHICAGO = ZoneInfo("America/Chicago")
CLIENT_ID, CLIENT_SECRET = "partner-7", "hawksoft-secret-1"
AGENCY = "4242"


def local(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHICAGO)


def client(number: int, modified: str, *policies: dict[str, Any], first: str = "Dana") -> dict:
    return {
        "clientNumber": number,
        "details": {"clientType": "Customer", "modified": modified},
        "people": [{"firstName": first, "lastName": "Reyes", "email": f"c{number}@example.com"}],
        "contacts": [{"type": "Cell", "data": "+13125550123"}],
        "policies": list(policies),
    }


def policy(policy_id: str, status: str, sold: str, **fields: Any) -> dict[str, Any]:
    record = {
        "id": policy_id,
        "policyNumber": f"HS-{policy_id}",
        "status": status,
        "soldDate": sold,
        "effectiveDate": "2026-12-01",
        "premium": 1450.0,
        "carrier": "Safeco",
        "loBs": [{"code": "HOME", "name": "Homeowners"}],
        "applicationType": "Personal",
    }
    record.update(fields)
    return record


@dataclass
class HawkSoft(StandIn):
    clients: dict[int, dict[str, Any]] = field(default_factory=dict)

    def route(self, request: Seen) -> Answer:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return 401, {}, {"message": "The provided credentials are invalid"}
        if request.query.get("version") != "3.0":
            return 400, {}, {"message": "version=3.0 is required"}
        if request.path == f"/vendor/agency/{AGENCY}/clients":
            since = local(request.query["asOf"])
            changed = [
                n
                for n, c in sorted(self.clients.items())
                if local(c["details"]["modified"]) >= since
            ]
            return 200, {}, changed
        found = re.fullmatch(rf"/vendor/agency/{AGENCY}/client/(\d+)", request.path)
        if found and int(found.group(1)) in self.clients:
            return 200, {}, self.clients[int(found.group(1))]
        return 404, {}, {"message": "The requested agency is not available to the vendor"}
