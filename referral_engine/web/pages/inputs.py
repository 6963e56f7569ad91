"""Inputs: each source's health, then every raw input with its outcome; rejected and
quarantined ones with their reasons, and each input's raw body on its own page."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from referral_engine.agency.service import load_settings
from referral_engine.events import repository
from referral_engine.events.models import Outcome, RawInput
from referral_engine.sources.health import lag_text, source_health
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.listing import fetch, list_query
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


INPUT_SORTS = {"received": "desc", "source": "asc", "outcome": "asc"}


@router.get("/inputs", response_class=HTMLResponse)
def input_list(
    request: Request, session: DbSession, outcome: str = "", source: str = ""
) -> HTMLResponse:
    """Each source's health, then every input newest first, 50 a page: outcome and source
    filters, search by event id, file name or reason."""
    user = page_user(request, session)
    settings = load_settings(session)
    sources = source_health(session, settings=settings)
    chosen = outcome if outcome in Outcome.__members__ else ""
    names = {s.name for s in sources}
    by_source = source if source in names else ""
    listing = list_query(
        request,
        session,
        sorts=INPUT_SORTS,
        default_sort="received",
        keep={"outcome": chosen, "source": by_source},
    )
    rows = fetch(
        listing,
        lambda limit, offset: repository.raw_input_page(
            session,
            search=listing.search,
            since=listing.since,
            before=listing.before,
            outcome=chosen or None,
            source=by_source or None,
            sort=listing.sort,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    return render(
        request,
        "inputs.html",
        user,
        rows=rows,
        listing=listing,
        outcome=chosen,
        outcomes=list(Outcome),
        source=by_source,
        sources=sources,
        lag_text=lag_text,
    )


@router.get("/inputs/{input_id}", response_class=HTMLResponse)
def input_detail(request: Request, session: DbSession, input_id: int) -> HTMLResponse:
    """One input as it arrived (a quarantined email's raw message), with its outcome."""
    user = page_user(request, session)
    row = session.get(RawInput, input_id)
    if row is None:
        raise HTTPException(404, "no such input")
    return render(request, "input.html", user, row=row)
