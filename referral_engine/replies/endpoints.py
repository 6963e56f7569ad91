"""Twilio's webhooks: inbound texts and delivery status, verified by signature."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from referral_engine import clock
from referral_engine.delivery import reconcile as delivery
from referral_engine.replies import repository
from referral_engine.replies import service as replies
from referral_engine.settings import provider_settings
from referral_engine.web.deps import ApiUser, DbSession
from referral_engine.web.problems import Problem

router = APIRouter()


async def _verified_form(request: Request) -> dict[str, str]:
    """The form Twilio posted, after checking X-Twilio-Signature against the public URL."""
    env = provider_settings()
    if not env.twilio_auth_token:
        raise Problem(
            403,
            "SMS webhooks are not configured",
            "set REFERRAL_TWILIO_AUTH_TOKEN to accept Twilio's webhooks",
            kind="forbidden",
        )
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = env.public_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    if not RequestValidator(env.twilio_auth_token).validate(url, form, signature):
        raise Problem(
            403,
            "Signature refused",
            "X-Twilio-Signature does not match this request for REFERRAL_PUBLIC_URL",
            kind="bad-signature",
        )
    return form


# An async dependency reads and checks the form; the route itself is sync, so its database
# work runs in a worker thread and a row lock never blocks the event loop.
TwilioForm = Annotated[dict[str, str], Depends(_verified_form)]


def _twiml(text: str | None) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), media_type="application/xml")


@router.post("/hooks/twilio/sms", tags=["inbound"])
def inbound_sms(form: TwilioForm, session: DbSession) -> Response:
    """An inbound text: STOP/START/HELP at once, anything else read and routed."""
    sid, sender, body = form.get("MessageSid", ""), form.get("From", ""), form.get("Body", "")
    if not sid or not sender:
        raise Problem(422, "Incomplete message", "MessageSid and From are required", kind="invalid")
    answer = replies.receive_sms(session, sid=sid, sender=sender, body=body, now=clock.now())
    return _twiml(answer.text)


@router.post("/hooks/twilio/status", tags=["inbound"])
def delivery_status(form: TwilioForm, session: DbSession) -> Response:
    """Twilio's status callback: delivered, undelivered or failed."""
    delivery.record_status(
        session,
        provider_id=form.get("MessageSid", ""),
        status=form.get("MessageStatus", ""),
        error_code=form.get("ErrorCode") or None,
        now=clock.now(),
    )
    return Response(status_code=204)


@router.get("/api/v1/replies", tags=["replies"])
def list_replies(
    user: ApiUser,
    session: DbSession,
    kind: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Replies with how they were read (hot, interested, opt_out, complaint, auto_reply,
    neutral) and the prospects found in them."""
    return [
        {
            "id": r.id,
            "channel": r.channel,
            "ask_id": r.ask_id,
            "received_at": r.received_at.isoformat(),
            "kind": r.kind,
            "why": r.why,
            "text": r.text,
            "prospects": r.prospects,
        }
        for r in repository.replies(session, kind=kind, limit=limit, offset=offset)
    ]
