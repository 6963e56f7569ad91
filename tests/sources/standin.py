"""A threaded local HTTP server base for the poll profiles' stand-ins.

A stand-in subclasses :class:`StandIn` and answers ``route(request)`` with
``(status, headers, body)`` in the shapes the real API documents. The base records every
request and plays scripted faults, each once, on the Nth request to a path:
``fail_once(path_part, status, nth=..., headers=...)`` — a 429 with Retry-After, a 500 —
so every profile is tested against paging, a rate limit, a server error and a token that
expires mid-poll (``expire_tokens()`` from a route).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str]
    body: Any


@dataclass
class Fault:
    path_part: str
    status: int
    nth: int
    headers: dict[str, str]
    count: int = 0
    played: bool = False


@dataclass
class StandIn:
    """Records, faults and bearer tokens; subclasses answer :meth:`route`."""

    seen: list[Seen] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    url: str = ""

    def route(self, request: Seen) -> Answer:  # pragma: no cover - each stand-in answers
        raise NotImplementedError

    def fail_once(
        self, path_part: str, status: int, *, nth: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        self.faults.append(Fault(path_part, status, nth, headers or {}))

    def issue_token(self) -> str:
        token = "tok_" + secrets.token_hex(8)
        self.tokens.add(token)
        return token

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def bearer_ok(self, request: Seen) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def answer(self, request: Seen) -> Answer:
        self.seen.append(request)
        for fault in self.faults:
            if fault.played or fault.path_part not in request.path:
                continue
            fault.count += 1
            if fault.count == fault.nth:
                fault.played = True
                return fault.status, fault.headers, {"message": f"scripted {fault.status}"}
        return self.route(request)

    def requests_to(self, path_part: str) -> list[Seen]:
        return [r for r in self.seen if path_part in r.path]


def _handler(stand_in: StandIn, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            kind = self.headers.get("content-type", "")
            form = {k: v[0] for k, v in parse_qs(raw).items()} if "form" in kind else {}
            body = json.loads(raw) if raw and "json" in kind else None
            request = Seen(
                self.command,
                parts.path,
                {k: v[0] for k, v in parse_qs(parts.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                form,
                body,
            )
            with lock:
                status, headers, answer = stand_in.answer(request)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", headers.pop("content-type", "application/json"))
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    return Handler


@contextmanager
def serving(stand_in: StandIn) -> Iterator[StandIn]:
    """Serve ``stand_in`` on 127.0.0.1 (a free port) for the block; ``stand_in.url``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in, threading.Lock()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
