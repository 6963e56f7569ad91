"""Lists people can work: search (phones in any format, policy numbers), sort, pages with
counts, bad parameters answered in plain words; times on the agency's clock."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.agency import Agency
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.factories import event

IMPORTED = "2026-11-25T22:00:00Z"
BATCHES = ("2026-11-26T15:00:00Z", "2026-11-27T15:00:00Z", "2026-11-28T15:00:00Z")


def client_bind(n: int, **client: Any) -> dict[str, Any]:
    """A bind for client number ``n`` (a distinct person, number and policy)."""
    person = {
        "external_id": f"C-{n:04d}",
        "first_name": f"Client{n:03d}",
        "last_name": "Tester" if n % 2 else "Sample",
        "email": f"client{n}@example.com",
        "mobile": f"+1312555{n:04d}",
        **client,
    }
    document = event(id=f"bind-{n}")
    document["client"].update(person)
    document["policy"]["number"] = f"PA-{700000 + n}"
    return document


def signed_in(agency: Agency) -> Any:
    response = agency.api.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return agency.api


def rows(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [tr.get("id", "") for tr in soup.select("tbody tr[id]")]


def pager(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    return " ".join(soup.select_one(".pager").get_text(" ").split())


@pytest.fixture
def many_asks(agency: Agency) -> dict[str, list[int]]:
    """55 asks made at three stated instants: 20, 20, then 15 clients; ask ids by batch."""
    made: dict[str, list[int]] = {}
    numbers = iter(range(1, 56))
    for batch, size in zip(BATCHES, (20, 20, 15), strict=True):
        agency.feed(*(client_bind(next(numbers)) for _ in range(size)), now=batch)
        agency.tick(batch)
        seen = {i for ids in made.values() for i in ids}
        made[batch] = sorted(a["id"] for a in agency.asks() if a["id"] not in seen)
    return made


def test_asks_page_two_shows_the_oldest_five_with_counts_newest_first(
    agency: Agency, many_asks: dict[str, list[int]]
) -> None:
    page = signed_in(agency)
    first = page.get("/asks")
    assert first.status_code == 200
    assert "Showing 1–50 of 55" in pager(first.text)
    shown = rows(first.text)
    newest = [f"ask-{i}" for i in sorted(many_asks[BATCHES[2]], reverse=True)]
    assert shown[:15] == newest, "the newest batch first"
    second = page.get("/asks?page=2")
    assert "Showing 51–55 of 55" in pager(second.text)
    oldest = sorted(many_asks[BATCHES[0]], reverse=True)[-5:]
    assert rows(second.text) == [f"ask-{i}" for i in oldest]
    soup = BeautifulSoup(second.text, "html.parser")
    assert soup.select_one("a[rel=prev]")["href"] == "/asks"
    assert soup.select_one("a[rel=next]") is None
