"""SMS through Twilio's Messages API, with the official ``twilio`` client.

What a caller may rely on:

- :meth:`TwilioSms.send` returns :class:`Sent` with the message SID once Twilio has taken
  the text, or raises :class:`SendFailed`: ``transient`` for 429, 5xx, a full sender queue
  (21611) and network trouble; permanent, with Twilio's error code as ``code`` (``"21610"``
  unsubscribed, ``"21211"`` invalid number, ``"21614"`` not a mobile, ...), for any other
  refusal. When the connection fails after the request may have reached Twilio, ``send``
  looks the text up before giving up, so an accepted text is reported as sent, not retried.
- :meth:`TwilioSms.fetch_status` and :meth:`TwilioSms.find_sent` answer ``None`` only when
  Twilio says there is no such message; when they cannot ask, they raise ``SendFailed``.
- With ``api_base`` set, every request goes to that host instead of https://api.twilio.com.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from referral_engine import clock
from referral_engine.delivery.channels import SendFailed, Sent

TIMEOUT_SECONDS = 30.0

# Twilio codes that arrive with a 4xx status yet clear up by themselves.
TRANSIENT_CODES = frozenset(
    {
        20429,  # too many requests
        21611,  # the sender's queue of outgoing messages is full
        30001,  # queue overflow
    }
)

# Twilio stamps ``date_created`` in whole seconds on its own clock; look a little earlier.
CLOCK_SKEW = timedelta(minutes=5)
LOOKUP_LIMIT = 20

_MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


class TwilioSms:
    """The real :class:`~referral_engine.delivery.channels.SmsSender`.

    ``from_`` is a Twilio phone number (or short code, or alphanumeric sender ID), or a
    Messaging Service SID (``MG`` + 32 hex), which Twilio then picks a sender from.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_: str,
        api_base: str | None = None,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        if not (account_sid and auth_token and from_):
            # The twilio client would quietly fall back to TWILIO_* environment variables.
            raise ValueError("TwilioSms needs account_sid, auth_token and from_")
        if _MESSAGING_SERVICE_SID.fullmatch(from_):
            self._sender = {"messaging_service_sid": from_}
        else:
            self._sender = {"from_": from_}
        http_client = (
            ApiBaseHttpClient(api_base, timeout=timeout)
            if api_base
            else TwilioHttpClient(timeout=timeout)
        )
        self._client = Client(account_sid, auth_token, http_client=http_client)

    def send(self, *, to: str, body: str, status_callback: str | None) -> Sent:
        started = clock.wall()
        options: dict[str, str] = dict(self._sender)
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self._client.messages.create(to=to, body=body, **options)
        except (requests.RequestException, json.JSONDecodeError) as exc:
            # The request may have reached Twilio and only the answer got lost; a retry
            # would then text the client twice.
            found = self._lookup_quietly(to, body, since=started)
            if found is not None:
                return Sent(provider_id=found, detail="accepted; found after the answer was lost")
            raise failure_from(exc) from exc
        except TwilioException as exc:
            raise failure_from(exc) from exc
        if not message.sid:
            raise SendFailed("Twilio's answer carried no message SID", transient=True)
        return Sent(provider_id=message.sid, detail=message.status or "")

    def fetch_status(self, sid: str) -> str | None:
        """The message's status at Twilio now (``queued``, ``sent``, ``delivered``,
        ``undelivered``, ``failed``, ...), or ``None`` if Twilio has no message ``sid``."""
        try:
            message = self._client.messages(sid).fetch()
        except (TwilioException, requests.RequestException, json.JSONDecodeError) as exc:
            if _http_status(exc) == 404:
                return None
            raise failure_from(exc) from exc
        status: str | None = message.status
        return status

    def find_sent(self, to: str, body_marker: str, since: datetime) -> str | None:
        """The SID of a text to ``to`` created at or after ``since`` (aware) whose body
        contains ``body_marker`` (whitespace-insensitive), or ``None`` if there is none.

        Matches on ``date_created``, not Twilio's ``DateSent`` filter: a text still queued
        at Twilio has no ``date_sent`` yet and would be missed, then sent a second time.
        """
        if since.tzinfo is None:
            raise ValueError("since must be an aware datetime")
        earliest = since - CLOCK_SKEW
        marker = _squeeze(body_marker)
        try:
            # Newest first; a client gets a handful of texts from us, never twenty at once.
            messages = self._client.messages.list(to=to, limit=LOOKUP_LIMIT)
        except (TwilioException, requests.RequestException, json.JSONDecodeError) as exc:
            raise failure_from(exc) from exc
        for message in messages:
            if message.direction == "inbound":
                continue
            if message.date_created is not None and message.date_created < earliest:
                continue
            if marker in _squeeze(message.body or ""):
                sid: str | None = message.sid
                return sid
        return None

    def _lookup_quietly(self, to: str, body: str, *, since: datetime) -> str | None:
        try:
            return self.find_sent(to, body, since)
        except SendFailed:
            return None


def validate_signature(
    url: str, params: Mapping[str, str], signature: str, auth_token: str
) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) signs a request to ``url``
    with form ``params`` under ``auth_token``. Always false without a token or signature:
    with an empty key anyone could compute the HMAC."""
    if not (auth_token and signature):
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def failure_from(exc: Exception) -> SendFailed:
    """What a failed call to Twilio means for the sender: retry later, or never."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        return _refusal(exc.status, exc.code, _twilio_message(exc))
    if isinstance(exc, TwilioException):
        # A list page that is not 200 raises a bare TwilioException carrying the answer.
        answer = next((arg for arg in exc.args if isinstance(arg, Response)), None)
        if answer is not None:
            code, message = _error_body(answer.text)
            return _refusal(answer.status_code, code, message)
        return SendFailed(f"Twilio client error: {exc}", transient=True)
    if isinstance(exc, requests.Timeout):
        return SendFailed(f"Twilio did not answer in time: {exc}", transient=True)
    if isinstance(exc, requests.RequestException):
        return SendFailed(f"could not reach Twilio: {exc}", transient=True)
    if isinstance(exc, json.JSONDecodeError):
        return SendFailed("Twilio's answer was not JSON", transient=True)
    return SendFailed(f"unexpected error talking to Twilio: {type(exc).__name__}", transient=True)


def _refusal(status: int, code: object, message: str) -> SendFailed:
    # The client puts the HTTP status in ``code`` when the answer names no Twilio code.
    twilio_code = code if isinstance(code, int) and code != status else None
    # 429 and 5xx (and anything not 4xx) pass; other 4xx are final unless the code says not.
    transient = status == 429 or not 400 <= status < 500 or twilio_code in TRANSIENT_CODES
    label = f"HTTP {status}" + (f", error {twilio_code}" if twilio_code else "")
    return SendFailed(
        f"Twilio refused ({label}): {message}",
        transient=transient,
        code=str(twilio_code) if twilio_code else None,
    )


def _twilio_message(exc: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(exc, TwilioServiceException):
        return str(exc.detail or exc.title)
    text = str(exc.msg)
    # "Unable to create record: Attempt to send to unsubscribed recipient"
    return text.split(": ", 1)[1] if ": " in text else text


def _error_body(text: str) -> tuple[object, str]:
    try:
        payload = json.loads(text)
    except ValueError:
        return None, "unreadable error"
    if not isinstance(payload, dict):
        return None, "unreadable error"
    return payload.get("code"), str(payload.get("message") or payload.get("detail") or "")


def _http_status(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


def _squeeze(text: str) -> str:
    return " ".join(text.split())


class ApiBaseHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """The stock HTTP client, with every request's scheme and host replaced by ``api_base``.

    Why here: ``http_client=`` is the extension point the twilio package documents (for
    proxies, custom sessions), and every request of every domain passes through it,
    including the absolute ``next_page_uri`` links of list pages. The alternatives fall
    short: ``edge``/``region`` only rewrite the host inside ``*.twilio.com``, and setting
    ``client.api.base_url`` patches one generated domain object's attribute.
    """

    def __init__(self, api_base: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        base = urlsplit(api_base)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"api_base must be an http(s) URL, not {api_base!r}")
        super().__init__(timeout=timeout)
        self.api_base = base

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Any:
        return super().request(
            method,
            rebased(url, self.api_base),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


def rebased(url: str, base: SplitResult) -> str:
    """``url`` with the scheme and host of ``base`` (and its path as a prefix)."""
    parts = urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))
