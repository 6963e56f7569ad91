"""Who did something, as timelines record it: a signed-in person, or the system."""

from __future__ import annotations

from dataclasses import dataclass

from referral_engine.users.models import User


@dataclass(frozen=True)
class Actor:
    """A name kept on the record (even if the user is later removed) and the user's id."""

    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(name=user.name or user.email, user_id=user.id)


SYSTEM = Actor(name="Referral Engine")
