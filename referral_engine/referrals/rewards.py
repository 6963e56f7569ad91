"""Rewards for referrers: proposed when the program's trigger happens, checked against
the referrer's state, decided by a person.

What callers may rely on:

* The agency's ``[rewards]`` program proposes one reward per referral received from a
  client on record (:func:`on_received`); its trigger never waits for the referred
  person to quote, apply or buy — settings that say otherwise are refused when loaded
  (:func:`referral_engine.compliance.rewards.trigger_refusal`). A partner's or an
  external source's referral gets none: paying a business for referrals is a different
  question (research R31), for a person to decide.
* A reward may also be recorded by hand (``PATCH /api/v1/referrals/{id}`` with
  ``reward_amount``); it replaces the referral's hand-made reward still waiting, and is
  checked the same way.
* Every reward is checked (:func:`referral_engine.compliance.rewards.check`): the
  referrer's state (``Client.state``) must have a rule, cash only where cash is allowed,
  and the cap counted over what this referrer was given or offered in the rule's period.
  Allowed, it is ``proposed``; not, ``blocked`` — both with the rule in words, and both
  get a ``reward_review`` task for the principal: nothing is given without a person.
* Approval checks again with the rules and totals of that moment (an admin may since
  have set a state's rule; another reward may since have been approved): still allowed,
  it is ``approved`` with the rule that allowed it; blocked, approval is refused with
  the rule that blocks it and nothing changes. A declined or approved reward is final.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from referral_engine.agency.service import load_settings
from referral_engine.compliance import rewards as reward_rules
from referral_engine.contacts.models import Client
from referral_engine.referrals import priority, repository
from referral_engine.referrals.models import Referral, Reward, RewardStatus
from referral_engine.referrals.timeline import record
from referral_engine.settings import AgencySettings
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task
from referral_engine.users.actor import Actor
from referral_engine.users.models import User

REWARD_REVIEW = "reward_review"  # Task.kind
BY_HAND = "by_hand"  # Reward.trigger of a reward recorded by a person
FINAL = (RewardStatus.approved, RewardStatus.declined)


class RewardNotFound(LookupError):
    pass


class RewardRefused(ValueError):
    """A decision the reward's state or the rules do not allow (HTTP 409)."""


def agency_rules(settings: AgencySettings) -> dict[str, reward_rules.RewardRule]:
    """The agency's own ``[rewards.states.XX]`` rules."""
    return {
        code: reward_rules.parse_rule(
            code, rule.model_dump(exclude_none=True), set_by="agency settings"
        )
        for code, rule in settings.rewards.states.items()
    }


def _check(
    session: Session,
    *,
    client: Client | None,
    kind: str,
    value: float,
    now: datetime,
    settings: AgencySettings,
    other_than: int | None = None,
) -> reward_rules.RewardCheck:
    state = client.state if client is not None else None
    rules = reward_rules.rules_for(
        state, file=reward_rules.file_rules(), agency=agency_rules(settings)
    )
    zone = ZoneInfo(settings.agency.timezone)
    earlier: dict[reward_rules.CapPeriod, float] = {}
    if client is not None:
        for period in {rule.cap_period for rule in rules}:
            earlier[period] = repository.rewarded_since(
                session,
                client_id=client.id,
                since=reward_rules.period_start(now, period, zone),
                other_than=other_than,
            )
    proposal = reward_rules.Proposal(state=state, kind=kind, value=value)
    return reward_rules.check(proposal, rules, earlier=earlier)


def on_received(session: Session, referral: Referral, *, now: datetime, actor: Actor) -> None:
    """The program's reward for a referral just received, when the program is on."""
    settings = load_settings(session)
    program = settings.rewards
    if not program.enabled or program.trigger != "referral_received":
        return
    if referral.referred_by_kind != "client" or referral.referred_by_client_id is None:
        return
    key = f"{program.trigger}:{referral.id}"
    if repository.reward_by_key(session, key=key) is not None:
        return
    propose(
        session,
        referral,
        kind=program.kind,
        value=program.value,
        trigger=program.trigger,
        key=key,
        now=now,
        actor=actor,
        settings=settings,
    )


def by_hand(
    session: Session, referral: Referral, *, value: float | None, now: datetime, actor: Actor
) -> Reward | None:
    """A reward a person records on a referral (None withdraws the one waiting)."""
    for waiting in repository.rewards(
        session,
        referral_id=referral.id,
        statuses=(RewardStatus.proposed, RewardStatus.blocked),
    ):
        if waiting.trigger == BY_HAND:
            _decide(
                session, waiting, RewardStatus.declined, who=actor, note="replaced by hand", now=now
            )
    if value is None:
        record(session, referral, kind="reward", detail="reward: none", now=now, actor=actor)
        return None
    settings = load_settings(session)
    return propose(
        session,
        referral,
        kind=settings.rewards.kind,
        value=value,
        trigger=BY_HAND,
        key=None,
        now=now,
        actor=actor,
        settings=settings,
    )


def propose(
    session: Session,
    referral: Referral,
    *,
    kind: str,
    value: float,
    trigger: str,
    key: str | None,
    now: datetime,
    actor: Actor,
    settings: AgencySettings,
) -> Reward:
    """Check a reward and store it, proposed or blocked, with its review task."""
    client = (
        session.get(Client, referral.referred_by_client_id)
        if referral.referred_by_client_id
        else None
    )
    verdict = _check(session, client=client, kind=kind, value=value, now=now, settings=settings)
    reward = Reward(
        key=key,
        referral_id=referral.id,
        client_id=client.id if client else None,
        state=client.state if client else None,
        kind=kind,
        value=round(value, 2),
        trigger=trigger,
        status=RewardStatus.proposed if verdict.allowed else RewardStatus.blocked,
        rule=verdict.rule,
        proposed_at=now,
        proposed_by=actor.name,
    )
    session.add(reward)
    session.flush()
    what = describe(reward)
    record(
        session,
        referral,
        kind="reward",
        detail=f"reward {reward.id}: {what} {reward.status} — {reward.rule}",
        now=now,
        actor=actor,
    )
    reward.task_id = _review_task(session, reward, referral, now=now).id
    return reward


def describe(reward: Reward) -> str:
    """ "$25.00 gift card"."""
    return f"${reward.value:,.2f} {reward.kind.replace('_', ' ')}"


def _review_task(session: Session, reward: Reward, referral: Referral, *, now: datetime) -> Task:
    owner = tasks.principal(session)
    who = priority.referrer_name(referral)
    if reward.status == RewardStatus.blocked:
        title = f"Reward blocked: {describe(reward)} for {who}"
        verdict = (
            "The rules block it as it stands: decline it, or approve it once an admin has"
            " set the rule it lacks (approval checks again)."
        )
    else:
        title = f"Review the {describe(reward)} for {who}"
        verdict = "The rules allow it; approve it before anything is given."
    return tasks.create(
        session,
        key=f"reward-review:{reward.id}",
        kind=REWARD_REVIEW,
        title=title,
        detail=(
            f"{reward.proposed_by} proposed a {describe(reward)} for {who} for introducing"
            f" {priority.prospect_name(referral)} ({reward.trigger.replace('_', ' ')}).\n"
            f"Rule: {reward.rule}\n{verdict} A reward never depends on the referred person"
            " quoting, applying or buying."
        ),
        now=now,
        assignee_id=owner.id if owner else None,
        client_id=reward.client_id,
        referral_id=referral.id,
    )


def _decide(
    session: Session,
    reward: Reward,
    status: RewardStatus,
    *,
    who: Actor,
    now: datetime,
    note: str | None = None,
) -> None:
    """Record a person's decision on ``reward`` and close its review task."""
    reward.status = status
    reward.decided_at = now
    reward.decided_by = who.name
    reward.decided_by_id = who.user_id
    reward.note = note
    if reward.task_id is None:
        return
    closer = User(name=who.name, email="")  # only its name is read
    # A task removed by hand is no matter: the reward's own decision is what counts.
    with suppress(tasks.TaskNotFound):
        tasks.complete(session, task_id=reward.task_id, user=closer, now=now)


def approve(session: Session, *, reward_id: int, user: User, now: datetime) -> Reward:
    """Approve after checking again; raises :class:`RewardRefused` with the blocking rule."""
    reward = _get(session, reward_id)
    if reward.status == RewardStatus.approved:
        return reward
    if reward.status == RewardStatus.declined:
        raise RewardRefused(f"reward {reward_id} was declined; it stays declined")
    client = session.get(Client, reward.client_id) if reward.client_id else None
    verdict = _check(
        session,
        client=client,
        kind=reward.kind,
        value=reward.value,
        now=now,
        settings=load_settings(session),
        other_than=reward.id,
    )
    if not verdict.allowed:
        raise RewardRefused(f"reward {reward_id} is blocked: {verdict.rule}")
    referral = session.get(Referral, reward.referral_id)
    assert referral is not None
    actor = Actor.of(user)
    reward.rule = verdict.rule
    reward.state = client.state if client else None
    _decide(session, reward, RewardStatus.approved, who=actor, now=now)
    record(
        session,
        referral,
        kind="reward",
        detail=f"reward {reward.id}: {describe(reward)} approved — {reward.rule}",
        now=now,
        actor=actor,
    )
    session.flush()
    return reward


def decline(
    session: Session, *, reward_id: int, user: User, reason: str | None, now: datetime
) -> Reward:
    reward = _get(session, reward_id)
    if reward.status == RewardStatus.declined:
        return reward
    if reward.status == RewardStatus.approved:
        raise RewardRefused(f"reward {reward_id} was approved; it stays approved")
    actor = Actor.of(user)
    _decide(session, reward, RewardStatus.declined, who=actor, now=now, note=reason)
    referral = session.get(Referral, reward.referral_id)
    assert referral is not None
    because = f" ({reason})" if reason else ""
    record(
        session,
        referral,
        kind="reward",
        detail=f"reward {reward.id}: {describe(reward)} declined{because}",
        now=now,
        actor=actor,
    )
    session.flush()
    return reward


def _get(session: Session, reward_id: int) -> Reward:
    reward = repository.reward(session, reward_id, for_update=True)
    if reward is None:
        raise RewardNotFound(f"no reward {reward_id}")
    return reward


def given_to(session: Session, client_ids: list[int]) -> dict[int, Reward]:
    """An approved reward per client who has one (the newest): a material connection
    a public endorsement must disclose (FTC Endorsement Guides, research R37)."""
    found: dict[int, Reward] = {}
    for reward in repository.rewards(session, status=RewardStatus.approved, client_ids=client_ids):
        if reward.client_id is not None:
            found[reward.client_id] = reward
    return found
