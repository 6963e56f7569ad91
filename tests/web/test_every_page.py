"""Every page, as the people who use it see it: the demo agency served to a real Chromium,
signed in as the principal, a producer and a CSR, each page at laptop (1280 px) and phone
(390 px) width. No page may scroll sideways, answer an error, or break the content security
policy; the phone menu folds and unfolds; and a screenshot of every page is saved to
``screenshots/`` (or ``$REFERRAL_SCREENSHOTS``) for people to look at."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from referral_engine import clock
from referral_engine.agency.service import secret_key
from referral_engine.asks.models import Ask
from referral_engine.db import unit_of_work
from referral_engine.delivery import links
from tests.conftest import at, run_cli
from tests.web.conftest import LiveServer

pytestmark = [pytest.mark.browser]

NOW = "2026-11-23T18:00:00Z"
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
PEOPLE = {
    "principal": ("principal@lakeside.example", "demo-principal"),
    "producer": ("sam.ortiz@lakeside.example", "demo-sam-ortiz"),
    "csr": ("ana.ruiz@lakeside.example", "demo-ana-ruiz"),
}
PAGES_PER_PERSON = 50
# Links that act, download, or leave the signed-in app.
SKIP = re.compile(r"^/(static|api|docs|redoc|openapi|r/|u/|refer/|invite/|logout)|format=csv")


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("REFERRAL_SCREENSHOTS", "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shape(path: str) -> str:
    """Pages of one kind (``/asks/12`` and ``/asks/13``; ``/asks?page=2`` and
    ``?page=3``) are visited once each."""
    parts = urlsplit(path)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"/\d+", "/N", parts.path) + ("?" + "&".join(keys) if keys else "")


def slug(path: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "-", path).strip("-") or "dashboard"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = f"sqlite:///{tmp_path_factory.mktemp('every-page') / 'demo.db'}"
    code, _, err = run_cli(
        CliRunner(), "--db", url, "--now", NOW, "demo", "--no-serve", "--weeks", "4", "--seed", "7"
    )
    assert code == 0, err
    with LiveServer(url) as server:
        yield server


def public_links(db_url: str) -> dict[str, str]:
    """A client's own pages: the referral form and the unsubscribe page of a sent ask."""
    with unit_of_work(db_url) as session:
        key = secret_key(session)
        token = session.scalar(select(Ask.token).where(Ask.token.is_not(None)).limit(1))
    assert token, "the demo sends asks"
    return {
        "login": "/login",
        "refer": f"/refer/{links.sign(token, purpose=links.REFER, key=key)}",
        "unsubscribe": f"/u/{links.sign(token, purpose=links.UNSUBSCRIBE, key=key)}",
    }


def visit(page, base: str, label: str, path: str, name: str = "") -> None:  # type: ignore[no-untyped-def]
    """Open ``path`` at each width, as a visitor on that screen would: it answers without
    an error, does not scroll sideways, and leaves a screenshot."""
    folder = screenshot_dir()
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(base + path)
        assert response is not None and response.status < 400, (
            f"{label}: {path} answered {response.status if response else 'nothing'}"
        )
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{label}: {path} scrolls sideways by {overflow}px at {width}px"
        page.screenshot(
            path=str(folder / f"{label}-{name or slug(path)}-{width_name}.png"), full_page=True
        )


def test_every_page_fits_a_phone_and_a_laptop_for_each_role(  # type: ignore[no-untyped-def]
    demo_server, browser
) -> None:
    clock.pin(at(NOW))
    violations: list[str] = []
    try:
        visited_by: dict[str, list[str]] = {}
        for label, (email, password) in PEOPLE.items():
            context = browser.new_context()
            page = context.new_page()
            page.on(
                "console",
                lambda message: (
                    violations.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.goto(demo_server.url + "/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url(demo_server.url + "/")

            # Pages first, then the same pages filtered, sorted or paged.
            pages, variants, seen, visited = ["/"], [], set(), []
            while (pages or variants) and len(visited) < PAGES_PER_PERSON:
                path = pages.pop(0) if pages else variants.pop(0)
                if shape(path) in seen:
                    continue
                seen.add(shape(path))
                visit(page, demo_server.url, label, path)
                visited.append(path)
                for href in page.eval_on_selector_all(
                    "a[href]", "links => links.map(a => a.getAttribute('href'))"
                ):
                    if href.startswith("/") and not SKIP.search(href):
                        link = href.split("#", 1)[0]
                        (variants if "?" in link else pages).append(link)
            visited_by[label] = visited
            context.close()
    finally:
        clock.pin(None)
    assert not violations, violations
    everyone = {shape(p) for paths in visited_by.values() for p in paths}
    for expected in (
        "/",
        "/review",
        "/asks",
        "/tasks",
        "/referrals",
        "/outbox",
        "/contacts",
        "/reports",
        "/reports/sources",
        "/reports/funnel",
        "/reports/roi",
        "/inputs",
        "/account",
    ):
        assert expected in everyone
    assert "/team" in {shape(p) for p in visited_by["principal"]}
    assert "/team" not in {shape(p) for p in visited_by["csr"]}, "a CSR has no Team link"
    assert any(p.startswith("/referrals/") for p in visited_by["principal"]), "detail pages too"


def test_public_pages_fit_a_phone(demo_server, browser) -> None:  # type: ignore[no-untyped-def]
    clock.pin(at(NOW))
    try:
        context = browser.new_context()
        page = context.new_page()
        for name, path in public_links(demo_server.db_url).items():
            visit(page, demo_server.url, "client", path, name)
        context.close()
    finally:
        clock.pin(None)


def test_the_phone_menu_folds_behind_a_button(demo_server, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(demo_server.url + "/login")
    page.fill("input[name=email]", PEOPLE["principal"][0])
    page.fill("input[name=password]", PEOPLE["principal"][1])
    page.click("button[type=submit]")
    page.wait_for_url(demo_server.url + "/")

    toggle = page.locator("button.menu-toggle")
    header_height = page.locator("header.top").bounding_box()["height"]
    assert header_height < 80, f"the folded header is {header_height}px tall"
    assert not page.locator("nav >> text=Review queue").is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.locator("nav >> text=Review queue").click()
    page.wait_for_url(demo_server.url + "/review")
    assert page.locator("h1").first.is_visible()

    page.set_viewport_size({"width": 1280, "height": 800})
    assert page.locator("nav >> text=Review queue").is_visible(), "always open on a laptop"
    assert not toggle.is_visible()
    context.close()
