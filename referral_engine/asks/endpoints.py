"""The asks API: list, explain, review; and the agency's own templates."""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Query

from referral_engine import clock
from referral_engine.asks import repository, review
from referral_engine.asks import service as asks
from referral_engine.asks.compose import save_template
from referral_engine.asks.drafts import TemplateError, default_templates
from referral_engine.asks.models import AskStatus
from referral_engine.asks.schemas import (
    ApproveIn,
    AskRead,
    DeclineIn,
    DeferIn,
    TemplateIn,
    TemplateRead,
)
from referral_engine.users.models import MANAGERS
from referral_engine.web.deps import ApiUser, DbSession, require_role
from referral_engine.web.problems import Problem

router = APIRouter(tags=["asks"])


def problem_for_review(exc: Exception) -> Problem:
    """The problem+json for a refused review action (404, 403, 409 or 422)."""
    if isinstance(exc, asks.AskNotFound):
        return Problem(404, "No such ask", str(exc), kind="not-found")
    if isinstance(exc, asks.ReviewForbidden):
        return Problem(403, "Forbidden", str(exc), kind="forbidden")
    if isinstance(exc, asks.ReviewRefused):
        return Problem(409, "Ask cannot be reviewed so", str(exc), kind="review-refused")
    if isinstance(exc, asks.DraftRefused):
        errors = [{"field": field, "reason": words} for field, words in exc.problems]
    else:
        field, _, reason = str(exc).partition(": ")
        errors = [{"field": field, "reason": reason or str(exc)}]
    return Problem(422, "Invalid review", str(exc), kind="invalid-review", errors=errors)


REVIEW_ERRORS = (asks.AskNotFound, asks.ReviewForbidden, asks.ReviewRefused, asks.DraftRefused)


@router.get("/api/v1/asks")
def list_asks(
    user: ApiUser,
    session: DbSession,
    status: AskStatus | None = None,
    client_external_id: str | None = None,
    mine: bool = Query(False, description="only asks of the signed-in producer"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    q: str = Query("", max_length=200, description="search: name, email, phone, policy"),
) -> list[AskRead]:
    """Asks with their reasons and drafts, soonest first; ``q`` searches as the Asks page
    does (a phone number in any format, a policy number)."""
    return review.listing(
        session,
        q=q,
        status=status,
        client_external_id=client_external_id,
        producer_id=user.id if mine else None,
        limit=limit,
        offset=offset,
    )


@router.get("/api/v1/asks/{ask_id}")
def get_ask(ask_id: int, user: ApiUser, session: DbSession) -> AskRead:
    """One ask with its reasons and its timeline: the signal, every rule that fired,
    review actions and schedule changes."""
    ask = repository.get(session, ask_id)
    if ask is None:
        raise Problem(404, "No such ask", f"no ask {ask_id}", kind="not-found")
    return review.read(session, ask, timeline=True)


@router.post("/api/v1/asks/{ask_id}/approve")
def approve(
    ask_id: int, user: ApiUser, session: DbSession, body: ApproveIn | None = None
) -> AskRead:
    """Approve a pending ask, optionally with an edited draft."""
    edit = body.draft if body else None
    try:
        ask = review.approve_ask(
            session,
            ask_id=ask_id,
            user=user,
            now=clock.now(),
            subject=edit.subject if edit else None,
            body=edit.body if edit else None,
        )
    except REVIEW_ERRORS as exc:
        raise problem_for_review(exc) from exc
    return review.read(session, ask, timeline=True)


@router.post("/api/v1/asks/{ask_id}/defer")
def defer(ask_id: int, body: DeferIn, user: ApiUser, session: DbSession) -> AskRead:
    """Send later: at ``until``, or the first allowed send time after it."""
    until = body.until if body.until.tzinfo else body.until.replace(tzinfo=UTC)
    try:
        ask = review.defer_ask(
            session, ask_id=ask_id, user=user, until=until.astimezone(UTC), now=clock.now()
        )
    except REVIEW_ERRORS as exc:
        raise problem_for_review(exc) from exc
    return review.read(session, ask, timeline=True)


@router.post("/api/v1/asks/{ask_id}/decline")
def decline(ask_id: int, body: DeclineIn, user: ApiUser, session: DbSession) -> AskRead:
    """Do not ask: the reason is kept on the ask's timeline."""
    try:
        ask = review.decline_ask(
            session, ask_id=ask_id, user=user, reason=body.reason, now=clock.now()
        )
    except REVIEW_ERRORS as exc:
        raise problem_for_review(exc) from exc
    return review.read(session, ask, timeline=True)


@router.get("/api/v1/templates", tags=["templates"])
def list_templates(user: ApiUser, session: DbSession) -> list[TemplateRead]:
    """Every template key: the agency's own wording where saved, else the default."""
    custom = {t.key: t for t in repository.templates(session)}
    rows = [
        TemplateRead(
            key=key,
            channel=key.rsplit("/", 1)[-1],
            source=custom[key].source if key in custom else source,
            custom=key in custom,
            updated_by=custom[key].updated_by if key in custom else None,
            updated_at=custom[key].updated_at if key in custom else None,
        )
        for key, source in default_templates().items()
    ]
    rows += [
        TemplateRead(
            key=t.key,
            channel=t.channel,
            source=t.source,
            custom=True,
            updated_by=t.updated_by,
            updated_at=t.updated_at,
        )
        for key, t in custom.items()
        if key not in default_templates()
    ]
    return sorted(rows, key=lambda t: t.key)


@router.put("/api/v1/templates/{key:path}", tags=["templates"])
def put_template(key: str, body: TemplateIn, user: ApiUser, session: DbSession) -> TemplateRead:
    """Save the agency's wording for a key; refused at once when it uses an unknown
    variable or is not a valid template."""
    require_role(user, *MANAGERS)
    try:
        row = save_template(session, key=key, source=body.source, actor=user.email, now=clock.now())
    except (TemplateError, ValueError) as exc:
        raise Problem(
            422,
            "Invalid template",
            str(exc),
            kind="invalid-template",
            errors=[{"field": "source", "reason": str(exc)}],
        ) from exc
    return TemplateRead(
        key=row.key,
        channel=row.channel,
        source=row.source,
        custom=True,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )
