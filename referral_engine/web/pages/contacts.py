"""Contacts: the client list and each client's timeline."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from referral_engine.contacts import repository
from referral_engine.contacts import timeline as timelines
from referral_engine.contacts.models import Client
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)


@router.get("/contacts", response_class=HTMLResponse)
def contact_list(request: Request, session: DbSession, q: str = "", page: int = 1) -> HTMLResponse:
    user = page_user(request, session)
    clients = repository.search_clients(session, text=q, limit=50, offset=(max(page, 1) - 1) * 50)
    return render(request, "contacts.html", user, clients=clients, q=q, page=max(page, 1))


@router.get("/contacts/{client_id}", response_class=HTMLResponse)
def contact_detail(request: Request, session: DbSession, client_id: int) -> HTMLResponse:
    user = page_user(request, session)
    client = session.get(Client, client_id)
    if client is None:
        raise HTTPException(404, "no such contact")
    entries = timelines.for_client(session, client_id=client.id)
    policies = repository.policies_of(session, client_id=client.id)
    return render(request, "contact.html", user, client=client, entries=entries, policies=policies)
