"""Referrals (with "Mark contacted / quoting / converted / not converted") and reports."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from referral_engine import clock, search
from referral_engine.agency.service import load_settings
from referral_engine.contacts.models import Client
from referral_engine.contacts.repository import search_clients
from referral_engine.referrals import messages, repository, rules, undo, updates, views
from referral_engine.referrals.models import Referral, ReferralStatus
from referral_engine.referrals.schemas import ReferralUpdate
from referral_engine.reports import service as reports
from referral_engine.users.actor import Actor
from referral_engine.users.models import User
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import plain, referral_detail
from referral_engine.web.pages.listing import ListQuery, fetch, list_query
from referral_engine.web.pages.report_pages import chosen_week
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
        referrals=views.read_all(session, rows),
        tells=told_of(session, rows),
        listing=listing,
        status=status if chosen else "",
        statuses=list(ReferralStatus),
        reasons=NOT_CONVERTED_REASONS,
        error=error,
        done=done,
        view=view,
        who=ALL if mine is None else "mine",
    )


def told_of(session: DbSession, rows: list[Referral]) -> dict[int, dict[str, str]]:
    """For each open referral: the statuses whose button also messages the referrer, with
    the referrer's first name ("Mark converted and tell Reese")."""
    open_ones = [r for r in rows if r.status not in rules.FINAL]
    told = messages.who_is_told_of(session, open_ones, now=clock.now())
    return {r.id: {str(k): v for k, v in told.get(r.id, {}).items()} for r in open_ones}


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


CAPTURE_FIELDS = {
    ("prospect", "first_name"): "first_name",
    ("prospect", "last_name"): "last_name",
    ("prospect", "mobile"): "mobile",
    ("prospect", "email"): "email",
    ("prospect", "line_of_business"): "line_of_business",
    ("referred_by", "kind"): "referred_by_kind",
    ("referred_by", "name"): "referred_by_name",
    ("referred_by", "external_id"): "referred_by_external_id",
    ("referred_by", "partner_type"): "partner_type",
    ("notes",): "notes",
}


@router.get("/referrals/new", response_class=HTMLResponse)
def referral_capture_form(request: Request, session: DbSession) -> HTMLResponse:
    """The capture form on a page of its own (the referrals list has it too)."""
    user = page_user(request, session)
    return render(request, "referral_new.html", user, error=None)


@router.post("/referrals/new", response_model=None)
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
    referrer_client_id: str = Form(""),
) -> Response:
    """A CSR captures a referral that came in by phone or at the counter. A refused form
    comes back with everything typed and plain words next to each field (422). A client
    who referred is found on record by what was typed (name, phone, email: see
    :func:`_referring_client`), so that they are thanked and credited."""
    from referral_engine.agency.service import normalize_context
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
    typed = {
        **prospect,
        "referred_by_kind": referred_by_kind,
        "referred_by_name": referred_by_name,
        "referred_by_external_id": referred_by_external_id,
        "partner_type": partner_type,
        "notes": notes,
        "referrer_client_id": referrer_client_id,
    }
    referrer: Client | None = None
    candidates: list[Client] = []
    found_referrer = ""
    if referred_by_kind == "client" and not referred_by_external_id.strip():
        referrer, candidates, found_referrer = _referring_client(
            session, user, referred_by_name, referrer_client_id
        )
    try:
        referral_in = ReferralCreate.model_validate(
            body, context=normalize_context(load_settings(session)).as_dict()
        )
    except ValidationError as exc:
        said = plain.by_field(exc, CAPTURE_FIELDS)
        if found_referrer:
            said["referred_by_name"] = found_referrer
        return _capture_refused(request, user, typed, said, candidates=candidates)
    if found_referrer:
        said = {"referred_by_name": found_referrer}
        return _capture_refused(request, user, typed, said, candidates=candidates)
    try:
        referral = referrals.capture(
            session,
            referral_in=referral_in,
            actor=Actor.of(user),
            now=clock.now(),
            referrer=referrer,
        )
    except rules.InvalidReferral as exc:
        field = exc.field.rsplit(".", 1)[-1]
        named = {v: v for v in CAPTURE_FIELDS.values()}
        said = {named.get(field, plain.FORM): exc.reason[:1].upper() + exc.reason[1:]}
        return _capture_refused(request, user, typed, said)
    message = f"Referral {referral.id} saved; its contact task is due within 24 hours"
    return RedirectResponse(f"/referrals?done={quote(message)}", status_code=303)


CANDIDATES = 8
"""How many clients a capture form offers to choose from when several match."""


def _referring_client(
    session: DbSession, user: User, typed: str, chosen: str
) -> tuple[Client | None, list[Client], str]:
    """The client on record who referred: the one chosen from the form's list, else the
    only client matching what was typed (name, phone in any format, email, client id; a
    name written out in full wins over longer ones that contain it). Otherwise no client,
    the clients to choose from, and what to tell the person. A producer's own book only."""
    book = whose_book(user, ALL)
    if chosen.strip().isdigit():
        client = session.get(Client, int(chosen))
        if client is not None and book in (None, client.producer_id):
            return client, [], ""
    words = typed.strip()
    if not words:
        return None, [], "Enter the client's name, phone or email, or choose “someone else”."
    region = load_settings(session).agency.phone_region
    found, total = search_clients(
        session, search=search.parse(words, region), limit=CANDIDATES, producer_id=book
    )
    exact = [c for c in found if c.display_name.casefold() == " ".join(words.split()).casefold()]
    if total == 1 or len(exact) == 1:
        return (found[0] if total == 1 else exact[0]), [], ""
    where = "in your book" if book is not None else "on record"
    if total == 0:
        return (
            None,
            [],
            (
                f"No client {where} matches “{words}”: check the spelling, type their phone or "
                "email instead, or choose “someone else” to keep the name as written."
            ),
        )
    more = f" (the first {CANDIDATES} shown)" if total > CANDIDATES else ""
    return None, found, f"{total} clients {where} match “{words}”{more}: choose one below."


def _capture_refused(
    request: Request,
    user: User,
    typed: dict[str, str],
    problems: dict[str, str],
    *,
    candidates: list[Client] | None = None,
) -> HTMLResponse:
    if plain.FORM in problems:
        problems[plain.FORM] = problems[plain.FORM].replace(
            "A prospect needs", "Enter who was referred:"
        )
    response = render(
        request,
        "referral_new.html",
        user,
        error="Not saved: fix what is marked below.",
        capture=typed,
        capture_problems=problems,
        candidates=candidates or [],
    )
    response.status_code = 422
    return response


@router.post("/referrals/{referral_id}/status", response_model=None)
def referral_status(
    request: Request,
    session: DbSession,
    referral_id: int,
    status: str = Form(""),
    reason: str = Form(""),
    policy_number: str = Form(""),
    premium: str = Form(""),
) -> Response:
    """Move the referral on. "Converted" needs the policy number and the premium; a
    refused change shows the referral's page again with the words next to the field
    (422). The page after the change offers "Undo" (see referrals/undo.py)."""
    user = page_user(request, session)
    typed = {"policy_number": policy_number, "premium": premium, "reason": reason}
    problems: dict[str, str] = {}
    amount: float | None = None
    if status == ReferralStatus.converted:
        if not policy_number.strip():
            problems["policy_number"] = "Enter the policy number."
        amount, problems_premium = _premium(premium)
        if problems_premium:
            problems["premium"] = problems_premium
    if status == ReferralStatus.not_converted and not reason:
        problems["reason"] = "Choose why it was not converted."
    if problems:
        return referral_detail.refused(request, session, referral_id, typed, problems)
    try:
        changes = ReferralUpdate.model_validate(
            {
                "status": status,
                **({"reason": reason} if reason else {}),
                **({"policy_number": policy_number.strip()} if policy_number.strip() else {}),
                **({"premium": amount} if amount is not None else {}),
            }
        )
        updates.update(
            session, referral_id=referral_id, changes=changes, user=user, now=clock.now()
        )
    except ValidationError as exc:
        names: dict[tuple[str, ...], str] = {
            ("status",): "status",
            ("reason",): "reason",
            ("policy_number",): "policy_number",
        }
        problems = plain.by_field(exc, names)
        return referral_detail.refused(request, session, referral_id, typed, problems)
    except (updates.ReferralNotFound, rules.InvalidReferral, rules.TransitionRefused) as exc:
        return _status_back(request, referral_id, error=_say(exc))
    referral = repository.get(session, referral_id)
    assert referral is not None
    change = undo.undoable(session, referral, now=clock.now())
    label = status.replace("_", " ")
    done = f"Referral {referral_id}: {label}"
    if change is not None and change.message_ids:
        done += "; the referrer's update is queued (Undo cancels it while it waits)"
    return _status_back(request, referral_id, done=done, undo=change is not None)


def _premium(text: str) -> tuple[float | None, str]:
    words = "Enter the premium as a number of dollars, e.g. 1820.00."
    cleaned = text.strip().replace(",", "").removeprefix("$")
    if not cleaned:
        return None, "Enter the premium, e.g. 1820.00."
    try:
        amount = float(cleaned)
    except ValueError:
        return None, words
    if not (0 <= amount < 100_000_000) or amount != amount:
        return None, words
    return amount, ""


def _status_back(
    request: Request, referral_id: int, *, done: str = "", error: str = "", undo: bool = False
) -> RedirectResponse:
    """Back to the page the change was made on: the referral's own, or the list."""
    came_from = request.headers.get("referer", "")
    page = f"/referrals/{referral_id}" if f"/referrals/{referral_id}" in came_from else "/referrals"
    said = f"done={quote(done)}" if done else f"error={quote(error)}"
    also = f"&undo={referral_id}" if undo and page == "/referrals" else ""
    return RedirectResponse(f"{page}?{said}{also}", status_code=303)


@router.post("/referrals/{referral_id}/status/undo")
def referral_status_undo(
    request: Request, session: DbSession, referral_id: int
) -> RedirectResponse:
    """Take back the last status change while it may be (referrals/undo.py)."""
    user = page_user(request, session)
    referral = repository.get(session, referral_id, for_update=True)
    if referral is None:
        raise HTTPException(404, f"no referral {referral_id}")
    try:
        words = undo.undo(session, referral, actor=Actor.of(user), now=clock.now())
    except undo.UndoRefused as exc:
        return _status_back(request, referral_id, error=str(exc))
    return _status_back(request, referral_id, done=words)


def _say(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


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
