"""A webhook subscriber for tests: a real HTTP server on loopback that verifies every
request with the official ``standardwebhooks`` package, records it, and answers what the
test scripted (``fail_next``, ``answer_always``); by default 204.

Use it through the ``receiver`` fixture, or ``receivers`` for more than one.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"referral-engine-webhook-test-secret!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a-second-subscriber's-own-secret-key").decode()


@dataclass(frozen=True)
class Received:
    """One POST as the receiver saw it: ``payload`` is what ``verify`` returned (None
    when the signature did not verify)."""

    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any] | None
    answered: int

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def type(self) -> str:
        return str(json.loads(self.body)["type"])


class WebhookReceiver:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.received: list[Received] = []
        self._script: list[int] = []
        self._always: int | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/referral-engine"

    def fail_next(self, times: int, status: int = 500) -> None:
        """Answer ``status`` to the next ``times`` requests, then 204 again."""
        with self._lock:
            self._script.extend([status] * times)

    def answer_always(self, status: int | None) -> None:
        """Answer ``status`` to every request from now on (None: back to 204)."""
        with self._lock:
            self._always = status

    def delivered(self) -> list[Received]:
        """Requests that verified and were answered 2xx."""
        return [r for r in self.received if r.payload is not None and r.answered < 300]

    def types(self) -> list[str]:
        return [r.type for r in self.delivered()]

    def _answer(self) -> int:
        with self._lock:
            if self._script:
                return self._script.pop(0)
            return self._always or 204

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    payload, status = None, 401
                else:
                    status = receiver._answer()
                with receiver._lock:
                    receiver.received.append(Received(headers, body, payload, status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def other_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(OTHER_SECRET) as running:
        yield running
