"""One referral's page: who, from whom, its owner, timeline and notes; Confirm (with the
prospect's fields to correct) for a draft read from a reply; reassign; add a note."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from referral_engine import clock
from referral_engine.agency.service import load_settings, normalize_context
from referral_engine.referrals import confirmation, messages, repository, rules, undo
from referral_engine.referrals import service as referrals
from referral_engine.referrals.models import NotConvertedReason
from referral_engine.referrals.schemas import ReferralConfirm, ReferralUpdate
from referral_engine.tasks.models import Task
from referral_engine.users.models import User
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import plain
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)

PROSPECT_LABELS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("mobile", "Mobile"),
    ("email", "Email"),
    ("company", "Company"),
    ("line_of_business", "Line of business"),
    ("postal_code", "Postal code"),
)


def _back(referral_id: int, *, done: str = "", error: str = "") -> RedirectResponse:
    said = f"?done={quote(done)}" if done else f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/referrals/{referral_id}{said}", status_code=303)


def _say(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {str(first['msg']).removeprefix('Value error, ')}"
    return str(exc)


@router.get("/referrals/{referral_id}", response_model=None)
def referral_page(
    request: Request, session: DbSession, referral_id: int, done: str = "", error: str = ""
) -> HTMLResponse:
    user = page_user(request, session)
    return _page(request, session, user, referral_id, done=done, error=error)


def _page(
    request: Request,
    session: DbSession,
    user: User,
    referral_id: int,
    *,
    done: str = "",
    error: str = "",
    **forms: Any,
) -> HTMLResponse:
    """The referral's page; ``forms`` carry what was typed into a refused form and the
    words for it."""
    referral = repository.get(session, referral_id)
    if referral is None:
        raise HTTPException(404, f"no referral {referral_id}")
    now = clock.now()
    read = referrals.read(session, referral, timeline=True)
    query = select(Task).where(Task.referral_id == referral_id).order_by(Task.created_at, Task.id)
    everyone = list(session.scalars(select(User).order_by(User.name)))
    change = undo.undoable(session, referral, now=now)
    final = referral.status in rules.FINAL
    told = {} if final else messages.who_is_told(session, referral, now=now)
    extra: dict[str, Any] = {}
    if change is not None:
        left = -int(-(change.at + undo.UNDO_WINDOW - now).total_seconds() // 60)  # rounded up
        extra = {
            "undo_referral": referral.id,
            "undo_words": f"Set to {change.after.replace('_', ' ')} by "
            f"{change.actor or 'someone'}: you can undo this for {left} more "
            f"minute{'s' if left != 1 else ''}.",
        }
    return render(
        request,
        "referral.html",
        user,
        r=read,
        tasks=list(session.scalars(query)),
        names={u.id: u.name or u.email for u in everyone},
        people=[u for u in everyone if u.active],
        notes=[e for e in read.timeline or [] if e.kind == "note"],
        fields=PROSPECT_LABELS,
        done=done,
        error=error,
        reasons=[reason.value for reason in NotConvertedReason],
        tells={referral.id: {str(k): v for k, v in told.items()}},
        **extra,
        **forms,
    )


def refused(
    request: Request,
    session: DbSession,
    referral_id: int,
    typed: dict[str, str],
    problems: dict[str, str],
) -> HTMLResponse:
    """The referral's page after a refused status change: what was typed, the words
    next to each field, 422; nothing changed."""
    return _refused(
        request,
        session,
        referral_id,
        "Status not changed: fix what is marked below.",
        status_for=referral_id,
        status_typed=typed,
        status_problems=problems,
    )


def _refused(
    request: Request, session: DbSession, referral_id: int, error: str, **forms: Any
) -> HTMLResponse:
    """The referral's page again, 422, with a refused form as it was typed."""
    session.rollback()
    user = page_user(request, session)
    response = _page(request, session, user, referral_id, error=error, **forms)
    response.status_code = 422
    return response


@router.post("/referrals/{referral_id}/confirm", response_model=None)
async def referral_confirm(request: Request, session: DbSession, referral_id: int) -> Response:
    """Confirm a draft with the prospect's fields as the form shows them."""
    user = page_user(request, session)
    form = await request.form()
    prospect = {name: str(form.get(name, "")).strip() or None for name, _ in PROSPECT_LABELS}
    context = normalize_context(load_settings(session)).as_dict()
    try:
        confirm_in = ReferralConfirm.model_validate({"prospect": prospect}, context=context)
        referrals.confirm(
            session,
            referral_id=referral_id,
            prospect=confirm_in.prospect,
            user=user,
            now=clock.now(),
        )
    except ValidationError as exc:
        names: dict[tuple[str, ...], str] = {("prospect", n): n for n, _ in PROSPECT_LABELS}
        problems = plain.by_field(exc, names)
        if plain.FORM in problems:
            problems[plain.FORM] = "Enter a name, a company, an email or a mobile number."
        typed = {name: str(form.get(name, "")) for name, _ in PROSPECT_LABELS}
        return _refused(
            request,
            session,
            referral_id,
            "Not confirmed: fix what is marked below.",
            confirm_typed=typed,
            confirm_problems=problems,
        )
    except (
        rules.ReferralNotFound,
        confirmation.NotYours,
        confirmation.AlreadyReceived,
    ) as exc:
        return _back(referral_id, error=_say(exc))
    return _back(referral_id, done="Confirmed: its contact task is due within 24 hours")


@router.post("/referrals/{referral_id}/owner", response_model=None)
def referral_owner(
    request: Request, session: DbSession, referral_id: int, owner_id: int = Form(...)
) -> Response:
    """Reassign the referral and its open contact task."""
    user = page_user(request, session)
    changes = ReferralUpdate(owner_id=owner_id)
    try:
        referrals.update(
            session, referral_id=referral_id, changes=changes, user=user, now=clock.now()
        )
    except rules.ReferralNotFound as exc:
        return _back(referral_id, error=_say(exc))
    except (rules.InvalidReferral, confirmation.NotYours) as exc:
        words = exc.reason if isinstance(exc, rules.InvalidReferral) else str(exc)
        return _refused(
            request,
            session,
            referral_id,
            "Not reassigned.",
            owner_typed=owner_id,
            owner_problem=words[:1].upper() + words[1:] + ("" if words.endswith(".") else "."),
        )
    return _back(referral_id, done="Reassigned")


@router.post("/referrals/{referral_id}/notes", response_model=None)
def referral_note(
    request: Request, session: DbSession, referral_id: int, note: str = Form("")
) -> Response:
    user = page_user(request, session)
    try:
        referrals.add_note(session, referral_id=referral_id, text=note, user=user, now=clock.now())
    except rules.ReferralNotFound as exc:
        return _back(referral_id, error=_say(exc))
    except rules.InvalidReferral as exc:
        words = exc.reason[:1].upper() + exc.reason[1:] + "."
        return _refused(
            request,
            session,
            referral_id,
            "Note not added.",
            note_typed=note,
            note_problem=words,
        )
    return _back(referral_id, done="Note added")
