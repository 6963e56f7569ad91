"""RFC 9457 problem details: every API error leaves through here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from referral_engine.web.security import headers_for

PROBLEM_JSON = "application/problem+json"
MACHINE_PREFIXES = ("/api/", "/hooks/", "/openapi.json", "/healthz", "/docs", "/redoc")
"""Paths a program calls: their errors are always problem+json."""
PageError = Callable[[Request, int, str], Response]
"""Renders an error as an HTML page for a person: (request, status, plain words)."""
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


def for_people(request: Request) -> bool:
    """Whether ``request`` came from a person's browser page rather than a program: any
    path outside the API, the webhooks and the operations endpoints."""
    return not request.url.path.startswith(MACHINE_PREFIXES)


def refusal(request: Request, status: int, title: str, detail: str, *, kind: str) -> Response:
    """A refusal made before any route runs: the HTML error page for a person's page,
    problem+json for a program."""
    page = _page(request, status, detail)
    if page is not None:
        return page
    return problem_response(status, title, detail, kind=kind, instance=request.url.path)


def _page(request: Request, status: int, words: str) -> Response | None:
    """The HTML error page for a person, when the pages installed one (see
    :func:`install_pages`)."""
    render: PageError | None = getattr(request.app.state, "error_page", None)
    if render is None or not for_people(request):
        return None
    return render(request, status, words)


def _bad_path_value(request: Request, fields: list[str]) -> bool:
    """A path value that cannot name anything (``/asks/abc``, an id past 32 bits): for a
    person that page does not exist."""
    return any(name in request.path_params for name in fields)


def install_pages(app: FastAPI, render: PageError) -> None:
    """Errors on a person's pages answer ``render``'s HTML page; the API keeps
    problem+json."""
    app.state.error_page = render


def install(app: FastAPI) -> None:
    """Map every error the app can raise to problem+json, once (an HTML page instead for
    a person's pages, once :func:`install_pages` has run)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        fields = [str(e.get("field")) for e in exc.extensions.get("errors") or []]
        status = 404 if exc.status == 422 and _bad_path_value(request, fields) else exc.status
        page = _page(request, status, exc.detail or exc.title)
        if page is not None:
            return page
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
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        in_path = any(e["loc"] and e["loc"][0] == "path" for e in exc.errors())
        page = _page(request, 404 if in_path else 422, "")
        if page is not None:
            return page
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
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # SQLite raises OverflowError for an integer over 64 bits; PostgreSQL a DataError
        # ("out of range") for one over its column. Anything else is the server's fault.
        if isinstance(exc, DataError) and "out of range" not in str(exc.orig):
            return await _unexpected(request, exc)
        page = _page(request, 422, "A number in the form is too large.")
        if page is not None:
            return page
        return problem_response(
            422,
            "Invalid request",
            "a number in the request is out of range",
            kind="invalid-request",
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Logged by the server with its traceback; the client gets problem+json, no details.
        try:
            page = _page(request, 500, "")
        except Exception:  # noqa: BLE001 - the error page itself failed: the plain answer
            page = None
        if page is not None:
            page.headers.update(headers_for(request.url.path))
            return page
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
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        page = _page(request, exc.status_code, "")
        if page is not None:
            for name, value in (getattr(exc, "headers", None) or {}).items():
                page.headers[name] = value
            return page
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
