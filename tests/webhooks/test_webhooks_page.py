"""The Webhooks page: a principal sees deliveries newest first with status, attempts and
last error, and resends one; others are refused. The Settings page shows the
subscribers, and a principal saving it keeps the secret they cannot see."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.users.models import Role
from referral_engine.web.app import create_app
from tests.agency import Agency, bind
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.team_members import PASSWORD, member
from tests.webhooks.receiver import WebhookReceiver
from tests.webhooks.support import only_delivery, subscribe

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

BOUND = "2026-12-01T15:00:00Z"


def signed_in(url: str, email: str, password: str) -> TestClient:
    browser = TestClient(create_app(url))
    answer = browser.post("/login", data={"email": email, "password": password})
    assert answer.status_code in (200, 303), answer.text
    return browser


def test_a_principal_sees_a_failing_delivery_and_resends_it(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    receiver.fail_next(1, status=500)
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    member(agency.url, email="pat@agency.example", role=Role.principal, name="Pat Lin")
    principal = signed_in(agency.url, "pat@agency.example", PASSWORD)

    with clock.frozen(at("2026-12-01T15:00:10Z")):
        page = BeautifulSoup(principal.get("/").text, "html.parser")
        assert page.select_one('nav a[href="/webhooks"]') is not None
        listed = BeautifulSoup(principal.get("/webhooks").text, "html.parser")
    [row] = listed.select("tr.delivery")
    text = " ".join(row.get_text(" ").split())
    assert "ask.decided" in text and "crm" in text and "C-1001" in text
    assert row["data-status"] == "retrying"
    assert "HTTP 500" in text
    form = row.select_one("form")
    assert form is not None and form.get_text(strip=True) == "Resend"

    with clock.frozen(at("2026-12-01T15:00:10Z")):
        resent = principal.post(str(form["action"]), follow_redirects=True)
    assert resent.status_code == 200
    assert "will be sent again" in resent.text
    agency.tick("2026-12-01T15:00:10Z")  # before the 30 s backoff: the resend goes now
    assert [r.answered for r in receiver.received] == [500, 204]
    assert receiver.received[0].webhook_id == receiver.received[1].webhook_id
    done = only_delivery(agency)
    assert (done["status"], done["resent_by"]) == ("delivered", "Pat Lin")

    with clock.frozen(at("2026-12-01T15:01:00Z")):
        delivered = principal.get("/webhooks", params={"status": "delivered"}).text
        retrying = principal.get("/webhooks", params={"status": "retrying"}).text
    assert len(BeautifulSoup(delivered, "html.parser").select("tr.delivery")) == 1
    assert BeautifulSoup(retrying, "html.parser").select("tr.delivery") == []


def test_a_producer_may_not_see_the_webhooks_page(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    member(agency.url, email="sam@agency.example", role=Role.producer)
    producer = signed_in(agency.url, "sam@agency.example", PASSWORD)
    home = BeautifulSoup(producer.get("/").text, "html.parser")
    assert home.select_one('nav a[href="/webhooks"]') is None
    assert producer.get("/webhooks").status_code == 403
    delivery_id = only_delivery(agency)["id"]
    assert producer.post(f"/webhooks/{delivery_id}/resend").status_code == 403
    assert only_delivery(agency)["resent_at"] is None


def test_a_principal_saving_the_settings_keeps_the_webhook_secret_they_cannot_see(
    agency: Agency, receiver: WebhookReceiver
) -> None:
    subscribe(agency, receiver, events='["ask.decided"]')
    source_secret = "whsec_" + "c2lnbmVkIHNvdXJjZSBzZWNyZXQgZm9yIHRlc3Rz"
    agency.configure(f'[sources.ams-hook]\nwebhook_secret = "{source_secret}"\n')
    member(agency.url, email="pat@agency.example", role=Role.principal)
    principal = signed_in(agency.url, "pat@agency.example", PASSWORD)
    page = BeautifulSoup(principal.get("/settings").text, "html.parser")
    textarea = page.select_one("textarea[name=document]")
    assert textarea is not None
    document = textarea.get_text()
    assert "[webhooks.crm]" in document and receiver.url in document
    assert receiver.secret not in document, "only an admin sees secrets"
    assert source_secret not in document
    saved = principal.post("/settings", data={"document": document})
    assert saved.status_code == 200, saved.text
    with unit_of_work(agency.url) as session:
        kept = load_settings(session)
        assert kept.webhooks["crm"].secret == receiver.secret
        assert kept.sources["ams-hook"].webhook_secret == source_secret

    admin = signed_in(agency.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert receiver.secret in admin.get("/settings").text
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    assert receiver.types() == ["ask.decided"], "still signed with the kept secret"
