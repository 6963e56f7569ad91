"""People of the agency for tests of who sees and may do what: each with a password and an
API token, made through the users service (as an invitation would end)."""

from __future__ import annotations

from referral_engine.db import unit_of_work
from referral_engine.users import service as users
from referral_engine.users.models import Role

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
