"""An unknown email costs the same argon2 verification as a known one, so the answer time
does not tell which addresses have an account (issue 14, item 5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

GOOD = "plum kettle harbor sky"


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many argon2 verifications ran, and the cost (memory, time) of each hash
    verified against."""
    seen: list[int] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        params = str(hash).split("$")[3]  # m=…,t=…,p=…
        seen.append(hash_cost(params))
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    yield seen


def hash_cost(params: str) -> int:
    fields = dict(part.split("=") for part in params.split(","))
    return int(fields["m"]) * int(fields["t"]) * int(fields["p"])


@pytest.mark.parametrize(
    ("email", "password", "status"),
    [
        (ADMIN_EMAIL, ADMIN_PASSWORD, 303),  # known, right password
        (ADMIN_EMAIL, "wrong password", 401),  # known, wrong password
        ("nobody@lakeside.example", "wrong password", 401),  # unknown
        ("lee.producer@lakeside.example", "wrong password", 401),  # known, no password yet
        ("gone@lakeside.example", GOOD, 401),  # deactivated, right password
    ],
)
def test_every_sign_in_verifies_exactly_one_hash_of_the_same_cost(
    api: TestClient, ready_db: str, verifications: list[int], email: str, password: str, status: int
) -> None:
    with unit_of_work(ready_db) as session:
        users.create_user(
            session, email="lee.producer@lakeside.example", name="Lee", role=Role.producer
        )
        gone = users.create_user(
            session, email="gone@lakeside.example", name="Gone", role=Role.csr, password=GOOD
        )
        gone.active = False
        admin_hash = users.find_by_email(session, email=ADMIN_EMAIL).password_hash  # type: ignore[union-attr]
    verifications.clear()
    browser = TestClient(api.app)
    answer = browser.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    assert answer.status_code == status
    assert len(verifications) == 1
    assert verifications[0] == hash_cost(str(admin_hash).split("$")[3]), "the same cost"
