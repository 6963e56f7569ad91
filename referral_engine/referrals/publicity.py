"""Public acknowledgment of referrers: only with their own permission, and honest.

What callers may rely on:

* Naming someone in public — a thank-you post, a testimonial, a name on a leaderboard —
  needs that person's own publicity permission: a consent statement of purpose
  ``publicity`` (when, how, the wording), recorded on the client like any consent
  (``POST /api/v1/contacts/{id}/consent``) and revocable. Only the newest statement
  counts, so a revocation ends it (NY Civ. Rights Law §§50–51, Cal. Civ. Code §3344; a
  name also reveals a client: research R36, R34). A partner has no such record: never
  named in public by the product.
* :func:`public_draft` writes the public thank-you; when the referrer received a
  reward, it carries the disclosure of that material connection (FTC Endorsement
  Guides, research R37): "Dana Reyes received a gift card for referring friends to us."
* A public draft never says what became of the people introduced.
Pure except :func:`permissions`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from referral_engine.compliance.rewards import KINDS
from referral_engine.contacts.models import ConsentPurpose, ConsentRecord, ConsentStatus
from referral_engine.referrals import repository


def permissions(session: Session, client_ids: list[int]) -> dict[int, ConsentRecord]:
    """The granting statement of each client whose newest publicity statement grants it."""
    newest = repository.newest_consents(
        session, purpose=ConsentPurpose.publicity, client_ids=client_ids
    )
    return {cid: row for cid, row in newest.items() if row.status == ConsentStatus.granted}


def disclosure(name: str, reward_kind: str) -> str:
    """The line a public endorsement by a rewarded referrer carries."""
    return f"{name} received {KINDS.get(reward_kind, 'a reward')} for referring friends to us."


def permission_line(name: str, permission: ConsentRecord) -> str:
    """When, how and in what words ``name`` allowed it: the limits of what may be posted."""
    how = permission.method.replace("_", " ")
    words = f': "{permission.wording}"' if permission.wording else ""
    return f"{name} gave publicity permission on {permission.given_at:%Y-%m-%d} ({how}){words}"


def public_draft(
    *, name: str, agency: str, introductions: int, period: str, reward_kind: str | None
) -> str:
    """A public thank-you naming ``name``; with the disclosure when they were rewarded."""
    people = "friend" if introductions == 1 else "friends"
    text = f"A big thank-you to {name} for introducing {introductions} {people} to {agency}"
    text += f" in {period}!"
    if reward_kind is not None:
        text += "\n" + disclosure(name, reward_kind)
    return text
