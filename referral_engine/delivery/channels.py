"""The edges where a message leaves: a small Protocol per channel, and what a send returns.

Real adapters: :mod:`referral_engine.delivery.smtp` (email over SMTP) and
:mod:`referral_engine.delivery.twilio_sms` (SMS through the official ``twilio`` client).
A channel with no provider configured goes to the outbox instead (nothing is sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol


class SendFailed(Exception):  # noqa: N818 - the name says what happened
    """A provider refused or could not take a message.

    ``transient`` failures (SMTP 4xx, a dropped connection, Twilio 429/5xx) are retried
    with backoff; permanent ones (SMTP 5xx, Twilio 21610 unsubscribed, 21211 invalid
    number) are final and never retried. ``code`` is the provider's own code.
    """

    def __init__(self, reason: str, *, transient: bool, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code


@dataclass(frozen=True)
class Sent:
    """A message the provider accepted: its id there (Message-ID, Twilio SID)."""

    provider_id: str
    detail: str = ""


class EmailSender(Protocol):
    def send(self, message: EmailMessage) -> Sent:
        """Hand ``message`` (From, To, headers, plain + HTML parts set) to the provider."""
        ...


class SmsSender(Protocol):
    def send(self, *, to: str, body: str, status_callback: str | None) -> Sent:
        """Send ``body`` to the E.164 number ``to``; ``status_callback`` gets delivery
        status updates from the provider."""
        ...
