"""The profiles' record-to-event rules, as tables: which records are moments, and what
transaction and type they make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from referral_engine.sources.http import PollFailed, PollHttp, RetryPolicy
from referral_engine.sources.profiles import applied_epic, hawksoft, momentum

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"businessType": "New_Business"}, ("policy.bound", "new", "policy-7-new")),
        ({"businessType": "Rewrite"}, ("policy.bound", "rewrite", "policy-7-rewrite")),
        ({"businessType": "Renewal"}, ("policy.renewed", "renewal", "policy-7-renewal")),
        ({"businessType": "Endorsement"}, None),
        ({"businessType": "New_Business", "isQuote": True}, None),
        ({"businessType": "New_Business", "status": "Cancelled"}, None),
    ],
)
def test_momentum_business_type_decides_the_moment(
    fields: dict[str, Any], expected: tuple[str, str, str] | None
) -> None:
    record = {"databaseId": "7", "bindDate": "2026-12-01T09:00:00", "status": "Active", **fields}
    document = momentum.policy_event(record, source="momentum")
    if expected is None:
        assert document is None
    else:
        assert document is not None
        assert (document["type"], document["policy"]["transaction"], document["id"]) == expected


def test_momentum_referral_source_becomes_the_events_referral() -> None:
    record = {
        "databaseId": "7",
        "businessType": "New_Business",
        "bindDate": "2026-12-01",
        "insuredFirstName": "Dana",
        "insuredEmail": "dana@example.com",
        "referralSourceName": "Pat Lee Realty",
    }
    document = momentum.policy_event(record, source="momentum")
    assert document is not None
    assert document["referral"] == {
        "prospect": {"first_name": "Dana", "email": "dana@example.com"},
        "referred_by": {"kind": "external", "name": "Pat Lee Realty"},
    }


@pytest.mark.parametrize(
    ("status", "sold", "application", "expected"),
    [
        ("New", "2026-11-30T10:00:00", "Personal", ("policy.bound", "new")),
        ("New", "2026-11-30T10:00:00", "Commercial Rewrite", ("policy.bound", "rewrite")),
        ("New", "2026-06-01T10:00:00", "Personal", None),  # sold long ago: no moment now
        ("Renew", "2025-12-01", "Personal", ("policy.renewed", "renewal")),
        ("Active", "2026-11-30T10:00:00", "Personal", None),
    ],
)
def test_hawksoft_bind_is_status_new_with_a_recent_sold_date(
    status: str, sold: str, application: str, expected: tuple[str, str] | None
) -> None:
    record = {
        "client": {"ClientNumber": 10},
        "policy": {"Id": "p1", "Status": status, "SoldDate": sold, "ApplicationType": application},
    }
    document = hawksoft.policy_event(
        record, source="hs", zone="America/Chicago", now=NOW, recent=timedelta(days=7)
    )
    if expected is None:
        assert document is None
    else:
        assert document is not None
        assert (document["type"], document["policy"]["transaction"]) == expected


@pytest.mark.parametrize(
    ("status", "stage", "action", "expected"),
    [
        ("CONTRACTED", "ISSUED", "NEW", ("policy.bound", "new")),
        (
            {"code": "CONTRACTED"},
            {"code": "ISSUED"},
            {"code": "REWRITE"},
            ("policy.bound", "rewrite"),
        ),
        ("QUOTED", "ISSUED", "NEW", None),
        ("CONTRACTED", "SUBMITTED", "NEW", None),
        ("CONTRACTED", "ISSUED", "RENEW", ("policy.renewed", "renewal")),
        ("CONTRACTED", "ISSUED", "CANCEL", None),
    ],
)
def test_epic_bind_is_contracted_issued_and_new(
    status: Any, stage: Any, action: Any, expected: tuple[str, str] | None
) -> None:
    line = {
        "id": "L1",
        "status": status,
        "stage": stage,
        "action": action,
        "issuedOn": "2026-12-01",
    }
    document = applied_epic.line_event({"line": line, "client": {"id": "c"}}, source="epic")
    if expected is None:
        assert document is None
    else:
        assert document is not None
        assert (document["type"], document["policy"]["transaction"]) == expected


def _http(answers: list[httpx.Response], waits: list[float], max_wait: float = 60) -> PollHttp:
    queue = list(answers)
    client = httpx.Client(transport=httpx.MockTransport(lambda request: queue.pop(0)))
    return PollHttp(
        client=client,
        policy=RetryPolicy(max_retries=3, max_wait=max_wait),
        sign_in=lambda http: {},
        sleep=waits.append,
        wall=lambda: NOW,
    )


def test_a_retry_after_date_waits_until_that_instant() -> None:
    waits: list[float] = []
    http = _http(
        [
            httpx.Response(429, headers={"Retry-After": "Tue, 01 Dec 2026 16:00:30 GMT"}),
            httpx.Response(200, json=[]),
        ],
        waits,
    )
    assert http.get_json("http://ams.example/x") == []
    assert waits == [30.0]


def test_a_source_asking_for_a_longer_wait_than_allowed_ends_the_poll() -> None:
    waits: list[float] = []
    http = _http([httpx.Response(429, headers={"Retry-After": "900"})], waits, max_wait=60)
    with pytest.raises(PollFailed, match="asks to wait 900s"):
        http.get_json("http://ams.example/x?secret=1")
    assert waits == []


def test_a_client_error_fails_at_once_naming_the_path_not_the_query() -> None:
    http = _http([httpx.Response(403, json={"message": "agency not shared"})], [])
    with pytest.raises(PollFailed) as failure:
        http.get_json("http://ams.example/vendor/x", params={"key": "s3cret"})
    assert str(failure.value) == "GET /vendor/x answered 403: agency not shared"
