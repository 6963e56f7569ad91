"""Ways in over HTTP: the bearer API and signed webhooks; the raw-input log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.events import jsontext, repository
from referral_engine.events import service as events
from referral_engine.events.models import Outcome
from referral_engine.events.schemas import EventIn
from referral_engine.events.webhooks import WebhookRefused, verify
from referral_engine.settings import AgencySettings, provider_settings
from referral_engine.sources.native import native_input
from referral_engine.web.deps import ApiUser, DbSession, Settings, authenticate_token
from referral_engine.web.edge import too_large
from referral_engine.web.problems import Problem, problem_response

router = APIRouter()

_EVENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": EventIn.model_json_schema()}},
    }
}


def _accepted(result: events.IngestResult, raw_id: int | None = None) -> JSONResponse:
    status = "accepted" if result.outcome == Outcome.accepted else "duplicate"
    return JSONResponse({"event_id": result.event_key, "status": status}, status_code=202)


def _rejected(result: events.IngestResult, path: str) -> JSONResponse:
    errors = [e.as_dict() for e in result.errors]
    return problem_response(
        422,
        "Invalid event",
        result.reason,
        kind="invalid-event",
        instance=path,
        errors=errors,
        note="the raw input is kept; list it with GET /api/v1/events?outcome=rejected",
    )


async def _raw_bytes(request: Request) -> bytes:
    """The body as sent (the edge already cut an oversized one short)."""
    return await request.body()


async def _raw_body(raw: bytes = Depends(_raw_bytes)) -> str:
    return raw.decode("utf-8", errors="replace")


# An async dependency reads the body; the routes themselves are sync, so their database
# work runs in a worker thread: a row lock held by another request's transaction never
# blocks the event loop (which that transaction's commit needs).
RawBody = Annotated[str, Depends(_raw_body)]
RawBytes = Annotated[bytes, Depends(_raw_bytes)]

KEPT_NOTE = "the start of the input is kept; list it with GET /api/v1/events?outcome=rejected"


def _too_large(
    size: int, path: str, *, kept: bool, what: str = "event", limit: int | None = None
) -> JSONResponse:
    """413 for an event (or a batch) over its limit, saying whether its start is kept."""
    setting = "REFERRAL_MAX_EVENT_BYTES" if what == "event" else "REFERRAL_MAX_BATCH_BYTES"
    limit = limit if limit is not None else provider_settings().max_event_bytes
    article = "an" if what == "event" else "a"
    detail = f"the body is {size:,} bytes or more; {article} {what} may be at most {limit:,} bytes"
    extensions: dict[str, Any] = {"note": KEPT_NOTE} if kept else {}
    return problem_response(
        413,
        f"{what.capitalize()} too large",
        f"{detail} ({setting})",
        kind="too-large",
        instance=path,
        **extensions,
    )


def _forbidden(result: events.IngestResult, path: str) -> JSONResponse:
    errors = [e.as_dict() for e in result.errors]
    return problem_response(
        403,
        "Not allowed for this source",
        result.reason,
        kind="source-forbidden",
        instance=path,
        errors=errors,
        note="the raw input is kept as rejected; nothing else was stored",
    )


def _refused(result: events.IngestResult, path: str) -> JSONResponse:
    if result.forbidden:
        return _forbidden(result, path)
    return _rejected(result, path)


def _keep_unreadable(
    session: Session, settings: AgencySettings, *, body: str, reason: str, now: datetime
) -> None:
    """Keep an input that cannot be read as an event (its start, when cut off) as one
    rejected raw input, like every input."""
    raw = events.RawEvent(body=body, channel="api", source="api")
    raw.errors.append(events.FieldError("body", reason))
    events.ingest_retrying(session, inputs=[raw], settings=settings, now=now)


@contextmanager
def _ingest_transaction(
    request: Request,
) -> Iterator[tuple[Session, AgencySettings, frozenset[str] | None]]:
    """The transaction of an ingest request, opened in the route's own thread.

    The token check, the settings and the insert run in one go, so the transaction
    (and on SQLite the write lock) is held only for the work itself, not across the
    hops between dependency threads and the event loop: under load those hops, not
    the work, made the queue of concurrent writers. Yields the token's source scope too.
    """
    with unit_of_work(request.app.state.db_url) as session:
        _, token = authenticate_token(request, session)
        scope = frozenset(token.sources) if token.sources is not None else None
        yield session, load_settings(session), scope


@router.post("/api/v1/events", status_code=202, openapi_extra=_EVENT_BODY, tags=["events"])
def post_event(request: Request, body: RawBody) -> JSONResponse:
    """Ingest one canonical event. A repeat of (source, id) answers "duplicate"."""
    oversize = too_large(request)
    if oversize is not None:
        reason = f"too large: {oversize:,} bytes or more"
        with _ingest_transaction(request) as (session, settings, _):
            _keep_unreadable(session, settings, body=body, reason=reason, now=clock.now())
        return _too_large(oversize, request.url.path, kept=True)
    raw = events.RawEvent.from_json_text(body, channel="api", source="api")
    with _ingest_transaction(request) as (session, settings, scope):
        raw.allowed_sources = scope
        [result] = events.ingest_retrying(session, inputs=[raw], settings=settings, now=clock.now())
    if result.outcome == Outcome.rejected:
        return _refused(result, request.url.path)
    return _accepted(result)


MAX_BATCH_EVENTS = 1000
_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": MAX_BATCH_EVENTS,
                    "items": EventIn.model_json_schema(),
                }
            }
        },
    }
}


@router.post("/api/v1/events:batch", openapi_extra=_BATCH_BODY, tags=["events"])
def post_events_batch(request: Request, body: RawBody) -> JSONResponse:
    """Ingest up to 1,000 canonical events in one request: a JSON array. Each event is
    accepted, a duplicate or rejected on its own (a rejected one is kept, as always); the
    answer lists each outcome in the order sent, with the counts."""
    now = clock.now()
    oversize = too_large(request)
    refusal: str | None = None
    items: Any = None
    if oversize is not None:
        refusal = f"too large: {oversize:,} bytes or more"
    else:
        try:
            items = jsontext.loads(body)
        except jsontext.JsonRefused as exc:
            refusal = str(exc)
        else:
            if not isinstance(items, list):
                refusal = "a batch is a JSON array of events"
            elif len(items) > MAX_BATCH_EVENTS:
                refusal = (
                    f"a batch holds at most {MAX_BATCH_EVENTS:,} events; this one {len(items):,}"
                )
    if refusal is not None:
        # The batch as a whole cannot be read: kept (its start) as one rejected input.
        with _ingest_transaction(request) as (session, settings, _):
            _keep_unreadable(session, settings, body=body, reason=refusal, now=now)
        if oversize is not None:
            limit = provider_settings().max_batch_bytes
            return _too_large(oversize, request.url.path, kept=True, what="batch", limit=limit)
        return problem_response(
            422,
            "Invalid batch",
            refusal,
            kind="invalid-batch",
            instance=request.url.path,
            note=KEPT_NOTE,
        )
    raws = [_batch_item(item) for item in items]
    with _ingest_transaction(request) as (session, settings, scope):
        for raw in raws:
            raw.allowed_sources = scope
        results = events.ingest_retrying(session, inputs=raws, settings=settings, now=now)
    counts = {outcome.value: 0 for outcome in Outcome}
    answers = []
    for index, result in enumerate(results):
        counts[result.outcome.value] += 1
        answer: dict[str, Any] = {
            "index": index,
            "event_id": result.event_key,
            "status": result.outcome.value,
        }
        if result.outcome == Outcome.rejected:
            answer["errors"] = [e.as_dict() for e in result.errors]
            if result.forbidden:
                answer["forbidden"] = True
        answers.append(answer)
    return JSONResponse({**counts, "results": answers}, status_code=200)


def _batch_item(item: Any) -> events.RawEvent:
    """One element of a batch as a raw input: kept as its own JSON text."""
    raw = events.RawEvent(body=json.dumps(item, ensure_ascii=False), channel="api", source="api")
    if isinstance(item, dict):
        raw.parsed = item
    else:
        raw.errors.append(events.FieldError("body", "an event must be a JSON object"))
    return raw


@router.post("/hooks/events/{source}", status_code=202, openapi_extra=_EVENT_BODY, tags=["events"])
def post_signed_event(
    source: str, request: Request, body: RawBytes, session: DbSession, settings: Settings
) -> JSONResponse:
    """Ingest one event signed with the source's Standard Webhooks secret: a canonical
    event, or the source's own payload when its ``profile`` names one (EZLynx, Momentum);
    a native message that is no referral moment answers ``"ignored"``."""
    configured = settings.sources.get(source)
    if configured is None or not configured.webhook_secret:
        raise Problem(
            404,
            "Unknown source",
            f"no signed source {source!r} is configured",
            kind="unknown-source",
        )
    oversize = too_large(request)
    if oversize is not None:
        # Unverifiable (the body was cut off) and unauthenticated: refused, not kept.
        return _too_large(oversize, request.url.path, kept=False)
    try:
        verified = verify(
            secret=configured.webhook_secret,
            body=body,
            headers=dict(request.headers),
            now=clock.now(),
        )
    except WebhookRefused as exc:
        raise Problem(401, "Signature refused", str(exc), kind="bad-signature") from exc
    now = clock.now()
    text = body.decode("utf-8", errors="replace")
    if configured.profile:
        # The source sends its own system's payload: read into the canonical event.
        native = native_input(configured.profile, text, source=source)
        if native is None:
            repository.claim_webhook_message(
                session, source=source, message_id=verified.message_id, now=now
            )
            return JSONResponse(
                {"event_id": None, "status": "ignored", "reason": "not a referral moment"},
                status_code=202,
            )
        raw = native
    else:
        raw = events.RawEvent.from_json_text(
            text,
            channel="webhook",
            source=source,
            required_source=source,
            authenticated_as=source,
        )
    if repository.webhook_message_seen(session, source=source, message_id=verified.message_id):
        # A replay: kept as a duplicate input, nothing else changes.
        key = str((raw.parsed or {}).get("id") or verified.message_id)
        events.record_replay(session, raw=raw, event_key=key, now=now)
        return JSONResponse({"event_id": key, "status": "duplicate"}, status_code=202)
    [result] = events.ingest_retrying(session, inputs=[raw], settings=settings, now=now)
    if result.outcome == Outcome.rejected:
        # The message id stays free: the sender's retry after a fix is not a replay.
        return _rejected(result, request.url.path)
    repository.claim_webhook_message(
        session, source=source, message_id=verified.message_id, now=now
    )
    return _accepted(result)


@router.get("/api/v1/events", tags=["events"])
def list_inputs(
    user: ApiUser,
    session: DbSession,
    outcome: Outcome | None = None,
    source: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Every raw input with its outcome (accepted, duplicate, rejected + reason)."""
    rows = repository.raw_inputs(
        session, outcome=outcome, source=source, limit=limit, offset=offset
    )
    return [
        {
            "id": r.id,
            "received_at": r.received_at.isoformat(),
            "channel": r.channel,
            "source": r.source,
            "event_id": r.event_key,
            "outcome": r.outcome,
            "reason": r.reason,
            "errors": r.errors or [],
            "file_name": r.file_name,
            "line_no": r.line_no,
            "reprocessed_at": r.reprocessed_at.isoformat() if r.reprocessed_at else None,
            "body": r.body,
        }
        for r in rows
    ]
