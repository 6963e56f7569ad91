"""Helpers for the page-form tests: a browser-like client signed in as the first admin."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


def signed_in(api: TestClient) -> TestClient:
    """``api``'s app as a person's browser: no bearer token, a session cookie."""
    client = TestClient(api.app, raise_server_exceptions=True)
    response = client.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return client


def soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    return BeautifulSoup(response.text, "html.parser")


def field_error(page: BeautifulSoup, name: str) -> str:
    """The words shown next to the field ``name``, checked to be wired for a screen
    reader (``aria-invalid`` and ``aria-describedby`` naming the message)."""
    field = page.find(attrs={"name": name})
    assert field is not None, f"no field {name}"
    assert field.get("aria-invalid") == "true", f"{name} is not marked invalid"
    said = []
    for ident in field["aria-describedby"].split():
        described = page.find(id=ident)
        assert described is not None, f"{name}'s message {ident} is missing"
        said.append(described.get_text(" ", strip=True))
    return " ".join(said)
