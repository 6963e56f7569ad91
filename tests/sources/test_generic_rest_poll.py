"""Generic REST: any JSON API read through a TOML mapping, by `referral sources poll`
against a stand-in CRM: page numbers, a 429, a 500, a 401 mid-poll; only records the
mapping's [when] selects become events, and a won deal becomes an ask after `tick`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from referral_engine.sources import http as poll_http
from tests.agency import Agency
from tests.sources.standin import Answer, Seen, StandIn, serving

NOW = "2026-12-01T16:00:00Z"
API_KEY = "crm-key-123"

MAPPING = """
[request]
url = "{url}/api/v2/deals"
auth_header = "X-Api-Key"
auth_prefix = ""
items_path = "data"
cursor_param = "updated_since"
changed_path = "updated_at"
page_param = "page"
size_param = "per_page"

[when]
"stage" = ["won"]

[profile]
id = "deal-{{id}}-won"
date_formats = ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"]

[columns]
"closed_at" = "occurred_at"
"customer.id" = "client.external_id"
"customer.first_name" = "client.first_name"
"customer.last_name" = "client.last_name"
"customer.email" = "client.email"
"product" = "policy.line_of_business"
"amount" = "policy.premium"

[constants]
type = "policy.bound"
"policy.transaction" = "new"
"""


def deal(deal_id: int, updated: str, stage: str = "won", **fields: Any) -> dict[str, Any]:
    record = {
        "id": deal_id,
        "stage": stage,
        "updated_at": updated,
        "closed_at": updated,
        "customer": {
            "id": f"cust-{deal_id}",
            "first_name": "Dana",
            "last_name": "Reyes",
            "email": f"d{deal_id}@example.com",
        },
        "product": "HOME",
        "amount": "1,200.00",
    }
    record.update(fields)
    return record


@dataclass
class Crm(StandIn):
    deals: list[dict[str, Any]] = field(default_factory=list)

    def route(self, request: Seen) -> Answer:
        if request.headers.get("x-api-key") != API_KEY:
            return 401, {}, {"error": "bad key"}
        since = datetime.fromisoformat(request.query["updated_since"].replace("Z", "+00:00"))
        rows = sorted(
            (
                d
                for d in self.deals
                if datetime.fromisoformat(d["updated_at"].replace("Z", "+00:00")) > since
            ),
            key=lambda d: d["updated_at"],
        )
        size, number = int(request.query["per_page"]), int(request.query["page"])
        return 200, {}, {"data": rows[(number - 1) * size : number * size], "page": number}


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(poll_http, "pause", recorded.append)
    return recorded


@pytest.fixture
def crm(agency: Agency, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Crm]:
    stand_in = Crm(
        deals=[
            deal(1, "2026-12-01T14:00:00Z"),
            deal(2, "2026-12-01T14:05:00Z", stage="proposal"),
            deal(3, "2026-12-01T14:10:00Z", closed_at="yesterday"),
            deal(4, "2026-12-01T14:15:00Z"),
            deal(5, "2026-12-01T14:20:00Z", stage="lost"),
        ]
    )
    monkeypatch.setenv("CRM_API_KEY", API_KEY)
    with serving(stand_in):
        mapping = tmp_path / "crm.toml"
        mapping.write_text(MAPPING.format(url=stand_in.url), encoding="utf-8")
        agency.configure(
            "[sources.crm]\n"
            'kind = "poll"\nprofile = "generic-rest"\n'
            f'mapping = "{mapping}"\ntoken_env = "CRM_API_KEY"\npage_size = 2\n'
        )
        yield stand_in


def poll(agency: Agency, now: str = NOW, expect: int = 0) -> str:
    return agency.run("sources", "poll", "crm", now=now, expect=expect)


def test_pages_a_429_a_500_and_a_401_then_each_won_deal_once(
    agency: Agency, crm: Crm, waits: list[float]
) -> None:
    crm.fail_once("/api/v2/deals", 429, nth=2, headers={"Retry-After": "4"})
    crm.fail_once("/api/v2/deals", 500, nth=3)
    crm.fail_once("/api/v2/deals", 401, nth=3)  # counted on the requests the others let by

    out = poll(agency)

    assert "read 5 record(s) on 3 page(s)" in out
    assert "2 accepted" in out and "1 rejected" in out and "2 not a moment" in out
    assert waits == [4.0, 1.0]
    assert [r.query["page"] for r in crm.requests_to("/api/v2/deals")] == [
        "1", "2", "2", "3", "3", "3",
    ]  # fmt: skip
    rejected = agency.api.get("/api/v1/events", params={"outcome": "rejected"}).json()
    assert [(r["source"], r["channel"]) for r in rejected] == [("crm", "poll")]
    assert "'yesterday' matches none of the date formats" in rejected[0]["reason"]
    assert '"closed_at": "yesterday"' in rejected[0]["body"]  # the record as sent


def test_a_won_deal_becomes_one_ask_and_polling_again_reads_from_the_cursor(
    agency: Agency, crm: Crm, waits: list[float]
) -> None:
    poll(agency)
    again = poll(agency, now="2026-12-01T16:30:00Z")
    assert "read 0 record(s)" in again
    assert crm.requests_to("/api/v2/deals")[-1].query["updated_since"] == "2026-12-01T14:20:00Z"
    agency.tick("2026-12-01T16:35:00Z")
    assert len(agency.asks(client_external_id="cust-1")) == 1


def test_a_mapping_without_its_request_table_is_a_clear_error(
    agency: Agency, crm: Crm, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[columns]\n"id" = "id"\n', encoding="utf-8")
    agency.configure(
        f'[sources.crm]\nkind = "poll"\nprofile = "generic-rest"\nmapping = "{broken}"\n'
    )
    out = poll(agency, expect=1)
    assert "needs a [request] table" in out
    assert crm.seen == []


def test_a_rejected_record_is_accepted_by_reprocess_once_the_mapping_is_fixed(
    agency: Agency, crm: Crm, waits: list[float], tmp_path: Path
) -> None:
    poll(agency)
    mapping = tmp_path / "crm.toml"
    fixed = mapping.read_text(encoding="utf-8").replace(
        '"closed_at" = "occurred_at"', '"updated_at" = "occurred_at"'
    )
    mapping.write_text(fixed, encoding="utf-8")
    crm.seen.clear()

    out = agency.run("events", "--reprocess", now="2026-12-01T16:10:00Z")

    assert "Re-processed 1: 1 accepted" in out
    assert crm.seen == []  # the kept record is read again, the API is not asked
    kept = agency.api.get("/api/v1/events", params={"source": "crm"}).json()
    assert (kept[0]["event_id"], kept[0]["channel"], kept[0]["outcome"]) == (
        "deal-3-won",
        "reprocess",
        "accepted",
    )
