"""Security headers on every answer, a Secure session cookie over HTTPS, and no page
that breaks under the Content-Security-Policy."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from referral_engine.web.app import create_app
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

ALWAYS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
}


def assert_safe(response, referrer: str = "strict-origin-when-cross-origin") -> None:  # type: ignore[no-untyped-def]
    for name, value in ALWAYS.items():
        assert response.headers[name] == value, (response.request.url, name)
    policy = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "img-src 'self' data:",
    ):
        assert directive in policy, (response.request.url, directive)
    assert "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == referrer


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_kind_of_answer_carries_the_security_headers(ready_db: str) -> None:
    with TestClient(create_app(ready_db), raise_server_exceptions=False) as client:
        assert_safe(client.get("/login"))  # a page
        assert_safe(client.get("/static/app.css"))  # a static file
        assert_safe(client.get("/healthz"))  # the API
        assert_safe(client.get("/api/v1/asks"))  # an API error (401 problem+json)
        assert_safe(client.get("/no-such-page"))  # 404
        assert_safe(client.get("/", follow_redirects=False))  # a redirect to sign in
        gone = client.get("/u/not-a-token")  # a client's unsubscribe link
        assert_safe(gone, referrer="no-referrer")
        assert_safe(client.get("/invite/not-a-token"), referrer="no-referrer")
        assert_safe(client.get("/r/not-a-token", follow_redirects=False), referrer="no-referrer")
        docs = client.get("/docs")
        assert docs.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unexpected_error_carries_the_security_headers(ready_db: str) -> None:
    app = create_app(ready_db)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert_safe(response)


def sign_in(client: TestClient, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        headers=headers,
        follow_redirects=False,
    )


def cookie_flags(response) -> set[str]:  # type: ignore[no-untyped-def]
    (cookie,) = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert cookie.startswith("referral_session=")
    return {part.strip().lower() for part in cookie.split(";")[1:]}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_session_cookie_is_secure_over_https_only(
    ready_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(ready_db), base_url="http://agency.example") as client:
        flags = cookie_flags(sign_in(client))
        assert "httponly" in flags and "samesite=lax" in flags
        assert "secure" not in flags
        # Without REFERRAL_TRUST_PROXY a forwarded scheme is anyone's claim: ignored.
        assert "secure" not in cookie_flags(sign_in(client, **{"X-Forwarded-Proto": "https"}))
    with TestClient(create_app(ready_db), base_url="https://agency.example") as client:
        flags = cookie_flags(sign_in(client))
        assert {"secure", "httponly", "samesite=lax"} <= flags
    monkeypatch.setenv("REFERRAL_TRUST_PROXY", "1")
    with TestClient(create_app(ready_db), base_url="http://agency.example") as client:
        assert "secure" in cookie_flags(sign_in(client, **{"X-Forwarded-Proto": "https"}))
        assert "secure" not in cookie_flags(sign_in(client, **{"X-Forwarded-Proto": "http"}))
        assert "secure" not in cookie_flags(sign_in(client))


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_page_breaks_under_the_content_security_policy(live_server, page) -> None:  # type: ignore[no-untyped-def]
    reported: list[str] = []
    page.on(
        "console",
        lambda message: (
            reported.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    base = live_server.url
    page.goto(base + "/login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")
    links = page.locator("nav a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    reports = ["/reports/sources", "/reports/funnel", "/reports/roi"]
    for href in [*targets, "/account", "/team", "/referrals", "/reports", "/webhooks", *reports]:
        response = page.goto(base + href)
        assert response is not None and response.status == 200, href
        assert page.evaluate("getComputedStyle(document.body).margin") is not None
    assert reported == []
    # The watch works: an inline script is refused and reported.
    with pytest.raises(Exception):  # noqa: B017, PT011 - Playwright's error for a refused tag
        page.add_script_tag(content="document.title = 'injected'")
    assert page.title() != "injected"
    assert any("script" in text for text in reported)
