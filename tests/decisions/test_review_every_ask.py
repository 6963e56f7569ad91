"""`[review] all_asks = true`: every ask goes to its owner first, saying why."""

from __future__ import annotations

from tests.agency import Agency, bind, detail


def test_with_all_asks_every_ask_waits_for_its_owner(agency: Agency) -> None:
    agency.configure("[review]\nall_asks = true\n")
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    assert detail(ask, "needs_review") == "all_asks: the agency reviews every ask"
    assert ask["producer"] == "Sam Ortiz"


def test_without_all_asks_an_ordinary_ask_is_scheduled(agency: Agency) -> None:
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    assert agency.only_ask()["status"] == "scheduled"
