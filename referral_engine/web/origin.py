"""Cross-site form posts refused: a strict Origin check on every state-changing page request.

What a caller may rely on, for every POST, PUT, PATCH and DELETE that is not under
:data:`EXEMPT_PREFIXES` (the Bearer-token API, signed inbound hooks, and the one-click
unsubscribe that mail providers post to):

- It is refused with ``403`` and an HTML page in plain words, before any route runs (so
  nothing is read, stored or changed), when

  1. ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site`` (a page on another port of the
     same host is *same-site*, not same-origin, and is refused), or
  2. ``Origin`` is present and is not one of this app's own origins, or
  3. there is no ``Origin`` but ``Referer`` names another origin.

  ``Origin: null`` counts as another origin, except when the browser also says
  ``Sec-Fetch-Site: same-origin``, or on the token pages (``/refer/``, ``/invite/``): they
  are served with ``Referrer-Policy: no-referrer``, under which a browser posts their own
  forms with ``Origin: null``, and there the token in the address, not a cookie, is what
  lets the post act.

- This app's own origins are the one the request was addressed to (its scheme and
  ``Host``; with ``REFERRAL_TRUST_PROXY=1`` the proxy's ``X-Forwarded-Proto`` and
  ``X-Forwarded-Host``) and the origin of ``REFERRAL_PUBLIC_URL``. Scheme, host and port
  are compared; a default port (80, 443) may be left out.
- A request with none of these headers (a script, ``curl``, a test client) passes: a
  browser always sends ``Origin`` with a cross-origin POST and ``Sec-Fetch-Site`` with
  every request, so only non-browser clients arrive without them — and they cannot ride
  on a signed-in person's cookie.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from referral_engine.web.security import TOKEN_LINK_PREFIXES

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
EXEMPT_PREFIXES = ("/api/", "/hooks/", "/u/")
"""Not browser forms: the API (Bearer tokens, no cookie), signed inbound hooks (Standard
Webhooks, Twilio), and RFC 8058 one-click unsubscribe (posted by the mail provider)."""
REFUSED_SITES = (b"cross-site", b"same-site")
DEFAULT_PORTS = {"http": 80, "https": 443}

_templates = Jinja2Templates(directory=str(Path(__file__).parent / "pages" / "templates"))


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of ``url`` (the port always written), or None when it has
    no scheme and host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return f"{scheme}://{parts.hostname.lower()}:{port or DEFAULT_PORTS[scheme]}"


def own_origins(scope: Scope, *, trust_proxy: bool, public_url: str) -> set[str]:
    """The origins a form of this app is posted from (see the module)."""
    headers = dict(scope.get("headers") or [])
    scheme = str(scope.get("scheme", "http"))
    host = headers.get(b"host", b"").decode("latin-1")
    if trust_proxy:
        forwarded_proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1")
        forwarded_host = headers.get(b"x-forwarded-host", b"").decode("latin-1")
        scheme = forwarded_proto.split(",")[0].strip() or scheme
        host = forwarded_host.split(",")[0].strip() or host
    found = {origin_of(f"{scheme}://{host}") if host else None, origin_of(public_url)}
    return {origin for origin in found if origin}


def refusal(scope: Scope, *, trust_proxy: bool, public_url: str) -> str | None:
    """Why this request is refused as cross-site, or None when it may go on."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return None
    if str(scope.get("path", "")).startswith(EXEMPT_PREFIXES):
        return None
    headers = dict(scope.get("headers") or [])
    site = headers.get(b"sec-fetch-site", b"").strip().lower()
    if site in REFUSED_SITES:
        return f"the browser says it came from another site ({site.decode()})"
    mine = own_origins(scope, trust_proxy=trust_proxy, public_url=public_url)
    origin = headers.get(b"origin")
    if origin is not None:
        text = origin.decode("latin-1")
        if text.strip() == "null" and (
            site == b"same-origin" or str(scope.get("path", "")).startswith(TOKEN_LINK_PREFIXES)
        ):
            return None
        if origin_of(text) not in mine:
            return f"it came from {text[:200] or 'an unnamed page'}"
        return None
    referer = headers.get(b"referer")
    if referer is not None and origin_of(referer.decode("latin-1")) not in mine:
        return "it came from a page of another site"
    return None


class SameOriginForms:
    """ASGI middleware: refuse a cross-site state-changing request (see the module)."""

    def __init__(self, app: ASGIApp, *, trust_proxy: bool, public_url: str) -> None:
        self.app = app
        self.trust_proxy = trust_proxy
        self.public_url = public_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            why = refusal(scope, trust_proxy=self.trust_proxy, public_url=self.public_url)
            if why is not None:
                response = _templates.TemplateResponse(
                    Request(scope),
                    "cross_site.html",
                    {"user": None, "navigation": [], "path": scope["path"], "why": why},
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
