"""People of the agency for tests of who sees and may do what: each with a password and an
API token, made through the users service (as an invitation would end)."""

from __future__ import annotations

from typing import Any

from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import Role
from tests.agency import Agency, bind

PASSWORD = "a long enough passphrase for tests"


def member(url: str, *, email: str, role: Role, name: str | None = None) -> str:
    """The person with ``email`` (created when new, e.g. not yet named by an event) with
    :data:`PASSWORD` and ``role``; returns an API token acting as them."""
    with unit_of_work(url) as session:
        user = users.find_by_email(session, email=email)
        if user is None:
            user = users.create_user(
                session, email=email, name=name or email.split("@")[0].title(), role=role
            )
        user.role = role
        users.set_password(session, user=user, password=PASSWORD)
        return users.issue_token(session, user=user, name="tests")


def two_books(agency: Agency, *, bound: str = "2026-11-25T22:00:00Z") -> dict[str, dict[str, Any]]:
    """Two asks waiting for review, by client name: Dana Reyes's (producer Sam Ortiz,
    sam@agency.example) and Noor Haddad's (producer Lee Park, lee@agency.example); both
    producers are known from the events only, without a password."""
    agency.feed(bind(client__sensitive=True), now=bound)
    agency.feed(
        bind(
            id="epic-noor-bind",
            client__external_id="C-2002",
            client__first_name="Noor",
            client__last_name="Haddad",
            client__email="noor@example.com",
            client__mobile="+13125550199",
            client__sensitive=True,
            policy__number="PA-2002",
            producer={"name": "Lee Park", "email": "lee@agency.example"},
        ),
        now=bound,
    )
    agency.tick("2026-11-25T23:00:00Z")
    return {a["client_name"]: a for a in agency.asks(status="pending_review")}
