"""Inputs: each source's health, then every raw input with its outcome; rejected ones
with their reasons."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from referral_engine.agency.service import load_settings
from referral_engine.events import repository
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
