"""Inputs: each source's health, then every raw input with its outcome; rejected and
quarantined ones with their reasons, and each input's raw body on its own page."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from referral_engine.agency.service import load_settings
from referral_engine.events import repository
from referral_engine.events.models import RawInput
from referral_engine.sources.health import lag_text, source_health
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/inputs", response_class=HTMLResponse)
def input_list(request: Request, session: DbSession, outcome: str | None = None) -> HTMLResponse:
    user = page_user(request, session)
    sources = source_health(session, settings=load_settings(session))
    rows = repository.raw_inputs(session, outcome=outcome or None, source=None, limit=200)
    return render(
        request,
        "inputs.html",
        user,
        rows=rows,
        outcome=outcome or "",
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
