"""Contacts: the client list, each client's timeline and consent (with its proof),
recording consent a client gave or refused (a signed application, a form, on the phone),
and recording a revocation a client made by phone or in person."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from referral_engine import clock
from referral_engine.contacts import consent, repository
from referral_engine.contacts import timeline as timelines
from referral_engine.contacts.models import Client, ConsentMethod, ConsentPurpose, ConsentStatus
from referral_engine.contacts.schemas import ConsentCreate
from referral_engine.replies.statements import record_statement
from referral_engine.users.models import User
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import plain
from referral_engine.web.pages.listing import fetch, list_query
from referral_engine.web.pages.views import ALL, agency_instant, page_user, render, whose_book

# How a client may tell a person they want no more messages (the form's choices).
REVOCATION_METHODS = {
    "phone": "On the phone",
    "in_person": "In person",
    "email": "By email to me",
    "letter": "By letter",
}
REVOCATION_CHANNELS = {"sms": "Texts", "email": "Email", "all": "Texts and email"}
# Consent a client gives or refuses: for what, and how it reached us.
CONSENT_PURPOSES = {
    "sms": "Texts about referrals",
    "email": "Email about referrals",
    "publicity": "Being thanked by name in public",
}
CONSENT_ANSWERS = {"granted": "Yes, they agreed", "refused": "No, they declined"}
CONSENT_METHODS = {
    "signed_application": "Signed application",
    "form": "A form they filled in (paper or web)",
    "phone": "On the phone",
    "in_person": "In person",
    "email": "By email to me",
    "letter": "By letter",
}

router = APIRouter(include_in_schema=False)


# The contact list's columns: the direction a first click on each header sorts.
CLIENT_SORTS = {"name": "asc", "company": "asc", "email": "asc", "since": "desc", "added": "desc"}


@router.get("/contacts", response_class=HTMLResponse)
def contact_list(request: Request, session: DbSession, who: str = ALL) -> HTMLResponse:
    """Clients by name, 50 a page: search by name, company, email, id, policy number or
    phone (any format)."""
    user = page_user(request, session)
    mine = whose_book(user, who)
    listing = list_query(
        request,
        session,
        sorts=CLIENT_SORTS,
        default_sort="name",
        keep={"who": "mine" if who == "mine" else ""},
    )
    clients = fetch(
        listing,
        lambda limit, offset: repository.search_clients(
            session,
            search=listing.search,
            limit=limit,
            offset=offset,
            producer_id=mine,
            sort=listing.sort,
            descending=listing.descending,
        ),
    )
    return render(
        request,
        "contacts.html",
        user,
        clients=clients,
        listing=listing,
        who=ALL if mine is None else "mine",
    )


@router.get("/contacts/{client_id}", response_class=HTMLResponse)
def contact_detail(
    request: Request, session: DbSession, client_id: int, done: str = "", error: str = ""
) -> HTMLResponse:
    user = page_user(request, session)
    return _detail(request, session, user, _client(session, client_id), done=done, error=error)


def _detail(
    request: Request,
    session: DbSession,
    user: User,
    client: Client,
    *,
    done: str = "",
    error: str = "",
    **forms: Any,
) -> HTMLResponse:
    """The contact's page; ``forms`` carry a refused form as typed and its words."""
    listing = list_query(request, session, sorts={"newest": "desc"}, default_sort="newest")
    entries, older = timelines.for_client(
        session, client_id=client.id, limit=listing.size, offset=listing.offset
    )
    policies = repository.policies_of(session, client_id=client.id)
    return render(
        request,
        "contact.html",
        user,
        client=client,
        entries=entries,
        timeline_page=listing,
        older=older,
        policies=policies,
        consent_state={
            "Email": consent.state_of(client, ConsentPurpose.email),
            "Texts": consent.state_of(client, ConsentPurpose.sms),
        },
        consent_history=consent.history(session, client_id=client.id),
        methods=REVOCATION_METHODS,
        channels=REVOCATION_CHANNELS,
        consent_purposes=CONSENT_PURPOSES,
        consent_answers=CONSENT_ANSWERS,
        consent_methods=CONSENT_METHODS,
        done=done,
        error=error,
        **forms,
    )


@router.post("/contacts/{client_id}/revoke")
def record_revocation(
    request: Request,
    session: DbSession,
    client_id: int,
    channel: str = Form(""),
    how: str = Form(""),
    staff_name: str = Form(""),
    wording: str = Form(""),
) -> RedirectResponse:
    """A revocation the client made by phone, in person, by email or letter: recorded as
    said to the named member of staff; the client is opted out at once."""
    user = page_user(request, session)
    client = _client(session, client_id)
    if channel not in REVOCATION_CHANNELS or how not in REVOCATION_METHODS:
        return _back(client_id, error="Choose which messages stop and how the client told you.")
    staff = staff_name.strip() or user.name or user.email
    purposes = ("sms", "email") if channel == "all" else (channel,)
    try:
        for purpose in purposes:
            body = ConsentCreate(
                purpose=ConsentPurpose(purpose),
                status=ConsentStatus.revoked,
                method=ConsentMethod(how),
                wording=wording.strip()[:4000] or None,
                staff_name=staff[:200],
            )
            record_statement(session, client=client, body=body, user=user, now=clock.now())
    except consent.BadConsent as exc:
        return _back(client_id, error=str(exc))
    stopped = REVOCATION_CHANNELS[channel].lower()
    return _back(client_id, done=f"Recorded: {client.display_name} gets no more {stopped}.")


@router.post("/contacts/{client_id}/consent", response_model=None)
def record_consent(
    request: Request,
    session: DbSession,
    client_id: int,
    purpose: str = Form(""),
    status: str = Form(""),
    how: str = Form(""),
    at: str = Form(""),
    wording: str = Form(""),
    number: str = Form(""),
    staff_name: str = Form(""),
) -> Response:
    """Consent the client gave or refused, with its proof: when (the agency's wall clock;
    empty means now), how, the wording they saw or heard, the number it covers and who
    took it. Open asks follow at once: one waiting for consent can then be approved."""
    user = page_user(request, session)
    client = _client(session, client_id)
    typed = {
        "purpose": purpose,
        "status": status,
        "how": how,
        "at": at,
        "wording": wording,
        "number": number,
        "staff_name": staff_name,
    }

    def refused(field: str, words: str) -> HTMLResponse:
        session.rollback()
        response = _detail(
            request,
            session,
            page_user(request, session),
            _client(session, client_id),
            error="Consent not recorded: fix what is marked below.",
            consent_typed=typed,
            consent_problems={field: words[:1].upper() + words[1:]},
        )
        response.status_code = 422
        return response

    if (
        purpose not in CONSENT_PURPOSES
        or status not in CONSENT_ANSWERS
        or how not in CONSENT_METHODS
    ):
        return refused("purpose", "Choose what the consent is for, their answer and how.")
    given_at = None
    if at.strip():
        try:
            given_at = agency_instant(session, at)
        except ValueError:
            return refused("at", "Enter a date and time, e.g. 2026-11-20 14:30.")
    method = ConsentMethod(how)
    try:
        body = ConsentCreate(
            purpose=ConsentPurpose(purpose),
            status=ConsentStatus(status),
            method=method,
            at=given_at,
            wording=wording.strip() or None,
            number=(number.strip() or None) if purpose == "sms" else None,
            staff_name=(staff_name.strip() or None) if method in consent.STAFF_METHODS else None,
        )
        record_statement(session, client=client, body=body, user=user, now=clock.now())
    except ValidationError as exc:
        names: dict[tuple[str, ...], str] = {(k,): k for k in typed}
        names[("at",)] = "at"
        [(field, words)] = list(plain.by_field(exc, names).items())[:1]
        return refused("purpose" if field == plain.FORM else field, words)
    except consent.BadConsent as exc:
        return refused(_consent_field(str(exc)), str(exc))
    answer = "agreed to" if status == "granted" else "declined"
    what = CONSENT_PURPOSES[purpose].lower()
    return _back(client_id, done=f"Recorded: {client.display_name} {answer} {what}.")


def _consent_field(message: str) -> str:
    """The consent form's field a refusal is about."""
    for words, field in (
        ("wording", "wording"),
        ("mobile number", "number"),
        ("future", "at"),
        ("who took", "staff_name"),
        ("staff", "staff_name"),
    ):
        if words in message:
            return field
    return "purpose"


def _client(session: DbSession, client_id: int) -> Client:
    client = session.get(Client, client_id) if 0 < client_id < 2**63 else None
    if client is None:
        raise HTTPException(404, "no such contact")
    return client


def _back(client_id: int, *, done: str = "", error: str = "") -> RedirectResponse:
    query = f"?error={quote(error)}" if error else f"?done={quote(done)}" if done else ""
    return RedirectResponse(f"/contacts/{client_id}{query}", status_code=303)
