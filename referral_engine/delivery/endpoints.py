"""The links in an ask: tracked click, introduce-someone page, unsubscribe; the outbox
(what waits, sending it once a provider is set, marking an ask sent by hand)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from referral_engine import clock
from referral_engine.agency.service import load_settings, secret_key
from referral_engine.asks import review
from referral_engine.asks import service as asks
from referral_engine.asks.endpoints import problem_for_review
from referral_engine.asks.models import Ask
from referral_engine.asks.schemas import AskRead, MarkSentIn
from referral_engine.contacts.models import Client, ConsentMethod
from referral_engine.delivery import links, outbox, refer_limits, repository
from referral_engine.delivery.models import Click
from referral_engine.delivery.providers import Providers
from referral_engine.events.schemas import normalized_email
from referral_engine.referrals.service import ProspectFacts, capture_from_client
from referral_engine.replies import repository as replies_repository
from referral_engine.replies.revocation import opt_out_email
from referral_engine.settings import provider_settings
from referral_engine.tasks import service as tasks
from referral_engine.users.models import MANAGERS
from referral_engine.web.deps import ApiUser, DbSession, require_role
from referral_engine.web.pages.views import render
from referral_engine.web.security import client_address

router = APIRouter()


def _ask(session: DbSession, value: str, purpose: str) -> tuple[Ask, Client] | None:
    token = links.unsign(value, purpose=purpose, key=secret_key(session))
    ask = replies_repository.ask_by_token(session, token=token) if token else None
    client = session.get(Client, ask.client_id) if ask else None
    return (ask, client) if ask and client else None


def _gone(request: Request) -> HTMLResponse:
    response = render(request, "link_gone.html", None)
    response.status_code = 404
    return response


@router.get("/r/{value}", include_in_schema=False)
def tracked_link(request: Request, session: DbSession, value: str) -> Response:
    """Record the click (first or repeat) and go to the introduce-someone page. From the
    second click on, one open task tells the producer, counting the visits: a client
    opening the link again and again adds to that task, never a task per visit."""
    found = _ask(session, value, links.TRACK)
    if found is None:
        return _gone(request)
    ask, client = found
    now = clock.now()
    earlier = repository.clicks(session, ask_id=ask.id)
    session.add(Click(ask_id=ask.id, at=now, first=not earlier))
    session.flush()
    if earlier:
        _repeat_click_task(session, ask=ask, client=client, visits=len(earlier) + 1, now=now)
    key = secret_key(session)
    target = f"/refer/{links.sign(ask.token, purpose=links.REFER, key=key)}"
    return RedirectResponse(target, status_code=303)


def _repeat_click_task(
    session: DbSession, *, ask: Ask, client: Client, visits: int, now: datetime
) -> None:
    detail = (
        f"{visits} visits to the introduce link of ask {ask.id}, the last at "
        f"{now:%Y-%m-%d %H:%M} UTC: they may be about to refer someone."
    )
    task = tasks.open_for_ask(session, kind="repeat_click", ask_id=ask.id)
    if task is not None:
        tasks.note(session, task=task, detail=detail)
        return
    tasks.create(
        session,
        key=f"click:{ask.id}:{visits}",
        kind="repeat_click",
        title=f"{client.display_name} opened the introduce link again",
        detail=detail,
        now=now,
        assignee_id=tasks.assignee_for(session, ask),
        client_id=client.id,
        ask_id=ask.id,
    )


@router.get("/refer/{value}", response_class=HTMLResponse, include_in_schema=False)
def refer_form(request: Request, session: DbSession, value: str) -> HTMLResponse:
    found = _ask(session, value, links.REFER)
    if found is None:
        return _gone(request)
    _, client = found
    agency = load_settings(session).agency.name
    return render(request, "refer.html", None, client=client, agency=agency, error=None, done=False)


@router.post("/refer/{value}", response_class=HTMLResponse, include_in_schema=False)
def refer_submit(
    request: Request,
    session: DbSession,
    value: str,
    first_name: str = Form(""),
    last_name: str = Form(""),
    mobile: str = Form(""),
    email: str = Form(""),
    note: str = Form(""),
) -> HTMLResponse:
    """One step: the client names a person; it becomes a referral and a task at once.
    Bounded per link and per client address (``[links]``, :mod:`refer_limits`): over
    either limit the answer is 429 with the form as typed, and nothing is stored."""
    found = _ask(session, value, links.REFER)
    if found is None:
        return _gone(request)
    ask, client = found
    settings = load_settings(session)
    typed = {"first_name": first_name, "last_name": last_name, "mobile": mobile}
    typed |= {"email": email, "note": note}
    now = clock.now()
    address = client_address(
        request.scope, trust_proxy=getattr(request.app.state, "trust_proxy", False)
    )

    def again(error: str, status: int) -> HTMLResponse:
        response = render(
            request,
            "refer.html",
            None,
            client=client,
            agency=settings.agency.name,
            error=error,
            done=False,
            form=typed,
        )
        response.status_code = status
        return response

    try:
        refer_limits.check(session, ask_id=ask.id, address=address, limits=settings.links, now=now)
    except refer_limits.TooManyReferrals as refused:
        response = again(str(refused), 429)
        response.headers["Retry-After"] = str(refused.retry_after_seconds)
        return response
    prospect, error = _prospect(first_name, last_name, mobile, email, settings.agency.phone_region)
    if error:
        return again(error, 422)
    refer_limits.record(session, ask_id=ask.id, address=address, now=now)
    # Priority service: the 24-hour contact task for the producer, and the thank-you.
    capture_from_client(
        session,
        prospect=prospect,
        client=client,
        ask=ask,
        captured_via="page",
        now=clock.now(),
        notes=note.strip()[:2000],
    )
    return render(
        request,
        "refer.html",
        None,
        client=client,
        agency=settings.agency.name,
        error=None,
        done=True,
    )


def _prospect(
    first: str, last: str, mobile: str, email: str, region: str
) -> tuple[ProspectFacts, str | None]:
    import phonenumbers

    first, last, mobile, email = (v.strip()[:100] for v in (first, last, mobile, email))
    if not (first or last):
        return ProspectFacts(), "Please give the person's name."
    if not (mobile or email):
        return ProspectFacts(), "Please give a phone number or an email so we can reach them."
    phone = None
    if mobile:
        try:
            parsed = phonenumbers.parse(mobile, region)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            return ProspectFacts(), "That phone number does not look right."
        phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    address = None
    if email:
        try:
            address = normalized_email(email)
        except ValueError:
            return ProspectFacts(), "That email address does not look right."
    return ProspectFacts(first or None, last or None, address, phone), None


@router.get("/u/{value}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe_page(request: Request, session: DbSession, value: str) -> HTMLResponse:
    found = _ask(session, value, links.UNSUBSCRIBE)
    if found is None:
        return _gone(request)
    _, client = found
    agency = load_settings(session).agency.name
    return render(
        request,
        "unsubscribe.html",
        None,
        agency=agency,
        done=client.email_opted_out,
        address=_masked(client.email or ""),
    )


@router.post("/u/{value}", response_class=HTMLResponse, include_in_schema=False)
def unsubscribe(request: Request, session: DbSession, value: str) -> HTMLResponse:
    """Unsubscribe at once: the page's button, or a mail client's RFC 8058 one-click POST."""
    found = _ask(session, value, links.UNSUBSCRIBE)
    if found is None:
        return _gone(request)
    ask, client = found
    if not client.email_opted_out:
        now = clock.now()
        opt_out_email(session, client, method=ConsentMethod.unsubscribe_link, now=now)
        asks.record(
            session,
            ask,
            kind="status",
            status="opted_out",
            detail="the client unsubscribed from email by the link",
            now=now,
        )
    agency = load_settings(session).agency.name
    return render(
        request,
        "unsubscribe.html",
        None,
        agency=agency,
        done=True,
        address=_masked(client.email or ""),
    )


def _masked(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else ""


@router.get("/api/v1/messages", tags=["delivery"])
def list_messages(
    user: ApiUser,
    session: DbSession,
    status: str | None = Query(None, description="outbox, sending, sent, delivered, …"),
    recipient: Literal["clients", "staff", "all"] = Query(
        "clients", description="clients (the default), staff (notifications to people), all"
    ),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Outbound messages; ``status=outbox`` lists what waits because no provider is set.
    Notifications to staff (``user_id`` set) are listed with ``recipient=staff`` or
    ``all``."""
    found = repository.messages(
        session, status=status, recipient=recipient, limit=limit, offset=offset
    )
    return [
        {
            "id": m.id,
            "ask_id": m.ask_id,
            "user_id": m.user_id,
            "kind": m.kind,
            "channel": m.channel,
            "to": m.to,
            "subject": m.subject,
            "body": m.body,
            "status": m.status,
            "provider_id": m.provider_id,
            "error_code": m.error_code,
            "error": m.error,
            "attempts": m.attempts,
            "created_at": m.created_at.isoformat(),
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        }
        for m in found
    ]


@router.post("/api/v1/outbox/send", tags=["delivery"])
def send_outbox(user: ApiUser, session: DbSession) -> dict[str, int]:
    """Principal or admin: every ask in the outbox whose channel now has a provider goes
    back to ``scheduled`` for its next send slot (the sender sends it then); those past
    their warmth window expire."""
    require_role(user, *MANAGERS)
    released = outbox.release(
        session, providers=Providers.from_settings(provider_settings()), now=clock.now()
    )
    return {"queued": released.queued, "expired": released.expired}


@router.post("/api/v1/asks/{ask_id}/mark-sent", tags=["asks"])
def mark_sent(ask_id: int, body: MarkSentIn, user: ApiUser, session: DbSession) -> AskRead:
    """A person sent the ask themselves: it counts as sent, ``how`` goes on its timeline."""
    try:
        ask = outbox.mark_sent(session, ask_id=ask_id, user=user, how=body.how, now=clock.now())
    except outbox.MARK_SENT_ERRORS as exc:
        raise problem_for_review(exc) from exc
    return review.read(session, ask, timeline=True)
