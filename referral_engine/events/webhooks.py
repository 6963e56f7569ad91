"""Standard Webhooks verification for signed event sources.

The signature is the ``standardwebhooks`` package's own (HMAC-SHA256 over
``id.timestamp.body`` with the source's ``whsec_`` secret). The timestamp must be
within five minutes of now; "now" is the program's clock, and while that clock is
pinned (a demo or a test run with ``--now``) the wall clock is accepted as well, so a
sender signing with real time still gets through.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook

from referral_engine import clock

TOLERANCE = timedelta(minutes=5)


class WebhookRefused(ValueError):
    """A webhook whose headers or signature do not check out."""


@dataclass(frozen=True)
class VerifiedWebhook:
    message_id: str
    timestamp: datetime


def verify(
    *, secret: str, body: bytes, headers: Mapping[str, str], now: datetime
) -> VerifiedWebhook:
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (message_id and stamp and signatures):
        raise WebhookRefused("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError) as exc:
        raise WebhookRefused("webhook-timestamp is not a Unix time in seconds") from exc
    wall = clock.wall()
    if not any(abs(timestamp - reference) <= TOLERANCE for reference in (now, wall)):
        raise WebhookRefused("webhook-timestamp is more than 5 minutes from now")
    try:
        text = body.decode("utf-8")
        expected = Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRefused(f"cannot check the signature: {exc}") from exc
    wanted = base64.b64decode(expected.split(",", 1)[1])
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(given, wanted):
            return VerifiedWebhook(message_id=message_id, timestamp=timestamp)
    raise WebhookRefused("no webhook-signature matches the body")
