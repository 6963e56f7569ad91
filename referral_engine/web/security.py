"""Safe defaults on every response: security headers and a ``Secure`` session cookie.

What a caller may rely on, for every HTTP response the app sends (pages, API, static
files, redirects and errors, the unexpected 500 included):

- ``Content-Security-Policy``: :data:`POLICY` — only the app's own scripts, styles,
  forms and images (plus ``data:`` images); no framing, no plugins, no ``<base>``. The
  interactive API docs (``/docs``, ``/redoc``) load their viewer from a CDN and get
  :data:`DOCS_POLICY` instead, which still forbids framing.
- ``X-Frame-Options: DENY`` and ``X-Content-Type-Options: nosniff``.
- ``Referrer-Policy: strict-origin-when-cross-origin``; ``no-referrer`` on the token
  links a client or an invited colleague opens (``/r/``, ``/u/``, ``/refer/``,
  ``/invite/``), so the token never leaves in a ``Referer`` header.
- Every cookie set on a request that arrived over HTTPS is marked ``Secure``. A request
  counts as HTTPS when its own scheme is ``https``, or — only when
  ``REFERRAL_TRUST_PROXY=1`` — when the reverse proxy says ``X-Forwarded-Proto: https``.
  The header is ignored otherwise, since any client can send it.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
"""The Content-Security-Policy of every page and answer."""

DOCS_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "font-src 'self' https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
"""The policy of the interactive API docs, whose viewer FastAPI loads from a CDN."""

DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
TOKEN_LINK_PREFIXES = ("/r/", "/u/", "/refer/", "/invite/")


def headers_for(path: str) -> dict[str, str]:
    """The security headers an answer to ``path`` carries."""
    return {
        "content-security-policy": DOCS_POLICY if path in DOCS_PATHS else POLICY,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": (
            "no-referrer"
            if path.startswith(TOKEN_LINK_PREFIXES)
            else "strict-origin-when-cross-origin"
        ),
    }


def is_https(scope: Scope, *, trust_proxy: bool) -> bool:
    """Whether the request arrived over HTTPS (see the module for the proxy rule)."""
    if scope.get("scheme") in ("https", "wss"):
        return True
    if not trust_proxy:
        return False
    headers = dict(scope.get("headers") or [])
    # A chain of proxies lists one scheme each; the first is the client's.
    forwarded = headers.get(b"x-forwarded-proto", b"").split(b",")[0].strip().lower()
    return forwarded == b"https"


def client_address(scope: Scope, *, trust_proxy: bool) -> str:
    """The client's address: the peer's, or — only when ``REFERRAL_TRUST_PROXY=1`` — the
    last one the proxy appended to ``X-Forwarded-For`` (the address it saw the request
    come from; earlier entries are the client's own claim)."""
    if trust_proxy:
        headers = dict(scope.get("headers") or [])
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1").split(",")
        if forwarded[-1].strip():
            return forwarded[-1].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _secure(cookie: bytes) -> bytes:
    flags = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in flags else cookie + b"; secure"


def with_headers(
    raw: Iterable[tuple[bytes, bytes]], path: str, *, https: bool
) -> list[tuple[bytes, bytes]]:
    """``raw`` response headers with the security headers set (replacing any a route set)
    and, over HTTPS, every cookie marked ``Secure``."""
    extra = headers_for(path)
    names = {name.encode() for name in extra}
    out = [
        (name, _secure(value) if https and name.lower() == b"set-cookie" else value)
        for name, value in raw
        if name.lower() not in names
    ]
    out += [(name.encode(), value.encode()) for name, value in extra.items()]
    return out


class SecurityHeaders:
    """ASGI middleware: the headers and cookie flags of the module on every response."""

    def __init__(self, app: ASGIApp, *, trust_proxy: bool) -> None:
        self.app = app
        self.trust_proxy = trust_proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = is_https(scope, trust_proxy=self.trust_proxy)
        path = scope["path"]

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = with_headers(message.get("headers", []), path, https=https)
            await send(message)

        await self.app(scope, receive, send_secured)
