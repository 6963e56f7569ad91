"""Referrals (with "Mark contacted / quoting / converted / not converted") and reports."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from referral_engine import clock
from referral_engine.referrals import repository, rules, updates, views
from referral_engine.referrals.models import Referral, ReferralStatus
from referral_engine.referrals.schemas import ReferralUpdate
from referral_engine.reports import service as reports
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.report_pages import chosen_week
from referral_engine.web.pages.views import ALL, page_user, render, whose_book

router = APIRouter(include_in_schema=False)

NOT_CONVERTED_REASONS = ("price", "timing", "coverage", "unreachable", "other")


PRIORITY = "Priority – Referral"


@router.get("/referrals", response_class=HTMLResponse)
def referral_list(
    request: Request,
    session: DbSession,
    status: str = "",
    view: str = "",
    error: str = "",
    done: str = "",
    who: str = ALL,
) -> HTMLResponse:
    user = page_user(request, session)
    chosen = ReferralStatus(status) if status in ReferralStatus.__members__ else None
    rows = repository.listing(session, status=chosen, referred_by_kind=None, limit=300, offset=0)
    mine = whose_book(user, who)
    if mine is not None:
        rows = _of_book(session, rows, user_id=mine)
    if view == "priority":
        # Priority service: referrals still waiting for their first contact, soonest due.
        rows = [r for r in rows if PRIORITY in (r.tags or []) and r.status == ReferralStatus.new]
        rows.sort(key=lambda r: r.contact_due_at or r.created_at)
    return render(
        request,
        "referrals.html",
        user,
        referrals=[views.read(session, r) for r in rows],
        status=status,
        statuses=list(ReferralStatus),
        reasons=NOT_CONVERTED_REASONS,
        error=error,
        done=done,
        view=view,
        who=ALL if mine is None else "mine",
    )


def _of_book(session: DbSession, rows: list[Referral], *, user_id: int) -> list[Referral]:
    """A person's own referrals: those they own, or, with no owner yet, those referred by
    a client they produce."""
    referrers = {r.referred_by_client_id for r in rows if r.referred_by_client_id}
    producers = repository.referrer_producers(session, client_ids=referrers)
    return [
        r
        for r in rows
        if r.owner_id == user_id
        or (r.owner_id is None and producers.get(r.referred_by_client_id or 0) == user_id)
    ]


@router.post("/referrals/new")
def referral_capture(
    request: Request,
    session: DbSession,
    first_name: str = Form(""),
    last_name: str = Form(""),
    mobile: str = Form(""),
    email: str = Form(""),
    line_of_business: str = Form(""),
    referred_by_kind: str = Form("client"),
    referred_by_name: str = Form(""),
    referred_by_external_id: str = Form(""),
    partner_type: str = Form(""),
    notes: str = Form(""),
) -> RedirectResponse:
    """A CSR captures a referral that came in by phone or at the counter."""
    from referral_engine.agency.service import load_settings, normalize_context
    from referral_engine.referrals import service as referrals
    from referral_engine.referrals.schemas import ReferralCreate
    from referral_engine.users.actor import Actor

    user = page_user(request, session)
    prospect = {
        "first_name": first_name,
        "last_name": last_name,
        "mobile": mobile,
        "email": email,
        "line_of_business": line_of_business,
    }
    referred_by = {
        "kind": referred_by_kind,
        "name": referred_by_name,
        "external_id": referred_by_external_id,
        "partner_type": partner_type,
    }
    body = {
        "prospect": {k: v for k, v in prospect.items() if v.strip()},
        "referred_by": {k: v for k, v in referred_by.items() if v.strip()},
        "notes": notes,
    }
    try:
        referral_in = ReferralCreate.model_validate(
            body, context=normalize_context(load_settings(session)).as_dict()
        )
        referral = referrals.capture(
            session, referral_in=referral_in, actor=Actor.of(user), now=clock.now()
        )
    except (ValidationError, rules.InvalidReferral) as exc:
        return RedirectResponse(f"/referrals?error={_say(exc)}", status_code=303)
    message = f"Referral {referral.id} saved; its contact task is due within 24 hours"
    return RedirectResponse(f"/referrals?done={message}", status_code=303)


@router.post("/referrals/{referral_id}/status")
def referral_status(
    request: Request,
    session: DbSession,
    referral_id: int,
    status: str = Form(...),
    reason: str = Form(""),
    policy_number: str = Form(""),
) -> RedirectResponse:
    user = page_user(request, session)
    try:
        changes = ReferralUpdate.model_validate(
            {
                "status": status,
                **({"reason": reason} if reason else {}),
                **({"policy_number": policy_number} if policy_number else {}),
            }
        )
        updates.update(
            session, referral_id=referral_id, changes=changes, user=user, now=clock.now()
        )
    except (
        ValidationError,
        updates.ReferralNotFound,
        rules.InvalidReferral,
        rules.TransitionRefused,
    ) as exc:
        return RedirectResponse(f"/referrals?error={_say(exc)}", status_code=303)
    label = status.replace("_", " ")
    return RedirectResponse(f"/referrals?done=Referral {referral_id}: {label}", status_code=303)


def _say(exc: Exception) -> str:
    from urllib.parse import quote

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return quote(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    return quote(str(exc))


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, session: DbSession, week: str | None = None) -> HTMLResponse:
    user = page_user(request, session)
    chosen, error = chosen_week(session, week, clock.now())
    recent = reports.recent_weeks(session, until=chosen, count=12)
    response = render(
        request,
        "reports.html",
        user,
        recent=recent,
        labels=reports.ALL_LABELS,
        week=chosen,
        error=error,
    )
    response.status_code = 422 if error else 200
    return response
