"""Rewards on the review queue: an admin approves (the rules are checked again) or
declines each, seeing the rule that allowed or blocked it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.referrals import repository, rewards
from referral_engine.referrals.models import RewardStatus
from referral_engine.referrals.schemas import RewardRead
from referral_engine.referrals.views import reward_read
from referral_engine.users.models import manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user

router = APIRouter(include_in_schema=False)
ERRORS = (rewards.RewardNotFound, rewards.RewardRefused)


def waiting(session: Session) -> list[RewardRead]:
    """Rewards a person has yet to decide: proposed and blocked, oldest first."""
    found = repository.rewards(
        session, statuses=(RewardStatus.proposed, RewardStatus.blocked), limit=200
    )
    return [reward_read(session, r) for r in found]


def _back(*, done: str = "", error: str = "") -> RedirectResponse:
    query = f"?error={quote(error)}" if error else f"?done={quote(done)}"
    return RedirectResponse("/review" + query, status_code=303)


@router.post("/rewards/{reward_id}/approve")
def approve(request: Request, session: DbSession, reward_id: int) -> RedirectResponse:
    user = page_user(request, session)
    if not manages(user):
        return _back(error="Only an admin decides rewards.")
    try:
        rewards.approve(session, reward_id=reward_id, user=user, now=clock.now())
    except ERRORS as exc:
        return _back(error=str(exc))
    return _back(done=f"Reward {reward_id} approved.")


@router.post("/rewards/{reward_id}/decline")
def decline(
    request: Request, session: DbSession, reward_id: int, reason: str = Form("")
) -> RedirectResponse:
    user = page_user(request, session)
    if not manages(user):
        return _back(error="Only an admin decides rewards.")
    try:
        rewards.decline(
            session, reward_id=reward_id, user=user, reason=reason.strip() or None, now=clock.now()
        )
    except ERRORS as exc:
        return _back(error=str(exc))
    return _back(done=f"Reward {reward_id} declined.")
