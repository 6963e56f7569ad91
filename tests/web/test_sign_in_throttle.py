"""Sign-in throttling: a run of wrong passwords is refused for a while, per account and
per address, and a known email costs the same work as an unknown one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.users import service
from referral_engine.web.app import create_app
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at

T0 = "2026-12-01T16:00:00Z"


@pytest.fixture
def browser(ready_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(ready_db), base_url="http://agency.example") as client:
        yield client


def sign_in(client: TestClient, email: str, password: str, *, now: str, **headers: str):  # type: ignore[no-untyped-def]
    with clock.frozen(at(now)):
        return client.post(
            "/login",
            data={"email": email, "password": password},
            headers=headers,
            follow_redirects=False,
        )


def test_the_sixth_attempt_is_refused_even_with_the_right_password(browser: TestClient) -> None:
    for minute in range(5):
        wrong = sign_in(browser, ADMIN_EMAIL, "wrong", now=f"2026-12-01T16:0{minute}:00Z")
        assert wrong.status_code == 401
        assert "Wrong email or password." in wrong.text
    refused = sign_in(browser, ADMIN_EMAIL, ADMIN_PASSWORD, now="2026-12-01T16:05:00Z")
    assert refused.status_code == 429
    # The first failure (16:00) leaves the 15-minute window at 16:15: ten minutes on.
    assert "Too many attempts: try again in 10 minutes." in refused.text
    assert refused.headers["retry-after"] == "600"
    assert "referral_session" not in refused.headers.get("set-cookie", "")
    # Still refused a minute before the window passes, in any letter case.
    late = sign_in(browser, ADMIN_EMAIL.upper(), ADMIN_PASSWORD, now="2026-12-01T16:14:30Z")
    assert late.status_code == 429 and "try again in 1 minute." in late.text
    # Once the first failure is older than 15 minutes, the right password signs in.
    ok = sign_in(browser, ADMIN_EMAIL, ADMIN_PASSWORD, now="2026-12-01T16:15:01Z")
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    # Success clears the account's count: one more wrong password is not yet refused.
    assert sign_in(browser, ADMIN_EMAIL, "wrong", now="2026-12-01T16:16:00Z").status_code == 401


def test_an_unknown_email_is_refused_the_same_way(browser: TestClient) -> None:
    nobody = "nobody@agency.example"
    answers = [
        sign_in(browser, nobody, "guess", now=f"2026-12-01T16:0{minute}:00Z") for minute in range(6)
    ]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert "Too many attempts: try again in 10 minutes." in answers[-1].text
    # Another account from the same address is not refused yet (5 < 20 per address).
    ok = sign_in(browser, ADMIN_EMAIL, ADMIN_PASSWORD, now="2026-12-01T16:06:00Z")
    assert ok.status_code == 303


def test_one_address_trying_many_accounts_is_refused(browser: TestClient) -> None:
    for n in range(20):
        email = f"guess{n}@agency.example"
        when = f"2026-12-01T16:{n // 2:02d}:{n % 2 * 30:02d}Z"  # 16:00:00 … 16:09:30
        answer = sign_in(browser, email, "guess", now=when)
        assert answer.status_code == 401, n
    refused = sign_in(browser, ADMIN_EMAIL, ADMIN_PASSWORD, now="2026-12-01T16:10:00Z")
    assert refused.status_code == 429
    assert "Too many attempts: try again in 5 minutes." in refused.text


def test_a_trusted_proxy_names_the_address(ready_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERRAL_TRUST_PROXY", "1")
    with TestClient(create_app(ready_db)) as client:
        for n in range(20):
            forwarded = {"X-Forwarded-For": "203.0.113.9"}
            answer = sign_in(client, f"g{n}@agency.example", "x", now=T0, **forwarded)
            assert answer.status_code == 401
        # Another address behind the same proxy may still sign in.
        other = {"X-Forwarded-For": "198.51.100.7"}
        ok = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, now=T0, **other)
        assert ok.status_code == 303
        spoofed = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}  # the last hop counts
        refused = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, now=T0, **spoofed)
        assert refused.status_code == 429


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        self.verified += 1
        return super().verify(hash, password)


def test_known_and_unknown_emails_cost_one_password_check_each(
    browser: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingHasher()
    monkeypatch.setattr(service, "_hasher", counting)
    known = sign_in(browser, ADMIN_EMAIL, "wrong", now=T0)
    assert known.status_code == 401 and counting.verified == 1
    unknown = sign_in(browser, "nobody@agency.example", "wrong", now=T0)
    assert unknown.status_code == 401 and counting.verified == 2
    assert unknown.text.replace("nobody@agency.example", ADMIN_EMAIL) == known.text
