"""The referrals API: capture, list, read and work referrals; the referred person's
consent to share the outcome; rewards; the agency's partners."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ValidationError

from referral_engine import clock, search
from referral_engine.agency.service import load_settings, normalize_context
from referral_engine.contacts import consent
from referral_engine.contacts.consent import ConsentStatement
from referral_engine.contacts.models import ConsentPurpose
from referral_engine.contacts.schemas import consent_read
from referral_engine.referrals import (
    confirmation,
    partners,
    privacy,
    recognition,
    repository,
    rewards,
    rules,
    undo,
)
from referral_engine.referrals import service as referrals
from referral_engine.referrals.models import PartnerKind, ReferralStatus, RewardStatus
from referral_engine.referrals.schemas import (
    OutcomeConsentCreate,
    PartnerCreate,
    PartnerRead,
    RecognitionRead,
    ReferralConfirm,
    ReferralCreate,
    ReferralNoteCreate,
    ReferralRead,
    ReferralUpdate,
    RewardDecline,
    RewardRead,
    StandingRead,
)
from referral_engine.referrals.views import partner_read, reward_read
from referral_engine.settings import AgencySettings
from referral_engine.users.actor import Actor
from referral_engine.users.models import MANAGERS
from referral_engine.web.deps import ApiUser, DbSession, Settings, require_role
from referral_engine.web.problems import Problem

router = APIRouter(tags=["referrals"])
Model = TypeVar("Model", bound=BaseModel)


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` written in place, so that it stands on
    its own inside the OpenAPI document."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return walk({**defs[ref.removeprefix("#/$defs/")], **rest})
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


def _body_of(model: type[BaseModel]) -> dict[str, Any]:
    schema = _inline(model)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _parse(model: type[Model], body: Any, settings: AgencySettings) -> Model:
    """Validate with the agency's normalization (phone region, lines of business), the
    same as an event's; a bad body is a 422 naming each field."""
    try:
        return model.model_validate(body, context=normalize_context(settings).as_dict())
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or "body",
                "reason": str(e["msg"]).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        raise Problem(
            422, "Invalid request", detail, kind="invalid-request", errors=errors
        ) from exc


def _invalid(exc: rules.InvalidReferral) -> Problem:
    return Problem(
        422,
        "Invalid referral",
        str(exc),
        kind="invalid-referral",
        errors=[{"field": exc.field, "reason": exc.reason}],
    )


def _not_found(referral_id: int) -> Problem:
    return Problem(404, "No such referral", f"no referral {referral_id}", kind="not-found")


@router.post("/api/v1/partners", status_code=201, openapi_extra=_body_of(PartnerCreate))
def create_partner(
    user: ApiUser, session: DbSession, settings: Settings, body: Any = Body(...)
) -> PartnerRead:
    """Add a referral partner (realtor, mortgage broker, auto dealer, CPA, …)."""
    partner_in = _parse(PartnerCreate, body, settings)
    try:
        partner = partners.create(session, partner_in=partner_in, now=clock.now())
    except partners.PartnerExists as exc:
        raise Problem(409, "Partner exists", str(exc), kind="partner-exists") from exc
    return partner_read(partner)


@router.get("/api/v1/partners")
def list_partners(
    user: ApiUser,
    session: DbSession,
    kind: PartnerKind | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[PartnerRead]:
    """Partners by name."""
    found = partners.listing(session, kind=kind, limit=limit, offset=offset)
    return [partner_read(p) for p in found]


@router.post("/api/v1/referrals", status_code=201, openapi_extra=_body_of(ReferralCreate))
def create_referral(
    user: ApiUser, session: DbSession, settings: Settings, body: Any = Body(...)
) -> ReferralRead:
    """Capture a referral: saved, tagged, a priority contact task (24 hours) and, from a
    client, a thank-you task. Answers the referral with its timeline."""
    referral_in = _parse(ReferralCreate, body, settings)
    try:
        referral = referrals.capture(
            session, referral_in=referral_in, actor=Actor.of(user), now=clock.now()
        )
    except rules.InvalidReferral as exc:
        raise _invalid(exc) from exc
    return referrals.read(session, referral, timeline=True)


@router.get("/api/v1/referrals")
def list_referrals(
    user: ApiUser,
    session: DbSession,
    status: ReferralStatus | None = None,
    referred_by_kind: Literal["client", "partner", "external"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    q: str = Query("", max_length=200, description="search: name, email, phone, policy"),
) -> list[ReferralRead]:
    """Referrals, newest first; ``q`` searches as the Referrals page does (the prospect,
    a phone number in any format, the referrer's name, a converted policy number)."""
    region = load_settings(session).agency.phone_region
    found = repository.listing(
        session,
        status=status,
        referred_by_kind=referred_by_kind,
        limit=limit,
        offset=offset,
        search=search.parse(q, region) if q.strip() else None,
    )
    return referrals.read_all(session, found)


@router.get("/api/v1/referrals/{referral_id}")
def get_referral(referral_id: int, user: ApiUser, session: DbSession) -> ReferralRead:
    """One referral with its timeline: captured, tagged, tasks, status changes (who, when)."""
    referral = repository.get(session, referral_id)
    if referral is None:
        raise _not_found(referral_id)
    return referrals.read(session, referral, timeline=True)


def _not_yours(exc: confirmation.NotYours) -> Problem:
    return Problem(403, "Not your referral", str(exc), kind="forbidden")


@router.patch("/api/v1/referrals/{referral_id}")
def update_referral(
    referral_id: int, body: ReferralUpdate, user: ApiUser, session: DbSession
) -> ReferralRead:
    """Change status (``not_converted`` needs a ``reason``), tags, notes or ``disputed``.
    A converted or not-converted referral changes status only by an admin (else 409).
    ``owner_id`` reassigns it and its open contact task (the owner, the referrer's
    producer, a CSR or a principal may; else 403)."""
    try:
        referral = referrals.update(
            session, referral_id=referral_id, changes=body, user=user, now=clock.now()
        )
    except referrals.ReferralNotFound as exc:
        raise _not_found(referral_id) from exc
    except rules.InvalidReferral as exc:
        raise _invalid(exc) from exc
    except rules.TransitionRefused as exc:
        raise Problem(409, "Status change refused", str(exc), kind="transition-refused") from exc
    except confirmation.NotYours as exc:
        raise _not_yours(exc) from exc
    return referrals.read(session, referral, timeline=True)


@router.post("/api/v1/referrals/{referral_id}/status/undo")
def undo_referral_status(referral_id: int, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """Take back the referral's last status change, within 10 minutes of it and while the
    referral is still at that status (else 409): the referral as it was, a referrer's
    update cancelled if it still waits. ``{"referral": …, "detail": "…"}``."""
    referral = repository.get(session, referral_id, for_update=True)
    if referral is None:
        raise _not_found(referral_id)
    try:
        words = undo.undo(session, referral, actor=Actor.of(user), now=clock.now())
    except undo.UndoRefused as exc:
        raise Problem(409, "Nothing to undo", str(exc), kind="undo-refused") from exc
    read = referrals.read(session, referral, timeline=True)
    return {"referral": read.model_dump(mode="json"), "detail": words}


@router.post(
    "/api/v1/referrals/{referral_id}/confirm",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": _inline(ReferralConfirm)}},
        }
    },
)
def confirm_referral(
    referral_id: int,
    user: ApiUser,
    session: DbSession,
    settings: Settings,
    body: Any = Body(None),
) -> ReferralRead:
    """Confirm a referral drafted from a reply, optionally correcting its ``prospect``:
    only then does it count as received — the 24-hour contact task for its owner, the
    referrer's thank-you, the reward program and recognition. A second confirmation (or
    one of a referral captured directly) answers 409; a bad prospect 422; a producer
    who neither owns it nor is the referrer's producer 403. Nothing changes on an error.
    """
    confirm_in = _parse(ReferralConfirm, body or {}, settings)
    try:
        referral = referrals.confirm(
            session,
            referral_id=referral_id,
            prospect=confirm_in.prospect,
            user=user,
            now=clock.now(),
        )
    except referrals.ReferralNotFound as exc:
        raise _not_found(referral_id) from exc
    except confirmation.NotYours as exc:
        raise _not_yours(exc) from exc
    except confirmation.AlreadyReceived as exc:
        raise Problem(409, "Already received", str(exc), kind="already-confirmed") from exc
    return referrals.read(session, referral, timeline=True)


@router.post("/api/v1/referrals/{referral_id}/notes", status_code=201)
def add_referral_note(
    referral_id: int, body: ReferralNoteCreate, user: ApiUser, session: DbSession
) -> ReferralRead:
    """Add a dated note to the referral's timeline in the caller's name ("left a voicemail,
    calling back Thursday"); 1 to 5,000 characters, else 422. Answers the referral with
    its timeline."""
    try:
        referrals.add_note(
            session, referral_id=referral_id, text=body.note, user=user, now=clock.now()
        )
    except referrals.ReferralNotFound as exc:
        raise _not_found(referral_id) from exc
    except rules.InvalidReferral as exc:
        raise _invalid(exc) from exc
    referral = repository.get(session, referral_id)
    if referral is None:
        raise _not_found(referral_id)
    return referrals.read(session, referral, timeline=True)


@router.post("/api/v1/recognition/run")
def run_recognition(
    user: ApiUser,
    session: DbSession,
    quarter: str = Query(..., description="e.g. 2026-Q4"),
    top: int = Query(recognition.TOP_SOURCES, ge=1, le=50),
) -> RecognitionRead:
    """Recognize a quarter's top referrers now (admin): the same as the due work at the
    quarter's end. Safe to repeat."""
    require_role(user, *MANAGERS)
    try:
        chosen = recognition.Quarter.parse(quarter)
    except recognition.InvalidQuarter as exc:
        raise Problem(
            422,
            "Invalid request",
            str(exc),
            kind="invalid-request",
            errors=[{"field": "quarter", "reason": str(exc)}],
        ) from exc
    standings = recognition.run(
        session, quarter=chosen, now=clock.now(), top=top, actor=Actor.of(user)
    )
    starts, ends = chosen.bounds(recognition.agency_zone(session))
    return RecognitionRead(
        quarter=str(chosen),
        starts_at=starts,
        ends_at=ends,
        top=top,
        standings=[
            StandingRead(
                rank=s.rank,
                kind=s.kind,
                client_id=s.referrer_id if s.kind == "client" else None,
                partner_id=s.referrer_id if s.kind == "partner" else None,
                name=s.name,
                converted=s.converted,
                received=s.received,
                recognized=s.rank <= top,
                publicity=s.public,
                task_id=s.task_id,
                check_in_task_id=s.check_in_task_id,
            )
            for s in standings
        ],
    )


# -- the referred person's consent to share the outcome ------------------------------------


def _outcome_consent(session: DbSession, referral_id: int) -> dict[str, Any]:
    referral = repository.get(session, referral_id)
    if referral is None:
        raise _not_found(referral_id)
    shared = privacy.outcome_shared(session, referral, now=clock.now())
    return {
        "referral_id": referral.id,
        "share_outcome": "granted" if shared else "not granted",
        "records": [consent_read(r) for r in consent.history(session, referral_id=referral.id)],
    }


@router.get("/api/v1/referrals/{referral_id}/consent")
def read_outcome_consent(referral_id: int, user: ApiUser, session: DbSession) -> dict[str, Any]:
    """Whether the referrer may hear how it went (``share_outcome``: granted or not
    granted) and every statement of the referred person about it, newest first."""
    return _outcome_consent(session, referral_id)


@router.post("/api/v1/referrals/{referral_id}/consent", status_code=201)
def record_outcome_consent(
    referral_id: int, body: OutcomeConsentCreate, user: ApiUser, session: DbSession
) -> dict[str, Any]:
    """Record the referred person's own word: may their referrer hear whether they
    quoted, became a client or were declined? Without it the referrer hears only "we
    reached out — thank you". Revocable like any consent."""
    referral = repository.get(session, referral_id)
    if referral is None:
        raise _not_found(referral_id)
    staff = body.staff_name
    if not staff and body.method in consent.STAFF_METHODS:
        staff = user.name or user.email
    statement = ConsentStatement(
        purpose=ConsentPurpose.share_outcome,
        status=body.status,
        method=body.method,
        given_at=body.at or clock.now(),
        wording=body.wording,
        staff_name=staff,
        source=body.source,
        note=body.note,
    )
    try:
        privacy.record_outcome_consent(
            session, referral, statement=statement, recorded_by_id=user.id, now=clock.now()
        )
    except consent.BadConsent as exc:
        raise Problem(422, "Consent not recorded", str(exc), kind="invalid-request") from exc
    return _outcome_consent(session, referral_id)


# -- rewards -------------------------------------------------------------------------------


def _reward_problem(exc: Exception, reward_id: int) -> Problem:
    if isinstance(exc, rewards.RewardNotFound):
        return Problem(404, "No such reward", f"no reward {reward_id}", kind="not-found")
    return Problem(409, "Reward refused", str(exc), kind="reward-refused")


@router.get("/api/v1/rewards")
def list_rewards(
    user: ApiUser,
    session: DbSession,
    status: RewardStatus | None = None,
    client_id: int | None = None,
    referral_id: int | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[RewardRead]:
    """Rewards, oldest first, each with the rule that allowed or blocked it."""
    found = repository.rewards(
        session,
        status=status,
        referral_id=referral_id,
        client_ids=[client_id] if client_id is not None else None,
        limit=limit,
        offset=offset,
    )
    return [reward_read(session, r) for r in found]


@router.post("/api/v1/rewards/{reward_id}/approve")
def approve_reward(reward_id: int, user: ApiUser, session: DbSession) -> RewardRead:
    """Approve a reward (admin) after checking the rules again; a reward
    they block answers 409 with the rule that blocks it, and nothing changes."""
    require_role(user, *MANAGERS)
    try:
        reward = rewards.approve(session, reward_id=reward_id, user=user, now=clock.now())
    except (rewards.RewardNotFound, rewards.RewardRefused) as exc:
        raise _reward_problem(exc, reward_id) from exc
    return reward_read(session, reward)


@router.post("/api/v1/rewards/{reward_id}/decline")
def decline_reward(
    reward_id: int, user: ApiUser, session: DbSession, body: RewardDecline | None = None
) -> RewardRead:
    """Decline a reward (admin), with an optional reason."""
    require_role(user, *MANAGERS)
    try:
        reward = rewards.decline(
            session,
            reward_id=reward_id,
            user=user,
            reason=body.reason if body else None,
            now=clock.now(),
        )
    except (rewards.RewardNotFound, rewards.RewardRefused) as exc:
        raise _reward_problem(exc, reward_id) from exc
    return reward_read(session, reward)
