"""Sources' own webhook payloads: a signed source whose ``profile`` names a native format
sends its system's message as it is, and it is read into the canonical event here.

``[sources.NAME] profile = "ezlynx"``: EZLynx's PolicyCreated / PolicyUpdated event in its
JSON form; ``profile = "momentum"``: a Momentum / NowCerts event-queue message carrying a
policy record (read by the Momentum poll profile's own rules, so a policy polled and
pushed is one event). Pure functions: the message in, a canonical document (or None:
the message is no referral moment) out. See docs/sources.md#their-own-webhook-payloads.
"""

from __future__ import annotations

from typing import Any

from referral_engine.events import jsontext
from referral_engine.events.models import RawInput
from referral_engine.events.service import FieldError, RawEvent
from referral_engine.settings import AgencySettings
from referral_engine.sources.profiles import compact, day
from referral_engine.sources.profiles.momentum import policy_event

NATIVE_PROFILES = ("ezlynx", "momentum")

EZLYNX_EVENTS = {"PolicyCreated", "PolicyUpdated"}
EZLYNX_TRANSACTIONS = {
    "new business": "new",
    "new": "new",
    "rewrite": "rewrite",
    "renewal": "renewal",
    "renew": "renewal",
}
EZLYNX_NOT_IN_FORCE = {"cancelled", "canceled", "expired", "quote", "declined", "void"}
MOMENTUM_EVENTS = {"PolicyInserted", "PolicyCreated", "PolicyUpdated", "PolicyChanged"}


class NotAnEvent(ValueError):
    """A native message that cannot be read as its format's message at all."""


def read_native(profile: str, message: Any, *, source: str) -> dict[str, Any] | None:
    """The canonical event of one native message, or None when it is no referral moment."""
    if not isinstance(message, dict):
        raise NotAnEvent("a message must be a JSON object")
    if profile == "ezlynx":
        return ezlynx_event(message, source=source)
    if profile == "momentum":
        return momentum_event(message, source=source)
    raise NotAnEvent(f"no native format {profile!r}")


def ezlynx_event(message: dict[str, Any], *, source: str) -> dict[str, Any] | None:
    """An EZLynx PolicyCreated / PolicyUpdated message (other event types: None)."""
    kind = message.get("EventType")
    if not isinstance(kind, str):
        raise NotAnEvent("an EZLynx message names its EventType")
    if kind not in EZLYNX_EVENTS:
        return None
    policy, applicant = message.get("Policy"), message.get("Applicant")
    if not isinstance(policy, dict) or not isinstance(applicant, dict):
        raise NotAnEvent(f"an EZLynx {kind} message carries a Policy and an Applicant")
    if str(policy.get("PolicyStatus") or "").strip().lower() in EZLYNX_NOT_IN_FORCE:
        return None
    words = str(policy.get("TransactionType") or "").strip().lower()
    transaction = EZLYNX_TRANSACTIONS.get(words)
    if transaction is None:
        return None
    renewal = transaction == "renewal"
    document = {
        "id": f"policy-{policy.get('PolicyId') or policy.get('PolicyNumber')}-{transaction}",
        "type": "policy.renewed" if renewal else "policy.bound",
        "occurred_at": policy.get("BindDate") or message.get("EventDate"),
        "source": source,
        "client": {
            "external_id": _text(applicant.get("ApplicantId")),
            "first_name": applicant.get("FirstName"),
            "last_name": applicant.get("LastName"),
            "email": applicant.get("Email"),
            "mobile": applicant.get("CellPhone") or applicant.get("MobilePhone"),
            "postal_code": applicant.get("ZipCode"),
        },
        "policy": {
            "number": policy.get("PolicyNumber"),
            "line_of_business": policy.get("LineOfBusiness"),
            "carrier": policy.get("Carrier"),
            "premium": policy.get("Premium"),
            "effective_date": day(policy.get("EffectiveDate")),
            "transaction": transaction,
        },
    }
    return compact(document)


def momentum_event(message: dict[str, Any], *, source: str) -> dict[str, Any] | None:
    """A Momentum event-queue message: its ``Entity`` policy through the poll profile's
    rules (non-policy messages: None)."""
    kind = message.get("EventType") or message.get("eventType")
    if not isinstance(kind, str):
        raise NotAnEvent("a Momentum queue message names its EventType")
    if kind not in MOMENTUM_EVENTS:
        return None
    record = message.get("Entity") or message.get("entity") or message.get("Data")
    if not isinstance(record, dict):
        raise NotAnEvent(f"a Momentum {kind} message carries the policy as its Entity")
    return policy_event(record, source=source)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def native_input(profile: str, text: str, *, source: str) -> RawEvent | None:
    """A signed native message as the input of its source (the message kept as sent), or
    None when it is no referral moment."""
    raw = RawEvent(
        body=text,
        channel="webhook",
        source=source,
        mapping=f"webhook:{profile}",
        required_source=source,
        authenticated_as=source,
    )
    try:
        message = jsontext.loads(text)
        document = read_native(profile, message, source=source)
    except jsontext.JsonRefused as exc:
        raw.errors.append(FieldError("body", str(exc)))
        return raw
    except NotAnEvent as exc:
        raw.errors.append(FieldError("body", str(exc)))
        return raw
    if document is None:
        return None
    raw.parsed = document
    return raw


def reread_native(row: RawInput, settings: AgencySettings) -> RawEvent:
    """A kept native message read again (``referral events --reprocess``), by the format
    its source is configured with now; still its own source's signed input."""
    profile = (row.mapping or "").removeprefix("webhook:")
    config = settings.sources.get(row.source)
    raw: RawEvent | None
    if config is None or config.profile != profile:
        raw = RawEvent(body=row.body, channel="reprocess", source=row.source)
        raw.errors.append(
            FieldError("mapping", f"{row.source!r} no longer sends {profile} payloads")
        )
    else:
        raw = native_input(profile, row.body, source=row.source)
        if raw is None:
            raw = RawEvent(body=row.body, channel="reprocess", source=row.source)
            raw.errors.append(FieldError("body", "the message is no referral moment"))
    raw.channel = "reprocess"
    raw.mapping = row.mapping
    raw.required_source = raw.authenticated_as = row.authenticated_as
    return raw
