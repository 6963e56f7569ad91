"""A local stand-in for Twilio's Messages API, for tests that drive the real ``twilio`` client.

It answers what the client calls, in Twilio's shapes (``/2010-04-01`` paths, HTTP Basic
auth, form-encoded bodies, JSON answers, Twilio's error and paging JSON):

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` → ``201`` message resource
- ``GET  /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json`` → ``200`` or ``404``
- ``GET  /2010-04-01/Accounts/{AccountSid}/Messages.json`` → a page, newest first; filters
  ``To``, ``From``, ``DateSent``, ``DateSent<``, ``DateSent>``; ``PageSize``, ``Page``

Like Twilio, a text is ``queued`` (``accepted`` when sent through a Messaging Service
without a From) and has no ``date_sent`` until it is sent, so ``DateSent`` filters skip it.

Use it through the ``twilio_double`` fixture (``from tests.twilio_double import
twilio_double  # noqa: F401`` in a test module) or as a context manager, and point the
adapter at it: ``TwilioSms(..., api_base=double.base_url)``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from referral_engine import clock

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fedcba9876543210" * 2
API_VERSION = "2010-04-01"

_LIST = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json")
_ONE = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json")
_SENT_STATUSES = {"sending", "sent", "delivered", "undelivered", "read", "partially_delivered"}

Answer = tuple[int, dict[str, Any]] | None  # None: close the connection without answering


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the double received it (``params``: the form for POST, else the query)."""

    method: str
    path: str
    params: dict[str, str]
    username: str | None
    password: str | None


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    drop: bool = False


@dataclass
class _Stored:
    resource: dict[str, Any]
    created: datetime
    status_callback: str | None
    sent: datetime | None = None


@dataclass
class _State:
    messages: list[_Stored] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)


class TwilioDouble:
    """Twilio's Messages API on 127.0.0.1, with controls for tests.

    ``now`` stamps ``date_created``; it defaults to the wall clock, as Twilio's own, so
    that lookups keyed on the sender's wall-clock start time work under a pinned clock.
    """

    def __init__(
        self,
        *,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        now: Callable[[], datetime] = clock.wall,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._now = now
        self._lock = threading.Lock()
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        self.after_create: Callable[[int], None] | None = None

    # -- running ---------------------------------------------------------------------------

    def start(self) -> TwilioDouble:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering: the port then refuses connections. Safe to call twice."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> TwilioDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the adapter's ``api_base``."""
        return f"http://127.0.0.1:{self._port}"

    # -- what it saw -----------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Messages received, oldest first: Twilio's resource fields (``to``, ``from``,
        ``body``, ``sid``, ``status``, ``messaging_service_sid``, ...) plus
        ``status_callback`` (which Twilio keeps but does not show). Copies."""
        with self._lock:
            return [
                {**copy.deepcopy(m.resource), "status_callback": m.status_callback}
                for m in self._state.messages
            ]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order, including refused ones."""
        with self._lock:
            return list(self._state.requests)

    # -- controls --------------------------------------------------------------------------

    def fail_next(self, status: int, code: int, message: str, times: int = 1) -> None:
        """Answer the next ``times`` authenticated requests (of any kind) with Twilio's
        error JSON ``{"code", "message", "more_info", "status"}`` and HTTP ``status``."""
        with self._lock:
            self._state.failures.extend(_Failure(status, code, message) for _ in range(times))

    def drop_next(self, times: int = 1) -> None:
        """Close the connection instead of answering the next ``times`` authenticated
        requests. A message POSTed meanwhile is still accepted and stored: the case of an
        answer lost after Twilio took the text."""
        with self._lock:
            self._state.failures.extend(_Failure(0, 0, "", drop=True) for _ in range(times))

    def set_status(
        self,
        sid: str,
        status: str,
        *,
        error_code: int | None = None,
        error_message: str | None = None,
    ) -> None:
        """Move message ``sid`` to ``status`` (``sent``, ``delivered``, ``undelivered``...);
        a sent status stamps ``date_sent`` if it has none. KeyError for an unknown sid."""
        with self._lock:
            stored = self._find(sid)
            if stored is None:
                raise KeyError(f"no message {sid} at the Twilio double")
            now = self._now()
            if status in _SENT_STATUSES and stored.sent is None:
                stored.sent = now
                stored.resource["date_sent"] = _rfc2822(now)
            stored.resource.update(
                status=status,
                date_updated=_rfc2822(now),
                error_code=error_code,
                error_message=error_message,
            )

    # -- the API ---------------------------------------------------------------------------

    def answer(self, method: str, target: str, form: dict[str, str], authorization: str) -> Answer:
        """The answer to one request (the HTTP handler's whole job)."""
        parts = urlsplit(target)
        query = _single_values(parts.query)
        username, password = _basic_auth(authorization)
        with self._lock:
            self._state.requests.append(
                RecordedRequest(
                    method, parts.path, form if method == "POST" else query, username, password
                )
            )
            if (username, password) != (self.account_sid, self.auth_token):
                return 401, _error(
                    401, 20003, "Authenticate", detail="Your AccountSid or AuthToken was incorrect."
                )
            failure = self._state.failures.pop(0) if self._state.failures else None
            if failure is not None and not failure.drop:
                return failure.status, _error(failure.status, failure.code, failure.message)
            answer = self._route(method, parts.path, query, form)
            return None if failure is not None else answer

    def _route(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        if (match := _LIST.fullmatch(path)) and match["account"] == self.account_sid:
            if method == "POST":
                return self._create(form)
            if method == "GET":
                return 200, self._page(path, query)
            return 405, _error(405, 20004, "Method not allowed")
        if (match := _ONE.fullmatch(path)) and match["account"] == self.account_sid:
            stored = self._find(match["sid"]) if method == "GET" else None
            if stored is not None:
                return 200, stored.resource
        return 404, _error(404, 20404, f"The requested resource {path} was not found")

    def _create(self, form: dict[str, str]) -> Answer:
        to, sender, service = form.get("To"), form.get("From"), form.get("MessagingServiceSid")
        body = form.get("Body", "")
        if not to:
            return 400, _error(400, 21604, "A 'To' phone number is required.")
        if not (sender or service):
            return 400, _error(400, 21603, "A 'From' phone number is required.")
        if not (body or form.get("MediaUrl") or form.get("ContentSid")):
            return 400, _error(400, 21602, "Message body is required.")
        sid = "SM" + uuid.uuid4().hex
        now = self._now()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": _rfc2822(now),
            "date_sent": None,
            "date_updated": _rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender or None,
            "messaging_service_sid": service or None,
            "num_media": "0",
            "num_segments": "0" if service else str(max(1, math.ceil(len(body) / 153))),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {
                "media": f"{uri}/Media.json",
                "feedback": f"{uri}/Feedback.json",
            },
            "to": to,
            "uri": f"{uri}.json",
        }
        self._state.messages.append(_Stored(resource, now, form.get("StatusCallback")))
        return 201, resource

    def _page(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        size = min(max(int(query.get("PageSize", "50")), 1), 1000)
        number = max(int(query.get("Page", "0")), 0)
        found = [m for m in reversed(self._state.messages) if _matches(m, query)]
        chunk = found[number * size : (number + 1) * size]
        filters = {k: v for k, v in query.items() if k not in ("PageSize", "Page", "PageToken")}

        def page_uri(n: int) -> str:
            paging = {"PageSize": str(size), "Page": str(n)}
            if n:
                paging["PageToken"] = f"PA{n}"
            return f"{path}?{urlencode({**filters, **paging})}"

        has_next = len(found) > (number + 1) * size
        return {
            "end": number * size + max(len(chunk) - 1, 0),
            "first_page_uri": page_uri(0),
            "messages": [m.resource for m in chunk],
            "next_page_uri": page_uri(number + 1) if has_next else None,
            "page": number,
            "page_size": size,
            "previous_page_uri": page_uri(number - 1) if number else None,
            "start": number * size,
            "uri": page_uri(number),
        }

    def _find(self, sid: str) -> _Stored | None:
        return next((m for m in self._state.messages if m.resource["sid"] == sid), None)


@pytest.fixture
def twilio_double() -> Iterator[TwilioDouble]:
    """A started :class:`TwilioDouble` (account ``ACCOUNT_SID``, token ``AUTH_TOKEN``)."""
    with TwilioDouble() as double:
        yield double


def _handler_for(double: TwilioDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8") if length else ""
            auth = self.headers.get("Authorization", "")
            answer = double.answer(method, self.path, _single_values(raw), auth)
            if method == "POST" and double.after_create is not None:
                # A test's hook, called once Twilio has taken the text and before the
                # answer leaves: the kill test stops the sender exactly here.
                double.after_create(len(double.messages))
            if answer is None:
                self.close_connection = True
                return
            status, payload = answer
            content = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: tests read ``double.requests`` instead."""

    return Handler


def _error(status: int, code: int, message: str, *, detail: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    if detail:
        payload["detail"] = detail
    return payload


def _matches(stored: _Stored, query: dict[str, str]) -> bool:
    resource = stored.resource
    if "To" in query and resource["to"] != query["To"]:
        return False
    if "From" in query and resource["from"] != query["From"]:
        return False
    bounds = {k: v for k, v in query.items() if k.startswith("DateSent")}
    if not bounds:
        return True
    if stored.sent is None:  # Twilio's DateSent filters never match an unsent text
        return False
    sent = stored.sent
    for key, value in bounds.items():
        instant = _instant(value)
        if key == "DateSent>" and sent < instant:
            return False
        if key == "DateSent<" and sent > _end_of_day(value, instant):
            return False
        if key == "DateSent" and sent.date() != instant.date():
            return False
    return True


def _instant(value: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or ``YYYY-MM-DDTHH:MM:SSZ``, as the client sends."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    return clock.parse_instant(value)


def _end_of_day(value: str, instant: datetime) -> datetime:
    return instant.replace(hour=23, minute=59, second=59) if len(value) == 10 else instant


def _single_values(encoded: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(encoded, keep_blank_values=True).items()}


def _basic_auth(header: str) -> tuple[str | None, str | None]:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    username, _, password = decoded.partition(":")
    return username, password


def _rfc2822(instant: datetime) -> str:
    return format_datetime(instant.astimezone(UTC).replace(microsecond=0))
