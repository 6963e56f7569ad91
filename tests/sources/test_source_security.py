"""A source owns its ids: a signed source takes events only signed; tokens are scoped."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from referral_engine import clock
from referral_engine.agency.service import update_settings
from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, RawInput
from tests.conftest import ADMIN_TOKEN, at, run_cli
from tests.factories import event

SECRET = "whsec_" + base64.b64encode(b"the epic secret, 32 bytes long!!").decode()
NOW = "2026-12-01T16:00:00Z"


@pytest.fixture
def signed_epic(api: TestClient, ready_db: str) -> TestClient:
    with unit_of_work(ready_db) as session:
        update_settings(session, changes={"sources": {"applied-epic": {"webhook_secret": SECRET}}})
    return api


def csr_token(api: TestClient, *, sources: list[str] | None = None) -> str:
    with clock.frozen(at(NOW)):
        csr = api.post(
            "/api/v1/users",
            json={"email": "casey@agency.example", "name": "Casey Lin", "role": "csr"},
        ).json()
        body: dict[str, Any] = {"name": "zapier"}
        if sources is not None:
            body["sources"] = sources
        minted = api.post(f"/api/v1/users/{csr['id']}/tokens", json=body)
    assert minted.status_code == 201, minted.text
    return str(minted.json()["token"])


def post_as(api: TestClient, token: str, document: Any, path: str = "/api/v1/events") -> Any:
    with clock.frozen(at(NOW)):
        return api.post(path, json=document, headers={"Authorization": f"Bearer {token}"})


def signed_post(api: TestClient, document: dict[str, Any], message_id: str) -> Any:
    body = json.dumps(document)
    stamp = clock.wall()
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(msg_id=message_id, timestamp=stamp, data=body),
        "content-type": "application/json",
        "authorization": "",
    }
    with clock.frozen(at(NOW)):
        return api.post("/hooks/events/applied-epic", content=body, headers=headers)


def counts(url: str) -> tuple[int, int, list[tuple[str, str]]]:
    """Events, clients, and every raw input as (outcome, source)."""
    with unit_of_work(url) as session:
        stored = int(session.scalar(select(func.count()).select_from(Event)) or 0)
        clients = int(session.scalar(select(func.count()).select_from(Client)) or 0)
        raws = [(r.outcome, r.source) for r in session.scalars(select(RawInput))]
        return stored, clients, raws


def test_a_csr_token_posting_as_a_signed_source_is_refused_and_the_signed_event_then_accepted(
    signed_epic: TestClient, ready_db: str
) -> None:
    token = csr_token(signed_epic)
    forged = post_as(signed_epic, token, event(source="applied-epic"))
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"
    assert "/hooks/events/applied-epic" in forged.json()["detail"]
    assert counts(ready_db) == (0, 0, [("rejected", "applied-epic")])

    genuine = signed_post(signed_epic, event(source="applied-epic"), "msg_genuine")
    assert genuine.status_code == 202
    assert genuine.json() == {"event_id": "epic-778812-bind", "status": "accepted"}


def test_the_admin_token_is_refused_for_a_signed_source_too(
    signed_epic: TestClient, ready_db: str
) -> None:
    refused = post_as(signed_epic, ADMIN_TOKEN, event(source="applied-epic"))
    assert refused.status_code == 403
    assert counts(ready_db)[0] == 0


def test_a_batch_naming_a_signed_source_rejects_that_item_alone(
    signed_epic: TestClient, ready_db: str
) -> None:
    batch = [event(source="applied-epic"), event(id="zap-1", source="zapier")]
    response = post_as(signed_epic, ADMIN_TOKEN, batch, "/api/v1/events:batch")
    assert response.status_code == 200
    answer = response.json()
    assert [r["status"] for r in answer["results"]] == ["rejected", "accepted"]
    assert answer["results"][0]["forbidden"] is True
    assert counts(ready_db)[0] == 1


def test_a_scoped_token_posts_for_its_sources_only(signed_epic: TestClient, ready_db: str) -> None:
    token = csr_token(signed_epic, sources=["zapier"])
    assert post_as(signed_epic, token, event(id="z-1", source="zapier")).status_code == 202
    other = post_as(signed_epic, token, event(id="h-1", source="hubspot"))
    assert other.status_code == 403
    assert "zapier" in other.json()["detail"]
    assert counts(ready_db)[0] == 1


def test_a_token_cannot_be_scoped_to_a_signed_source(signed_epic: TestClient) -> None:
    with clock.frozen(at(NOW)):
        me = signed_epic.get("/api/v1/users").json()[0]
        response = signed_epic.post(
            f"/api/v1/users/{me['id']}/tokens", json={"name": "x", "sources": ["applied-epic"]}
        )
    assert response.status_code == 422
    assert "applied-epic" in response.json()["detail"]


def test_the_token_list_shows_each_tokens_sources(signed_epic: TestClient) -> None:
    csr_token(signed_epic, sources=["zapier", "hubspot"])
    with clock.frozen(at(NOW)):
        people = signed_epic.get("/api/v1/users").json()
        csr = next(p for p in people if p["role"] == "csr")
        listed = signed_epic.get(f"/api/v1/users/{csr['id']}/tokens").json()
    assert [t["sources"] for t in listed] == [["hubspot", "zapier"]]


def test_reprocessing_keeps_an_unsigned_input_naming_a_signed_source_rejected(
    signed_epic: TestClient, ready_db: str, cli: Any
) -> None:
    post_as(signed_epic, ADMIN_TOKEN, event(source="applied-epic"))
    code, out, _ = run_cli(cli, "--db", ready_db, "--now", NOW, "events", "--reprocess")
    assert code == 2
    assert "0 accepted" in out and "1 still rejected" in out
    assert counts(ready_db)[0] == 0
    # The genuine signed event still gets its own id.
    assert signed_post(signed_epic, event(source="applied-epic"), "m1").json()["status"] == (
        "accepted"
    )


def test_reprocessing_a_signed_input_judges_its_content_not_its_sender(
    signed_epic: TestClient, ready_db: str, cli: Any
) -> None:
    broken = event(source="applied-epic")
    broken["policy"]["premium"] = "a lot"
    assert signed_post(signed_epic, broken, "m-broken").status_code == 422
    code, out, _ = run_cli(cli, "--db", ready_db, "--now", NOW, "events", "--reprocess")
    assert code == 2 and "1 still rejected" in out
    with unit_of_work(ready_db) as session:
        latest = session.scalars(select(RawInput).order_by(RawInput.id.desc())).first()
        assert latest is not None
        assert latest.channel == "reprocess"
        assert latest.authenticated_as == "applied-epic"
        assert "premium" in (latest.reason or "")
        assert "only signed" not in (latest.reason or "")


def test_the_inputs_page_shows_each_sources_health(signed_epic: TestClient, ready_db: str) -> None:
    from bs4 import BeautifulSoup

    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

    post_as(signed_epic, ADMIN_TOKEN, event(source="applied-epic"))  # refused: rejected
    signed_post(signed_epic, event(source="applied-epic"), "m1")  # accepted
    signed_post(signed_epic, event(source="applied-epic"), "m2")  # duplicate
    signed_epic.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    with clock.frozen(at("2026-12-01T16:05:00Z")):
        page = signed_epic.get("/inputs")
    assert page.status_code == 200
    rows = BeautifulSoup(page.text, "html.parser").select("table.sources tbody tr")
    cells = [[c.get_text(" ", strip=True) for c in row.select("td")] for row in rows]
    [epic] = [c for c in cells if c[0] == "applied-epic"]
    assert epic[1] == "webhook, signed"
    assert epic[3:7] == ["3", "1", "1", "1"]
    assert epic[7] == "Dec 1, 10:00 AM CST", "on the agency's clock"
    assert epic[8] == "5d 18h"  # bound 11-25 15:30 Chicago (21:30 UTC), received 12-01 16:00
    assert "only signed events" in epic[9]
    assert "whsec_" not in page.text


def test_the_account_page_makes_a_token_scoped_to_sources(
    signed_epic: TestClient, ready_db: str
) -> None:
    from bs4 import BeautifulSoup

    from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

    signed_epic.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    with clock.frozen(at(NOW)):
        refused = signed_epic.post(
            "/account/tokens", data={"name": "epic", "sources": "applied-epic"}
        )
        assert refused.status_code == 422
        assert "applied-epic accept only signed events" in refused.text
        made = signed_epic.post(
            "/account/tokens", data={"name": "zap", "sources": "zapier, hubspot"}
        )
    token = BeautifulSoup(made.text, "html.parser").select_one("#fresh-token").get_text()
    rows = BeautifulSoup(made.text, "html.parser").select("table tbody tr")
    assert any("hubspot, zapier" in row.get_text() for row in rows)
    assert post_as(signed_epic, token, event(id="z-1", source="zapier")).status_code == 202
    assert post_as(signed_epic, token, event(id="o-1", source="other")).status_code == 403


def test_an_email_sources_health_names_its_mailbox_variable_and_counts_quarantined_mail(
    agency: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    tuning = Path(__file__).resolve().parent.parent / "data" / "mail" / "tuning"
    agency.configure('[sources.carrier-mail]\nkind = "email"\nimap_url_env = "CARRIER_MAIL_URL"\n')
    files = [str(tuning / "general-two-policies.eml"), str(tuning / "northwind-auto.eml")]
    agency.run("mail", "import", *files, "--source", "carrier-mail", now="2026-11-30T16:00:00Z")
    listed = agency.run("sources", "list", "--format", "json", now="2026-11-30T16:05:00Z")
    [mail] = [s for s in json.loads(listed) if s["name"] == "carrier-mail"]
    assert mail["kind"] == "email"
    assert mail["credentials"] == [{"env": "CARRIER_MAIL_URL", "set": False}]
    assert (mail["inputs"], mail["accepted"], mail["quarantined"]) == (2, 1, 1)


def test_an_input_refused_for_its_tokens_scope_stays_refused_when_reprocessed(
    signed_epic: TestClient, ready_db: str, cli: Any
) -> None:
    token = csr_token(signed_epic, sources=["zapier"])
    refused = post_as(signed_epic, token, event(id="h-1", source="hubspot"))
    assert refused.json()["errors"] == [
        {
            "field": "source",
            "reason": "this API token may post events for these sources only: zapier",
            "forbidden": True,
        }
    ]
    code, out, _ = run_cli(cli, "--db", ready_db, "--now", NOW, "events", "--reprocess")
    assert code == 2 and "0 accepted" in out and "1 still rejected" in out
    assert counts(ready_db)[0] == 0
