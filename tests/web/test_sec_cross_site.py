"""Cross-site form posts are refused; the app's own forms still work (issue 14, item 5)."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from referral_engine import clock
from referral_engine.agency.models import AgencySettingsRow
from referral_engine.db import unit_of_work
from referral_engine.web.origin import refusal
from tests.agency import Agency, bind
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.web.conftest import free_port
from tests.web.test_pages import sign_in

APP = "http://127.0.0.1:8000"


def _scope(headers: dict[str, str], *, path: str = "/settings", method: str = "POST") -> Any:
    raw = [(b"host", b"127.0.0.1:8000")] + [
        (name.lower().encode(), value.encode()) for name, value in headers.items()
    ]
    return {"type": "http", "method": method, "path": path, "scheme": "http", "headers": raw}


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({}, False),  # a script or a test client: no browser headers
        ({"Origin": APP}, False),
        ({"Origin": "http://127.0.0.1:8000/"}, False),
        ({"Origin": "http://127.0.0.1:9999"}, True),  # another port: another origin
        ({"Origin": "https://127.0.0.1:8000"}, True),  # another scheme
        ({"Origin": "http://evil.example"}, True),
        ({"Origin": "null"}, True),
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, False),  # no-referrer pages
        ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, True),
        ({"Sec-Fetch-Site": "same-origin", "Origin": APP}, False),
        ({"Sec-Fetch-Site": "none"}, False),
        ({"Sec-Fetch-Site": "same-site", "Origin": APP}, True),
        ({"Sec-Fetch-Site": "cross-site"}, True),
        ({"Referer": APP + "/settings"}, False),
        ({"Referer": "http://127.0.0.1:9999/attack.html"}, True),
        ({"Origin": "https://crm.lakeside.example"}, False),  # REFERRAL_PUBLIC_URL
    ],
)
def test_the_origin_rule(headers: dict[str, str], refused: bool) -> None:
    why = refusal(_scope(headers), trust_proxy=False, public_url="https://crm.lakeside.example")
    assert (why is not None) is refused, why


def test_safe_methods_the_api_and_hooks_are_not_checked() -> None:
    cross = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    for path, method in [
        ("/settings", "GET"),
        ("/api/v1/asks/1/approve", "POST"),
        ("/hooks/events/epic", "POST"),
        ("/u/abc", "POST"),
    ]:
        scope = _scope(cross, path=path, method=method)
        assert refusal(scope, trust_proxy=False, public_url="") is None


def test_a_token_page_posting_its_own_form_without_a_referrer_passes() -> None:
    own = _scope({"Origin": "null"}, path="/refer/abc")
    assert refusal(own, trust_proxy=False, public_url="") is None
    framed = _scope({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, path="/refer/abc")
    assert refusal(framed, trust_proxy=False, public_url="") is not None


def test_behind_a_trusted_proxy_the_forwarded_host_is_the_origin() -> None:
    headers = {"Origin": "https://crm.lakeside.example"}
    scope = _scope(
        headers | {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "crm.lakeside.example"}
    )
    assert refusal(scope, trust_proxy=True, public_url="") is None
    assert refusal(scope, trust_proxy=False, public_url="") is not None


def _signed_in(api: TestClient) -> None:
    answer = api.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert answer.status_code in (200, 303), answer.text


def _document(url: str) -> Any:
    with unit_of_work(url) as session:
        row = session.scalars(select(AgencySettingsRow)).first()
        return dict(row.document) if row else None


def test_a_cross_site_settings_post_is_refused_in_plain_words(
    api: TestClient, ready_db: str
) -> None:
    _signed_in(api)
    before = _document(ready_db)
    answer = api.post(
        "/settings",
        data={"document": '[agency]\nname = "Taken"\n'},
        headers={"Origin": "http://127.0.0.1:9999", "Sec-Fetch-Site": "same-site"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "Nothing was changed" in answer.text
    assert _document(ready_db) == before


def test_a_cross_site_login_and_logout_are_refused(api: TestClient) -> None:
    evil = {"Origin": "http://evil.example"}
    answer = api.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, headers=evil
    )
    assert answer.status_code == 403
    assert "referral_session" not in answer.headers.get("set-cookie", "")
    _signed_in(api)
    assert api.post("/logout", headers=evil, follow_redirects=False).status_code == 403
    assert api.get("/account", follow_redirects=False).status_code == 200, "still signed in"


def test_a_same_origin_post_goes_through(api: TestClient) -> None:
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    answer = api.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers=own,
        follow_redirects=False,
    )
    assert answer.status_code == 303


class Attacker:
    """A second web server on another port of the same host, serving one page whose form
    posts itself to the app as soon as it loads."""

    def __init__(self) -> None:
        self.page = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(owner.page)

            def log_message(self, *args: object) -> None:
                pass

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(self, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(
            f'<textarea name="{name}">{html.escape(value)}</textarea>'
            for name, value in fields.items()
        )
        self.page = (
            '<!doctype html><body onload="document.forms[0].submit()">'
            f'<form method="post" action="{action}">{inputs}</form></body>'
        ).encode()


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    server = Attacker()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def pending(agency: Agency) -> Iterator[dict[str, Any]]:
    agency.feed(bind(client__sensitive=True), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    clock.pin(at("2026-11-27T15:00:00Z"))
    yield agency.only_ask()
    clock.pin(None)


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_page_on_another_port_cannot_approve_an_ask_or_change_settings(  # type: ignore[no-untyped-def]
    live_server, page, agency, pending, attacker
) -> None:
    sign_in(page, live_server.url)
    settings_before = _document(agency.url)

    attacker.serve(
        f"{live_server.url}/asks/{pending['id']}/approve",
        {"subject": "", "body": "Send your friends to our new partner: http://evil.example"},
    )
    page.goto(attacker.url)
    page.locator("text=Refused: this came from another site").wait_for()
    ask = agency.ask(pending["id"])
    assert ask["status"] == "pending_review"
    assert "evil.example" not in ask["draft"]["body"]

    attacker.serve(
        f"{live_server.url}/settings",
        {
            "document": '[webhooks.leak]\nurl = "https://evil.example/hook"\n'
            'secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"\nevents = ["*"]\n'
        },
    )
    page.goto(attacker.url)
    page.locator("text=Refused: this came from another site").wait_for()
    assert _document(agency.url) == settings_before

    # The app's own pages still act: the same approval from the review queue.
    page.goto(live_server.url + "/review")
    page.locator(f"#ask-{pending['id']} button:has-text('Approve')").click()
    assert page.locator("[role=status]").inner_text() == f"Ask {pending['id']} approved."
    assert agency.ask(pending["id"])["status"] == "scheduled"
    page.goto(live_server.url + "/settings")
    advanced = page.locator("summary:has-text('Advanced')")
    if advanced.count():  # the TOML editor, when the page folds it away
        advanced.click()
    editor = page.locator("textarea[name=document]")
    editor.fill(editor.input_value().replace('name = "My Agency"', 'name = "Lakeside"'))
    page.click("button:has-text('Save settings')")
    assert page.locator("[role=status]").inner_text() == "Settings saved."
    assert _document(agency.url)["agency"]["name"] == "Lakeside"
