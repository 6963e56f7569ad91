"""schemathesis against ``/openapi.json``: whatever it sends, no answer is a 5xx.

Every operation the schema describes is called with generated inputs (valid and invalid:
strings where numbers go, huge integers, missing fields, odd bodies) as the admin, on a
database holding an agency's data. The only check is the one the edge promises: a
request the server cannot serve is the client's 4xx, never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.agency import Agency, bind
from tests.conftest import ADMIN_TOKEN

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def api_schema(agency: Agency) -> Any:
    from referral_engine.web.app import create_app

    # Something to find: a client with an ask, so ids 1.. exist.
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(agency.url))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_input_makes_the_server_fail(case: Any) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, checks=[not_a_server_error]
    )
