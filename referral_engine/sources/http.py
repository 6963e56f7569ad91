"""The HTTP side of a poll: one request at a time, with the retry rules every profile shares.

What a caller may rely on, per request:

- ``429 Too Many Requests``: waits ``Retry-After`` seconds (a number or an HTTP date),
  else the backoff below, then asks again;
- ``5xx`` or a connection failure: exponential backoff (``base``, ``2 × base``, …);
- at most ``max_retries`` such waits per request, each at most ``max_wait`` seconds: a
  source asking for longer ends this poll with :class:`PollFailed` (the next poll resumes
  from the durable cursor) rather than holding a worker;
- ``401`` on a signed-in request: the profile signs in again once (a token that expired
  mid-poll) and the request is repeated; a second 401 is a failure;
- any other 4xx is a failure at once. Failure messages name the method, the path and the
  status, never a credential or a query string.

Waiting goes through ``sleep`` (by default :func:`pause`, which is ``time.sleep``), so
tests record the waits instead of spending them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from referral_engine import clock


def pause(seconds: float) -> None:
    """How a poll waits before a retry (the one place a poll spends wall-clock time)."""
    time.sleep(seconds)


class PollFailed(RuntimeError):
    """A poll could not go on: the source refused, kept failing or asked to wait too long.

    ``status`` is the source's last HTTP status, or None when it did not answer (or
    answered something unusable)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    max_wait: float = 60.0
    base: float = 1.0


SignIn = Callable[["PollHttp"], dict[str, str]]


@dataclass
class PollHttp:
    """An HTTP client for one poll run: retry rules, and the profile's sign-in headers."""

    client: httpx.Client
    policy: RetryPolicy
    sign_in: SignIn
    # None: :func:`pause`, looked up when a wait happens.
    sleep: Callable[[float], None] | None = None
    # A Retry-After date is the server's real time: compared with the wall clock.
    wall: Callable[[], datetime] = clock.wall
    headers: dict[str, str] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    sign_ins: int = 0
    requests: int = 0

    def start(self) -> None:
        """Sign in before the first request."""
        self._sign_in()

    def get_json(self, url: str, *, params: dict[str, Any] | None = None) -> Any:
        return _json(self.request("GET", url, params=params))

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        """One request under the retry rules; returns a 2xx response or raises."""
        retries = 0
        signed_again = False
        where = f"{method} {urlsplit(url).path}"
        while True:
            sent = {**(self.headers if signed else {}), **(headers or {})}
            self.requests += 1
            try:
                response = self.client.request(
                    method, url, params=params, data=data, json=json, headers=sent
                )
            except httpx.TransportError as exc:
                failure = f"{where}: {type(exc).__name__}"
                retries = self._wait(retries, None, failure, None)
                continue
            status = response.status_code
            if status == 401 and signed and not signed_again:
                signed_again = True
                self._sign_in()
                continue
            if status == 429 or status >= 500:
                failure = f"{where} answered {status}"
                after = response.headers.get("retry-after")
                retries = self._wait(retries, after, failure, status)
                continue
            if status >= 400:
                raise PollFailed(f"{where} answered {status}{_detail(response)}", status=status)
            return response

    def _sign_in(self) -> None:
        self.sign_ins += 1
        self.headers = self.sign_in(self)

    def _wait(self, retries: int, retry_after: str | None, failure: str, status: int | None) -> int:
        if retries >= self.policy.max_retries:
            raise PollFailed(f"{failure} after {retries} retries", status=status)
        wait = _retry_after(retry_after, self.wall())
        if wait is None:
            wait = self.policy.base * 2**retries
        if wait > self.policy.max_wait:
            raise PollFailed(
                f"{failure}; it asks to wait {wait:.0f}s, more than this poll waits", status=status
            )
        self.waits.append(wait)
        (self.sleep or pause)(wait)
        return retries + 1


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def json_of(response: httpx.Response) -> Any:
    """A response's JSON body, or :class:`PollFailed` naming the path."""
    return _json(response)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        path = urlsplit(str(response.request.url)).path
        raise PollFailed(f"{path} answered something that is not JSON") from exc


def _detail(response: httpx.Response) -> str:
    """A short reason from a problem body (title/message/error), never the whole body."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("error_description", "message", "title", "error", "Message"):
            if isinstance(body.get(key), str):
                return f": {body[key][:200]}"
    return ""
