"""The edge: what a request may not make the server do, refused before any route runs.

- **Body size.** A body larger than the limit (``REFERRAL_MAX_EVENT_BYTES``, 1 MB by
  default; ``REFERRAL_MAX_BATCH_BYTES``, 10 MB, for ``/api/v1/events:batch``) is never
  read whole: a declared ``Content-Length`` over it is refused at once, and a body that
  grows past it is cut off. Elsewhere the answer is 413: problem+json for a program, the
  error page for a person's page (a form pasted full). On the event routes
  the route itself answers, so that an authenticated event is kept as a rejected input:
  it gets the first :data:`KEPT_BYTES` and the size in ``request.state.too_large``.
- **JSON.** A JSON body to any other route is read with
  :func:`referral_engine.events.jsontext.loads` first (nesting, number size, NaN): what
  it refuses answers 400 problem+json instead of reaching the route's parser. Event
  routes read their bodies the same way and keep what they refuse.
- **Integers in the path and the query.** A value that looks like an integer but does not
  fit its column (an id of 2^31 and up, an offset of 2^63 and up) answers 422
  problem+json, before the database sees it. A number in a body that the database cannot
  hold (a field the schema left unbounded) answers 422 as well
  (:func:`referral_engine.web.problems.install`).
"""

from __future__ import annotations

import re

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from referral_engine.events import jsontext
from referral_engine.web.problems import Problem, problem_response, refusal

KEPT_BYTES = 64_000
"""How much of an oversized event is kept with its rejection."""
INT64 = 2**63 - 1
INT32 = 2**31 - 1
"""Ids are 32-bit columns on PostgreSQL; offsets and other counts may use 64 bits."""
EVENT_ROUTES = re.compile(r"^/(api/v1/events(:batch)?|hooks/events/[^/]+)$")
BATCH_ROUTE = "/api/v1/events:batch"
_INTEGER = re.compile(r"^[+-]?\d+$")


class EdgeLimits:
    """ASGI middleware: body size and JSON sanity for every request (see the module)."""

    def __init__(self, app: ASGIApp, *, max_event_bytes: int, max_batch_bytes: int) -> None:
        self.app = app
        self.max_event_bytes = max_event_bytes
        self.max_batch_bytes = max_batch_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.max_batch_bytes if path == BATCH_ROUTE else self.max_event_bytes
        event_route = bool(EVENT_ROUTES.match(path))
        body, size = await _read(scope, receive, limit)
        if size is not None:
            if not event_route:
                response = refusal(
                    Request(scope),
                    413,
                    "Request too large",
                    f"the body is {_size(size)}; at most {limit:,} bytes",
                    kind="too-large",
                )
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["too_large"] = size
            body = body[:KEPT_BYTES]
        elif not event_route and _is_json(scope) and body.strip():
            try:
                jsontext.loads(body)
            except jsontext.JsonRefused as exc:
                response = problem_response(
                    400, "Invalid JSON", str(exc), kind="invalid-json", instance=path
                )
                await response(scope, receive, send)
                return
        await self.app(scope, _replay(body), send)


async def _read(scope: Scope, receive: Receive, limit: int) -> tuple[bytes, int | None]:
    """The body, and None; or what was read and the size when it is over ``limit``
    (the declared size, or a lower bound when the body was cut off)."""
    declared = dict(scope.get("headers") or []).get(b"content-length", b"")
    # Over a declared length, only the start that is kept is read.
    over = int(declared) if declared.isdigit() and int(declared) > limit else None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit or (over is not None and size >= KEPT_BYTES):
            chunks.append(chunk[: max(KEPT_BYTES - (size - len(chunk)), 0)])
            return b"".join(chunks), max(size, over or 0)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if over is not None:
        return b"".join(chunks)[:KEPT_BYTES], over
    return b"".join(chunks), None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _is_json(scope: Scope) -> bool:
    kind = dict(scope.get("headers") or []).get(b"content-type", b"").split(b";")[0].strip()
    return kind == b"application/json" or kind.endswith(b"+json")


def _size(size: int) -> str:
    return f"{size:,} bytes or more"


async def check_integers(request: Request) -> None:
    """An app-wide dependency: integers in the path (ids) and in the query fit their
    columns — 32 bits for an id (a path value, or a query value named ``…id``), 64 for
    anything else (an offset)."""
    values = [(name, value, INT32) for name, value in request.path_params.items()]
    values += [
        (name, value, INT32 if name.endswith("id") else INT64)
        for name, value in request.query_params.multi_items()
    ]
    for name, value, bound in values:
        text = str(value)
        digits = text.lstrip("+-").lstrip("0")
        if _INTEGER.match(text) and (len(digits) > 19 or abs(int(text)) > bound):
            raise Problem(
                422,
                "Invalid request",
                f"{name}: {text[:30]}{'…' if len(text) > 30 else ''} is out of range",
                kind="invalid-request",
                errors=[{"field": name, "reason": "out of range"}],
            )


def too_large(request: Request) -> int | None:
    """The size of an event body the edge cut off (None: the body is whole)."""
    size = getattr(request.state, "too_large", None)
    return int(size) if size is not None else None
