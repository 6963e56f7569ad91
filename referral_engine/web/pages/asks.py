"""The review queue and the asks: each with its reasons, draft and timeline."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.asks import checks, repository, review
from referral_engine.asks import service as asks
from referral_engine.asks.models import AskStatus
from referral_engine.contacts.models import Client
from referral_engine.users.models import Role, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import reward_pages
from referral_engine.web.pages.listing import fetch, list_query
from referral_engine.web.pages.views import (
    ALL,
    agency_instant,
    page_user,
    render,
    templates,
    whose_book,
)

router = APIRouter(include_in_schema=False)
# The draft's preview (text as sent, characters, SMS segments), the same without JavaScript.
templates.env.globals["draft_preview"] = checks.preview

REVIEW_ERRORS = (asks.AskNotFound, asks.ReviewForbidden, asks.ReviewRefused, asks.DraftRefused)


# The review queue's sort keys: oldest waiting first by default.
REVIEW_SORTS = {"created": "asc", "goes_out": "asc", "client": "asc"}


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request, session: DbSession, done: str = "", error: str = "", who: str = ALL
) -> HTMLResponse:
    """Asks waiting for review, the longest waiting first, 50 a page; search and sort
    as on the asks list."""
    user = page_user(request, session)
    mine = whose_book(user, who)
    listing = list_query(
        request,
        session,
        sorts=REVIEW_SORTS,
        default_sort="created",
        keep={"who": "mine" if who == "mine" else ""},
    )
    rows = fetch(
        listing,
        lambda limit, offset: repository.page(
            session,
            search=listing.search,
            status=AskStatus.pending_review,
            producer_id=mine,
            sort=listing.sort,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    zone = load_settings(session).agency.timezone
    waiting = reward_pages.waiting(session) if manages(user) else []
    return render(
        request,
        "review.html",
        user,
        asks=review.read_all(session, rows),
        listing=listing,
        rewards=waiting,
        zone=zone,
        done=done,
        error=error,
        who=ALL if mine is None else "mine",
        can_review=user.role != Role.csr,
    )


# The asks list's columns: the direction a first click on each header sorts.
ASK_SORTS = {
    "created": "desc",
    "goes_out": "desc",
    "client": "asc",
    "status": "asc",
    "channel": "asc",
}
CHANNELS = ("email", "sms")


@router.get("/asks", response_class=HTMLResponse)
def ask_list(
    request: Request, session: DbSession, status: str = "", who: str = ALL, channel: str = ""
) -> HTMLResponse:
    """Every ask, newest first, 50 a page: search (client, phone in any format, policy
    number), status and channel filters, sortable columns."""
    user = page_user(request, session)
    chosen = status if status in AskStatus.__members__ else ""
    by_channel = channel if channel in CHANNELS else ""
    mine = whose_book(user, who)
    listing = list_query(
        request,
        session,
        sorts=ASK_SORTS,
        default_sort="created",
        keep={"status": chosen, "channel": by_channel, "who": "mine" if who == "mine" else ""},
    )
    rows = fetch(
        listing,
        lambda limit, offset: repository.page(
            session,
            search=listing.search,
            status=chosen or None,
            since=listing.since,
            before=listing.before,
            channel=by_channel or None,
            producer_id=mine,
            sort=listing.sort,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    counts = repository.counts_by_status(session, producer_id=mine)
    return render(
        request,
        "asks.html",
        user,
        asks=[
            (shown, client, ask.created_at)
            for shown, (ask, client) in zip(review.read_all(session, rows), rows, strict=True)
        ],
        listing=listing,
        status=chosen,
        channel=by_channel,
        channels=CHANNELS,
        statuses=list(AskStatus),
        counts=counts,
        who=ALL if mine is None else "mine",
    )


@router.get("/asks/{ask_id}", response_class=HTMLResponse)
def ask_detail(
    request: Request, session: DbSession, ask_id: int, error: str = "", done: str = ""
) -> HTMLResponse:
    return _ask_page(request, session, ask_id, error=error, done=done)


def _ask_page(
    request: Request, session: DbSession, ask_id: int, *, status: int = 200, **context: Any
) -> HTMLResponse:
    """The ask's page: the ask with its timeline, its client (for the client's clock),
    the agency's zone, whether this person may review it; ``context`` adds a notice, an
    error, or a refused form as typed."""
    user = page_user(request, session)
    ask = repository.get(session, ask_id)
    if ask is None:
        raise HTTPException(404, "no such ask")
    response = render(
        request,
        "ask.html",
        user,
        ask=review.read(session, ask, timeline=True),
        client=session.get(Client, ask.client_id),
        zone=load_settings(session).agency.timezone,
        can_review=asks.may_review(user, ask),
        **({"error": "", "done": ""} | context),
    )
    response.status_code = status
    return response


def _back(request: Request, ask_id: int, *, done: str = "", error: str = "") -> RedirectResponse:
    target = request.headers.get("referer", "")
    page = f"/asks/{ask_id}" if f"/asks/{ask_id}" in target else "/review"
    query = f"?error={quote(error)}" if error else f"?done={quote(done)}" if done else ""
    return RedirectResponse(page + query, status_code=303)


@router.post("/asks/{ask_id}/approve", response_model=None)
async def approve(request: Request, session: DbSession, ask_id: int) -> Response:
    """Approve, with the draft as the form shows it. A draft the checks refuse (empty,
    template text left in, too long: :mod:`referral_engine.asks.checks`) comes back with
    what was typed and the reasons next to the box, 422; nothing is stored."""
    user = page_user(request, session)
    form = await request.form()
    # Read raw: an emptied box must reach the checks as "", not as "not sent".
    subject = form.get("subject")
    body = form.get("body")
    subject = str(subject) if subject is not None else None
    # A browser sends a textarea's line breaks as CRLF: the draft's own are LF.
    body = str(body).replace("\r\n", "\n") if body is not None else None
    current = repository.get(session, ask_id)
    edited = current is not None and (
        (body is not None and body.strip() != current.draft_body.strip())
        or (subject is not None and subject.strip() != (current.draft_subject or "").strip())
    )
    try:
        review.approve_ask(
            session,
            ask_id=ask_id,
            user=user,
            now=clock.now(),
            subject=subject if edited else None,
            body=(body if body is not None else current.draft_body) if edited and current else None,
        )
    except asks.DraftRefused as exc:
        return _refused(request, session, ask_id, exc, subject=subject, body=body or "")
    except REVIEW_ERRORS as exc:
        return _back(request, ask_id, error=str(exc))
    return _back(request, ask_id, done=f"Ask {ask_id} approved.")


PICK_A_TIME = "Pick a date and time to send it, e.g. 8 Dec 2026, 14:30."
IN_THE_PAST = "Pick a time in the future."
SAY_WHY = "Say why not to ask: it goes on the ask's timeline."


def _form_refused(
    request: Request,
    session: DbSession,
    ask_id: int,
    typed: dict[str, str],
    problems: dict[str, str],
) -> HTMLResponse:
    """The ask's page again after a refused defer or decline: what was typed, the words
    next to the field, 422."""
    session.rollback()
    return _ask_page(
        request,
        session,
        ask_id,
        status=422,
        error="Not done: " + " ".join(problems.values()),
        typed_for=ask_id,
        action_typed=typed,
        action_problems=problems,
    )


def _refused(
    request: Request,
    session: DbSession,
    ask_id: int,
    exc: asks.DraftRefused,
    *,
    subject: str | None,
    body: str,
) -> HTMLResponse:
    """The ask's page again, what was typed kept, each reason next to its box."""
    session.rollback()
    ask = repository.get(session, ask_id)
    if ask is None:
        raise HTTPException(404, "no such ask")
    sent, _ = asks.as_sent(
        ask, subject=subject, body=body, agency_name=load_settings(session).agency.name
    )
    problems: dict[str, list[str]] = {}
    for field, words in exc.problems:
        problems.setdefault(field.removeprefix("draft."), []).append(words)
    return _ask_page(
        request,
        session,
        ask_id,
        status=422,
        error="Not approved: " + " ".join(w for ws in problems.values() for w in ws),
        typed={
            "subject": subject if subject is not None else ask.draft_subject or "",
            "body": body,
        },
        typed_for=ask_id,
        typed_sent=sent,
        problems=problems,
    )


@router.post("/asks/{ask_id}/defer", response_model=None)
def defer(request: Request, session: DbSession, ask_id: int, until: str = Form("")) -> Response:
    user = page_user(request, session)
    try:
        instant = agency_instant(session, until)
    except ValueError:
        return _form_refused(request, session, ask_id, {"until": until}, {"until": PICK_A_TIME})
    try:
        review.defer_ask(session, ask_id=ask_id, user=user, until=instant, now=clock.now())
    except asks.DraftRefused:
        return _form_refused(request, session, ask_id, {"until": until}, {"until": IN_THE_PAST})
    except REVIEW_ERRORS as exc:
        return _back(request, ask_id, error=str(exc))
    return _back(request, ask_id, done=f"Ask {ask_id} deferred.")


@router.post("/asks/{ask_id}/decline", response_model=None)
def decline(request: Request, session: DbSession, ask_id: int, reason: str = Form("")) -> Response:
    user = page_user(request, session)
    try:
        review.decline_ask(session, ask_id=ask_id, user=user, reason=reason, now=clock.now())
    except asks.DraftRefused:
        return _form_refused(request, session, ask_id, {"reason": reason}, {"reason": SAY_WHY})
    except REVIEW_ERRORS as exc:
        return _back(request, ask_id, error=str(exc))
    return _back(request, ask_id, done=f"Ask {ask_id} declined.")
