"""The Webhooks page (principals and admins): deliveries newest first with their status,
attempts and last error, filtered by status or subscriber, and a Resend button."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.users.models import User, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.listing import fetch, list_query
from referral_engine.web.pages.views import page_user, render
from referral_engine.webhooks import repository, service
from referral_engine.webhooks.endpoints import read_all
from referral_engine.webhooks.models import DeliveryStatus

router = APIRouter(include_in_schema=False)


def _forbidden(request: Request, user: User) -> HTMLResponse:
    response = render(request, "forbidden.html", user, what="webhooks")
    response.status_code = 403
    return response


def _page(
    request: Request,
    session: Session,
    user: User,
    *,
    status: str,
    subscriber: str,
    notice: str | None = None,
    error: str | None = None,
    code: int = 200,
) -> HTMLResponse:
    from referral_engine.sources import writeback

    settings = load_settings(session)
    wanted = status if status in set(DeliveryStatus) else None
    listing = list_query(
        request,
        session,
        sorts={"newest": "desc"},
        default_sort="newest",
        keep={"status": wanted or "", "subscriber": subscriber},
        path="/webhooks",
    )
    found = fetch(
        listing,
        lambda limit, offset: repository.delivery_page(
            session,
            search=listing.search,
            status=wanted,
            subscriber=subscriber or None,
            descending=listing.descending,
            limit=limit,
            offset=offset,
        ),
    )
    response = render(
        request,
        "webhooks.html",
        user,
        listing=listing,
        deliveries=read_all(session, list(found)),
        subscribers=settings.webhooks,
        writers=writeback.sources(settings),
        written=writeback.EVENTS,
        statuses=list(DeliveryStatus),
        status=wanted or "",
        subscriber=subscriber,
        notice=notice,
        error=error,
    )
    response.status_code = code
    return response


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks(
    request: Request,
    session: DbSession,
    status: str = "",
    subscriber: str = "",
    resent: int = 0,
) -> HTMLResponse:
    user = page_user(request, session)
    if not manages(user):
        return _forbidden(request, user)
    notice = f"Delivery {resent} will be sent again at the next pass." if resent else None
    return _page(request, session, user, status=status, subscriber=subscriber, notice=notice)


@router.post("/webhooks/{delivery_id}/resend", response_model=None)
def resend(request: Request, delivery_id: int, session: DbSession) -> Response:
    user = page_user(request, session)
    if not manages(user):
        return _forbidden(request, user)
    try:
        service.resend(
            session, delivery_id=delivery_id, by=user.name or user.email, now=clock.now()
        )
    except (service.DeliveryNotFound, service.ResendRefused) as exc:
        code = 404 if isinstance(exc, service.DeliveryNotFound) else 409
        return _page(request, session, user, status="", subscriber="", error=str(exc), code=code)
    return RedirectResponse(f"/webhooks?resent={delivery_id}", status_code=303)
