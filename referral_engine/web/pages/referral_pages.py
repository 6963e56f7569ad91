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
from referral_engine.web.pages.listing import ListQuery, fetch, list_query
from referral_engine.web.pages.views import ALL, page_user, render, whose_book

router = APIRouter(include_in_schema=False)

NOT_CONVERTED_REASONS = ("price", "timing", "coverage", "unreachable", "other")


PRIORITY = "Priority – Referral"


# The referral list's sort keys: the direction a first click on each gives.
REFERRAL_SORTS = {"created": "desc", "name": "asc", "status": "asc", "due": "asc"}


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
    """Referrals newest first, 50 a page: search (prospect, referrer, phone in any format,
    policy number), status filter, sort links; the priority view lists new referrals
    tagged Priority – Referral, soonest due first."""
    user = page_user(request, session)
    chosen = ReferralStatus(status) if status in ReferralStatus.__members__ else None
    priority = view == "priority"
    mine = whose_book(user, who)
    listing = list_query(
        request,
        session,
        sorts=REFERRAL_SORTS,
        default_sort="due" if priority else "created",
        keep={
            "status": chosen or "",
            "view": "priority" if priority else "",
            "who": "mine" if who == "mine" else "",
        },
    )
    rows = fetch(
        listing,
        lambda limit, offset: (
            _priority(session, listing, book_of=mine, limit=limit, offset=offset)
            if priority
            else repository.page(
                session,
                search=listing.search,
                status=chosen,
                since=listing.since,
                before=listing.before,
                book_of=mine,
                sort=listing.sort,
                descending=listing.descending,
                limit=limit,
                offset=offset,
            )
        ),
    )
    return render(
        request,
        "referrals.html",
        user,
        referrals=[views.read(session, r) for r in rows],
        listing=listing,
        status=status if chosen else "",
        statuses=list(ReferralStatus),
        reasons=NOT_CONVERTED_REASONS,
        error=error,
        done=done,
        view=view,
        who=ALL if mine is None else "mine",
    )


def _priority(
    session: DbSession, listing: ListQuery, *, book_of: int | None, limit: int, offset: int
) -> tuple[list[Referral], int]:
    """Priority service: new referrals (still waiting for their first contact) tagged
    Priority – Referral, soonest due. Tags are a JSON list, read here rather than in SQL
    (the two databases store it differently); only new referrals are loaded."""
    new, _ = repository.page(
        session,
        search=listing.search,
        status=ReferralStatus.new,
        book_of=book_of,
        sort="due",
        descending=listing.descending and listing.sort == "due",
        limit=10_000,
        offset=0,
    )
    tagged = [r for r in new if PRIORITY in (r.tags or [])]
    return tagged[offset : offset + limit], len(tagged)


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
    try:
        chosen = reports.parse_week(week) if week else reports.current_week(session, clock.now())
    except reports.BadWeek:
        chosen = reports.current_week(session, clock.now())
    recent = reports.recent_weeks(session, until=chosen, count=12)
    return render(
        request, "reports.html", user, recent=recent, labels=reports.ALL_LABELS, week=chosen
    )
