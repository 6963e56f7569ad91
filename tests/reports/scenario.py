"""A quarter of referrals counted by hand, entered through the public API.

1. client C-1, HOME, 2026-11-02 15:00 UTC: contacted 11-02 18:00 (in SLA), quoted
   11-03, converted 11-05 (premium 1,200, commission 144).
2. client C-1, AUTOP, 11-03 15:00: contacted 11-05 15:00 (late), never quoted.
3. partner Oak Street Realty (realtor), HOME, 11-04 15:00: contacted 11-04 16:00,
   quoted 11-05, converted 11-10 (2,000 / 300).
4. partner Maria Lopez (mortgage broker), BOP, 11-06 15:00: still new.
5. external "Chamber mixer", CGL, 11-09 15:00: contacted 11-09 16:00, quoted 11-10,
   not converted (price) 11-12.
6. client C-1, HOME, 2026-09-28 15:00 (Q3): contacted 09-28, quoted 09-29,
   converted 10-02 (500 / 50).
"""

from __future__ import annotations

from typing import Any

from referral_engine import clock
from tests.agency import Agency
from tests.conftest import at

LINES = {"HOME": "personal", "AUTOP": "personal", "BOP": "commercial", "CGL": "commercial"}


def _body(n: int, line: str, referred_by: dict[str, Any]) -> dict[str, Any]:
    return {
        "prospect": {
            "first_name": f"Prospect{n}",
            "last_name": "Test",
            "email": f"prospect{n}@example.com",
            "mobile": None,
            "company": None,
            "line_of_business": line,
        },
        "referred_by": referred_by,
        "ask_id": None,
        "tags": [],
        "notes": "",
    }


def refer(agency: Agency, n: int, line: str, referred_by: dict[str, Any], now: str) -> int:
    response = agency.post("/api/v1/referrals", _body(n, line, referred_by), now=now)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def move(agency: Agency, referral_id: int, now: str, **changes: Any) -> None:
    with clock.frozen(at(now)):
        response = agency.api.patch(f"/api/v1/referrals/{referral_id}", json=changes)
    assert response.status_code == 200, response.text


CLIENT = {"kind": "client", "external_id": "C-1", "name": None}
OAK = {"kind": "partner", "external_id": "P-1", "name": None}
MARIA = {
    "kind": "partner",
    "external_id": None,
    "name": "Maria Lopez",
    "partner_type": "Mortgage Broker",
}
CHAMBER = {"kind": "external", "external_id": None, "name": "Chamber mixer"}


def build(agency: Agency) -> None:
    oak = agency.post(
        "/api/v1/partners",
        {"name": "Oak Street Realty", "kind": "realtor", "external_id": "P-1"},
        now="2026-09-01T12:00:00Z",
    )
    assert oak.status_code == 201, oak.text

    r6 = refer(agency, 6, "HOME", CLIENT, "2026-09-28T15:00:00Z")
    move(agency, r6, "2026-09-28T16:00:00Z", status="contacted")
    move(agency, r6, "2026-09-29T15:00:00Z", status="quoting")
    converted = {"policy_number": "HO-6", "premium": 500, "commission": 50}
    move(agency, r6, "2026-10-02T15:00:00Z", status="converted", **converted)

    r1 = refer(agency, 1, "HOME", CLIENT, "2026-11-02T15:00:00Z")
    move(agency, r1, "2026-11-02T18:00:00Z", status="contacted")
    move(agency, r1, "2026-11-03T15:00:00Z", status="quoting")
    converted = {"policy_number": "HO-1", "premium": 1200, "commission": 144}
    move(agency, r1, "2026-11-05T15:00:00Z", status="converted", **converted)

    r2 = refer(agency, 2, "AUTOP", CLIENT, "2026-11-03T15:00:00Z")
    move(agency, r2, "2026-11-05T15:00:00Z", status="contacted")

    r3 = refer(agency, 3, "HOME", OAK, "2026-11-04T15:00:00Z")
    move(agency, r3, "2026-11-04T16:00:00Z", status="contacted")
    move(agency, r3, "2026-11-05T15:00:00Z", status="quoting")
    converted = {"policy_number": "HO-3", "premium": 2000, "commission": 300}
    move(agency, r3, "2026-11-10T15:00:00Z", status="converted", **converted)

    refer(agency, 4, "BOP", MARIA, "2026-11-06T15:00:00Z")

    r5 = refer(agency, 5, "CGL", CHAMBER, "2026-11-09T15:00:00Z")
    move(agency, r5, "2026-11-09T16:00:00Z", status="contacted")
    move(agency, r5, "2026-11-10T15:00:00Z", status="quoting")
    move(agency, r5, "2026-11-12T15:00:00Z", status="not_converted", reason="price")
