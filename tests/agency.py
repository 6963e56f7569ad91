"""An agency driven as a user would: `referral import`, `referral tick --now`, the API."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from referral_engine import clock
from tests.conftest import ADMIN_TOKEN, at, run_cli
from tests.factories import event, write_jsonl

if TYPE_CHECKING:
    from tests.smtp_server import SmtpServer
    from tests.twilio_double import TwilioDouble

MAIL_FROM = "Lakeside Insurance <asks@agency.example>"
AGENCY_NUMBER = "+13125550100"
PUBLIC_URL = "https://refer.agency.example"
POSTAL = "200 W Lake St, Suite 400, Chicago, IL 60606"


def wire_providers(
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
    *,
    public_url: str | None = PUBLIC_URL,
) -> None:
    """Point email at the suite's SMTP server and SMS at its Twilio double (and links at
    ``public_url``, unless None)."""
    monkeypatch.setenv("REFERRAL_SMTP_URL", smtp_server.url)
    monkeypatch.setenv("REFERRAL_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("REFERRAL_TWILIO_ACCOUNT_SID", twilio_double.account_sid)
    monkeypatch.setenv("REFERRAL_TWILIO_AUTH_TOKEN", twilio_double.auth_token)
    monkeypatch.setenv("REFERRAL_TWILIO_FROM", AGENCY_NUMBER)
    monkeypatch.setenv("REFERRAL_TWILIO_API_BASE", twilio_double.base_url)
    if public_url is not None:
        monkeypatch.setenv("REFERRAL_PUBLIC_URL", public_url)


def wire_agency(
    agency: Agency,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SmtpServer,
    twilio_double: TwilioDouble,
) -> Agency:
    """:func:`wire_providers`, and the agency's name and postal address (what an email to
    a client needs)."""
    wire_providers(monkeypatch, smtp_server, twilio_double)
    agency.configure(f'[agency]\nname = "Lakeside Insurance"\npostal_address = "{POSTAL}"\n')
    return agency


class Agency:
    """One agency's database, fed through the CLI and read through the API."""

    def __init__(self, url: str, cli: CliRunner, api: TestClient, tmp: Path) -> None:
        self.url, self.cli, self.api, self.tmp = url, cli, api, tmp
        self._files = itertools.count(1)

    def run(self, *args: str, now: str, expect: int = 0) -> str:
        code, out, err = run_cli(self.cli, "--db", self.url, "--now", now, *args)
        assert code == expect, f"exit {code}: {out}{err}"
        return out + err

    def feed(self, *documents: dict[str, Any], now: str, source: str = "epic") -> str:
        path = write_jsonl(self.tmp / f"events-{next(self._files)}.jsonl", list(documents))
        return self.run("import", str(path), "--source", source, "--quiet", now=now)

    def tick(self, now: str) -> str:
        return self.run("tick", now=now)

    def configure(self, toml: str, *, now: str = "2026-11-01T12:00:00Z") -> None:
        path = self.tmp / f"agency-{next(self._files)}.toml"
        path.write_text(toml, encoding="utf-8")
        self.run("init", "--config", str(path), now=now)

    def asks(self, **params: str) -> list[dict[str, Any]]:
        response = self.api.get("/api/v1/asks", params=params)
        assert response.status_code == 200, response.text
        return list(response.json())

    def only_ask(self, **params: str) -> dict[str, Any]:
        found = self.asks(**params)
        assert len(found) == 1, found
        return self.ask(found[0]["id"])

    def ask(self, ask_id: int) -> dict[str, Any]:
        response = self.api.get(f"/api/v1/asks/{ask_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def post(self, path: str, body: Any, *, now: str, token: str = ADMIN_TOKEN) -> Any:
        with clock.frozen(at(now)):
            return self.api.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def bind(**overrides: Any) -> dict[str, Any]:
    """A personal auto bind for Dana Reyes (Chicago mobile), as INTERFACE.md shows it."""
    return event(**overrides)


def rules_of(ask: dict[str, Any]) -> list[str]:
    return [r["rule"] for r in ask["reasons"]]


def detail(ask: dict[str, Any], rule: str) -> str:
    return " | ".join(r["detail"] for r in ask["reasons"] if r["rule"] == rule)


def timeline(ask: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(e["kind"], e["rule"], e["status"]) for e in ask["timeline"]]
