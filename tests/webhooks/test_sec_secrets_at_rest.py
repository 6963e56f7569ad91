"""Secrets encrypted at rest with REFERRAL_ENCRYPTION_KEY: the database holds no signing
key or webhook secret in the clear, and signing still works end to end (issue 14, item 5)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from referral_engine import clock
from referral_engine.agency.models import AgencySettingsRow
from referral_engine.agency.service import secret_key
from referral_engine.db import unit_of_work
from referral_engine.web.app import create_app
from tests.agency import Agency, bind
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, run_cli
from tests.factories import event
from tests.webhooks.receiver import WebhookReceiver
from tests.webhooks.support import subscribe

KEY = Fernet.generate_key().decode()
SOURCE_SECRET = "whsec_" + base64.b64encode(b"the epic source's own secret key").decode()
BOUND = "2026-12-01T15:00:00Z"


@pytest.fixture
def encryption_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Set before the database is made (list it before ``agency``)."""
    monkeypatch.setenv("REFERRAL_ENCRYPTION_KEY", KEY)
    return KEY


def stored(url: str) -> AgencySettingsRow:
    with unit_of_work(url) as session:
        row = session.scalars(select(AgencySettingsRow)).one()
        session.expunge(row)
        return row


def configure_secrets(agency: Agency, receiver: WebhookReceiver) -> None:
    subscribe(agency, receiver)
    agency.configure(f'[sources.ams-hooks]\nwebhook_secret = "{SOURCE_SECRET}"\n')


def signed(body: str) -> dict[str, str]:
    now = clock.wall()
    return {
        "webhook-id": "msg_enc_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(SOURCE_SECRET).sign("msg_enc_1", now, body),
        "content-type": "application/json",
    }


def plaintext_in(row: AgencySettingsRow, *secrets: str) -> list[str]:
    text = json.dumps(row.document) + row.secret_key
    return [secret for secret in secrets if secret in text]


def test_with_the_key_set_no_secret_is_stored_in_the_clear_and_signing_works(
    encryption_key: str, agency: Agency, receiver: WebhookReceiver
) -> None:
    configure_secrets(agency, receiver)
    row = stored(agency.url)
    assert row.secret_key.startswith("enc:v1:")
    assert row.document["webhooks"]["crm"]["secret"].startswith("enc:v1:")
    assert row.document["sources"]["ams-hooks"]["webhook_secret"].startswith("enc:v1:")
    with unit_of_work(agency.url) as session:
        signing_key = secret_key(session)
    assert plaintext_in(row, receiver.secret, SOURCE_SECRET, signing_key) == []

    # Webhooks out: signed with the decrypted secret, verified by the receiver.
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    assert "ask.decided" in [r.type for r in receiver.delivered()]

    with TestClient(create_app(agency.url)) as browser:
        # Webhooks in: a delivery signed with the source's secret is accepted.
        body = json.dumps(event(id="epic-enc-1", source="ams-hooks"))
        answer = browser.post("/hooks/events/ams-hooks", content=body, headers=signed(body))
        assert answer.status_code == 202, answer.text
        # Sessions: the cookie is signed with the decrypted key and read back.
        login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        assert browser.post("/login", data=login, follow_redirects=False).status_code == 303
        assert browser.get("/account", follow_redirects=False).status_code == 200


def test_plain_secrets_keep_working_and_are_encrypted_by_the_next_init(
    agency: Agency, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_secrets(agency, receiver)
    before = stored(agency.url)
    assert before.document["webhooks"]["crm"]["secret"] == receiver.secret, "no key: plain"
    plain_key = before.secret_key

    monkeypatch.setenv("REFERRAL_ENCRYPTION_KEY", KEY)
    with unit_of_work(agency.url) as session:
        assert secret_key(session) == plain_key, "a plain value still reads"
    output = agency.run("init", now=BOUND)
    assert "stored encrypted" in output
    after = stored(agency.url)
    assert plaintext_in(after, receiver.secret, SOURCE_SECRET, plain_key) == []
    with unit_of_work(agency.url) as session:
        assert secret_key(session) == plain_key, "the same key: links already sent still work"
    agency.feed(bind(), now=BOUND)
    agency.tick(BOUND)
    assert receiver.delivered(), "verified with the decrypted secret"


def test_without_the_key_or_with_a_wrong_one_nothing_is_guessed(
    encryption_key: str, agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stored(agency.url)
    monkeypatch.delenv("REFERRAL_ENCRYPTION_KEY")
    code, out, err = run_cli(agency.cli, "--db", agency.url, "init")
    assert code == 2 and "set REFERRAL_ENCRYPTION_KEY" in out + err
    monkeypatch.setenv("REFERRAL_ENCRYPTION_KEY", Fernet.generate_key().decode())
    code, out, err = run_cli(agency.cli, "--db", agency.url, "init")
    assert code == 2 and "does not decrypt" in out + err
    assert stored(agency.url).secret_key == before.secret_key, "nothing changed"


def test_a_malformed_key_stops_every_command(
    agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERRAL_ENCRYPTION_KEY", "not-a-key")
    code, out, err = run_cli(agency.cli, "--db", agency.url, "tick")
    assert code == 2 and "must be a Fernet key" in out + err


def test_a_key_is_rotated_by_listing_the_new_one_first_and_running_init(
    encryption_key: str, agency: Agency, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_secrets(agency, receiver)
    with unit_of_work(agency.url) as session:
        signing_key = secret_key(session)
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("REFERRAL_ENCRYPTION_KEY", f"{new},{KEY}")
    agency.run("init", now=BOUND)
    monkeypatch.setenv("REFERRAL_ENCRYPTION_KEY", new)
    with unit_of_work(agency.url) as session:
        assert secret_key(session) == signing_key
    row: Any = stored(agency.url)
    assert (
        Fernet(new).decrypt(row.secret_key.removeprefix("enc:v1:").encode()).decode() == signing_key
    )


def test_a_new_key_is_printed_by_the_cli(agency: Agency) -> None:
    code, out, _ = run_cli(agency.cli, "secrets", "new-key")
    assert code == 0
    Fernet(out.strip())  # a valid key
