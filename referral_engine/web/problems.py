"""RFC 9457 problem details: every API error leaves through here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from referral_engine.web.security import headers_for

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://referral-engine.dev/problems/"


class Problem(Exception):
    """An error a client can act on; rendered as problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.headers = headers
        self.extensions = extensions


def problem_response(
    status: int,
    title: str,
    detail: str = "",
    *,
    kind: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install(app: FastAPI) -> None:
    """Map every error the app can raise to problem+json, once."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            kind=exc.kind,
            instance=request.url.path,
            headers=exc.headers,
            **exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p != "body") or "body",
                "reason": str(e["msg"]).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem_response(
            422,
            "Invalid request",
            detail,
            kind="invalid-request",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # SQLite raises OverflowError for an integer over 64 bits; PostgreSQL a DataError
        # ("out of range") for one over its column. Anything else is the server's fault.
        if isinstance(exc, DataError) and "out of range" not in str(exc.orig):
            return await _unexpected(request, exc)
        return problem_response(
            422,
            "Invalid request",
            "a number in the request is out of range",
            kind="invalid-request",
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged by the server with its traceback; the client gets problem+json, no details.
        return problem_response(
            500,
            "Internal error",
            "the server failed to answer this request; it has been logged",
            kind="internal-error",
            instance=request.url.path,
            # Sent past the middleware (by Starlette's error handler): the headers here.
            headers=headers_for(request.url.path),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            401: "Not signed in",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
        }
        return problem_response(
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            str(exc.detail or ""),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )
