"""Ingest: raw input in, canonical events out, every input kept with its outcome.

One path serves every way in. The API and the signed webhook call it with one input;
``referral import`` calls it with chunks of a file. Within a chunk the work is done in
bulk (one lookup of known keys, one lookup of clients, one multi-row insert of events
and of raw inputs). Idempotency rests on the unique (source, id) constraint: the insert
skips keys already stored, so two processes racing with the same event store it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from referral_engine.agency.service import normalize_context
from referral_engine.contacts import service as contacts
from referral_engine.contacts.consent import ConsentLedger
from referral_engine.events import jsontext, repository
from referral_engine.events.models import Outcome
from referral_engine.events.schemas import EventIn
from referral_engine.jobs import service as jobs
from referral_engine.settings import AgencySettings
from referral_engine.users import service as users

PROCESS_EVENT = "events.process_event"


@dataclass(frozen=True)
class FieldError:
    """One reason an input was refused: where (dotted path, or ``body``) and why."""

    field: str
    reason: str
    # The input was refused for who sent it, not for what it says (an API answers 403).
    forbidden: bool = False

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.forbidden:
            shown["forbidden"] = True  # kept with the input: re-processing refuses it again
        return shown


@dataclass
class RawEvent:
    """One input as received, before validation."""

    body: str
    channel: str
    source: str
    parsed: dict[str, Any] | None = None
    errors: list[FieldError] = field(default_factory=list)
    file_name: str | None = None
    line_no: int | None = None
    mapping: str | None = None
    # A source name the event must carry (a signed webhook's path): anything else is refused.
    required_source: str | None = None
    # The source whose signature (or own poll) this input arrived under: only such input
    # may name a source that has a webhook secret.
    authenticated_as: str | None = None
    # The sources the sender may post for (an API token's scope); None: any unsigned one.
    allowed_sources: frozenset[str] | None = None

    @classmethod
    def from_json_text(cls, body: str, **kwargs: Any) -> RawEvent:
        raw = cls(body=body, **kwargs)
        try:
            value = jsontext.loads(body)
        except jsontext.JsonRefused as exc:
            raw.errors.append(FieldError("body", str(exc)))
            return raw
        if not isinstance(value, dict):
            raw.errors.append(FieldError("body", "an event must be a JSON object"))
        else:
            raw.parsed = value
        return raw


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    source: str
    event_key: str | None
    event_id: int | None
    errors: tuple[FieldError, ...]
    line_no: int | None

    @property
    def reason(self) -> str:
        return "; ".join(f"{e.field}: {e.reason}" for e in self.errors)

    @property
    def forbidden(self) -> bool:
        """Refused for who sent it (a signed source's name, a token's scope)."""
        return any(e.forbidden for e in self.errors)


def validation_errors(exc: ValidationError) -> list[FieldError]:
    out = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        out.append(FieldError(where, message))
    return out


def _validate(raw: RawEvent, settings: AgencySettings) -> tuple[EventIn | None, list[FieldError]]:
    if raw.parsed is None:
        return None, list(raw.errors)
    document = dict(raw.parsed)
    if document.get("source") in (None, ""):
        document["source"] = raw.source
    if raw.required_source and document.get("source") != raw.required_source:
        reason = f"this endpoint takes events of source {raw.required_source!r} only"
        return None, [FieldError("source", reason)]
    refusal = sender_refusal(raw, str(document.get("source")), settings)
    if refusal is not None:
        return None, [refusal]
    try:
        event = EventIn.model_validate(document, context=normalize_context(settings).as_dict())
    except ValidationError as exc:
        # Report every problem at once; a field the mapping already failed is named once.
        named = {e.field.split(" (", 1)[0] for e in raw.errors}
        return None, raw.errors + [e for e in validation_errors(exc) if e.field not in named]
    return (None, list(raw.errors)) if raw.errors else (event, [])


def signed_sources(settings: AgencySettings) -> frozenset[str]:
    """The sources that own their ids: a signed webhook source (it has a webhook secret)
    takes only signed input, a poll source only what its own poll reads."""
    return frozenset(
        name
        for name, source in settings.sources.items()
        if source.webhook_secret or source.kind == "poll"
    )


def sender_refusal(raw: RawEvent, source: str, settings: AgencySettings) -> FieldError | None:
    """Why this sender may not post an event of ``source``, or None when it may.

    A signed source owns its ids: only input verified as that source (its signed
    webhook, its own poll) may name it, so nobody can take its ids first. A scoped token
    posts only for the sources it names.
    """
    if source in signed_sources(settings) and raw.authenticated_as != source:
        if settings.sources[source].kind == "poll":
            way = "its own poll (referral sources poll)"
        else:
            way = f"POST /hooks/events/{source}"
        reason = f"source {source!r} accepts only signed events, through {way}"
        return FieldError("source", reason, forbidden=True)
    if raw.allowed_sources is not None and source not in raw.allowed_sources:
        allowed = ", ".join(sorted(raw.allowed_sources)) or "none"
        reason = f"this API token may post events for these sources only: {allowed}"
        return FieldError("source", reason, forbidden=True)
    return None


def ingest_retrying(
    session: Session,
    *,
    inputs: Sequence[RawEvent],
    settings: AgencySettings,
    now: datetime,
    attempts: int = 8,
) -> list[IngestResult]:
    """:func:`ingest` inside a savepoint, run again when another process raced it.

    Each retry waits for the racing transaction to end (the unique index makes it), so
    a batch overlapping with k concurrent writers settles in at most k + 1 passes.
    """
    for attempt in range(attempts):
        try:
            with session.begin_nested():
                return ingest(session, inputs=inputs, settings=settings, now=now)
        except (ConcurrentInsert, IntegrityError):
            # Another process stored one of these events, clients or producers first:
            # the savepoint is gone, and the next pass finds what it stored.
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def ingest(
    session: Session, *, inputs: Sequence[RawEvent], settings: AgencySettings, now: datetime
) -> list[IngestResult]:
    """Validate, store and enqueue a batch; returns one result per input, in order.

    The caller owns the transaction. Rejected inputs are stored too (with field
    errors), so the caller must commit even when every input was refused.
    """
    checked = [_validate(raw, settings) for raw in inputs]
    events = [event for event, _ in checked]
    stored = repository.existing_keys(session, {e.key for e in events if e is not None})
    fresh: dict[tuple[str, str], tuple[int, EventIn]] = {}
    for position, event in enumerate(events):
        if event is not None and event.key not in stored and event.key not in fresh:
            fresh[event.key] = (position, event)

    files = {
        event.key: raw.file_name
        for raw, (event, _) in zip(inputs, checked, strict=True)
        if event is not None and raw.file_name
    }
    ids = _store_events(
        session, fresh=[e for _, e in fresh.values()], files=files, settings=settings, now=now
    )
    results: list[IngestResult] = []
    raw_rows: list[dict[str, Any]] = []
    for position, (raw, (event, errors)) in enumerate(zip(inputs, checked, strict=True)):
        result = _result_for(raw, event, errors, position, fresh, ids)
        results.append(result)
        raw_rows.append(_raw_row(raw, result, now))
    repository.insert_raw_inputs(session, raw_rows)
    jobs.enqueue_many(
        session,
        [
            {
                "kind": PROCESS_EVENT,
                "dedupe_key": f"event:{event_id}",
                "run_at": now,
                "payload": {"event_id": event_id},
            }
            for event_id in ids.values()
        ],
    )
    return results


def _result_for(
    raw: RawEvent,
    event: EventIn | None,
    errors: list[FieldError],
    position: int,
    fresh: dict[tuple[str, str], tuple[int, EventIn]],
    ids: dict[tuple[str, str], int],
) -> IngestResult:
    if event is None:
        source = str((raw.parsed or {}).get("source") or raw.source)
        return IngestResult(
            Outcome.rejected, source, _key_text(raw), None, tuple(errors), raw.line_no
        )
    first = fresh.get(event.key)
    accepted = first is not None and first[0] == position and event.key in ids
    return IngestResult(
        Outcome.accepted if accepted else Outcome.duplicate,
        event.source,
        event.id,
        ids.get(event.key),
        (),
        raw.line_no,
    )


def _key_text(raw: RawEvent) -> str | None:
    value = (raw.parsed or {}).get("id")
    return str(value)[:200] if value is not None else None


def _raw_row(raw: RawEvent, result: IngestResult, now: datetime) -> dict[str, Any]:
    return {
        "received_at": now,
        "channel": raw.channel,
        "source": result.source[:100],
        "body": raw.body,
        "mapping": raw.mapping,
        "file_name": raw.file_name,
        "line_no": raw.line_no,
        "outcome": result.outcome,
        "reason": result.reason or None,
        "errors": [e.as_dict() for e in result.errors] or None,
        "event_key": result.event_key,
        "event_id": result.event_id if result.outcome == Outcome.accepted else None,
        "reprocessed_at": None,
        "authenticated_as": raw.authenticated_as,
    }


class ConcurrentInsert(RuntimeError):
    """Another process stored one of this batch's events first; retry the batch."""


def _store_events(
    session: Session,
    *,
    fresh: list[EventIn],
    files: dict[tuple[str, str], str],
    settings: AgencySettings,
    now: datetime,
) -> dict[tuple[str, str], int]:
    if not fresh:
        return {}
    index = contacts.index_for(session, fresh)
    producers: dict[str, int | None] = {}
    clients = []
    for event in fresh:
        producer_id = _producer_id(session, event, producers)
        clients.append(
            contacts.resolve_client(
                session, index=index, facts=event.client, producer_id=producer_id, now=now
            )
        )
    # Consent first, so that new clients are inserted with it (not inserted, then updated).
    reporting = [
        (event, client)
        for event, client in zip(fresh, clients, strict=True)
        if event.client.consent.email is not None or event.client.consent.sms is not None
    ]
    ledger = ConsentLedger(session, [c.id for _, c in reporting if c.id is not None])
    for event, client in reporting:
        origin = f"{event.source}, event {event.id}"
        if event.key in files:
            origin = f"file {files[event.key]} ({origin})"
        contacts.record_reported_consent(
            ledger, client=client, facts=event.client, source=origin, at=event.occurred_at, now=now
        )
    session.flush()
    ledger.write()
    contacts.upsert_policies(
        session,
        items=[(c, e.policy) for c, e in zip(clients, fresh, strict=True) if e.policy],
        now=now,
    )
    rows = [_event_row(event, client.id, now) for event, client in zip(fresh, clients, strict=True)]
    ids = repository.insert_events(session, rows)
    if len(ids) != len(rows):
        raise ConcurrentInsert("an event of this batch was stored by another process")
    return ids


def _producer_id(session: Session, event: EventIn, cache: dict[str, int | None]) -> int | None:
    if event.producer is None or not event.producer.email:
        return None
    email = event.producer.email
    if email not in cache:
        user = users.find_or_create_producer(session, email=email, name=event.producer.name)
        cache[email] = user.id if user else None
    return cache[email]


def _event_row(event: EventIn, client_id: int, now: datetime) -> dict[str, Any]:
    policy = event.policy
    return {
        "source": event.source,
        "external_id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": now,
        "client_id": client_id,
        "policy_number": policy.number if policy else None,
        "transaction": policy.transaction if policy else None,
        "line_of_business": policy.line_of_business if policy else None,
        "segment": policy.segment if policy else None,
        "payload": event.model_dump(mode="json"),
    }


def record_replay(session: Session, *, raw: RawEvent, event_key: str, now: datetime) -> None:
    """Keep a replayed webhook message as a duplicate input (every raw input is kept)."""
    result = IngestResult(Outcome.duplicate, raw.source, event_key, None, (), raw.line_no)
    repository.insert_raw_inputs(session, [_raw_row(raw, result, now)])


@dataclass(frozen=True)
class SourceTally:
    """What one source has sent: inputs by outcome, its newest success and rejection,
    and how late its newest accepted event arrived (received minus occurred)."""

    source: str
    inputs: int
    accepted: int
    duplicate: int
    rejected: int
    quarantined: int
    last_accepted_at: datetime | None
    last_rejected_at: datetime | None
    last_rejection: str | None
    lag_seconds: float | None


def source_tallies(session: Session) -> dict[str, SourceTally]:
    """Every source's tally, from the raw inputs kept (one grouped query, then one
    index lookup per source)."""
    grouped: dict[str, dict[str, tuple[int, datetime | None]]] = {}
    for source, outcome, count, latest in repository.tallies_by_source(session):
        grouped.setdefault(source, {})[outcome] = (count, latest)
    tallies = {}
    for source, by_outcome in grouped.items():
        accepted = by_outcome.get(Outcome.accepted, (0, None))
        rejected = by_outcome.get(Outcome.rejected, (0, None))
        rejection = None
        if rejected[0]:
            row = repository.latest_input(session, source=source, outcome=Outcome.rejected)
            rejection = row.reason if row else None
        lag = None
        if accepted[0]:
            row = repository.latest_input(session, source=source, outcome=Outcome.accepted)
            instants = (
                repository.event_instants(session, row.event_id) if row and row.event_id else None
            )
            if instants:
                lag = max((instants[1] - instants[0]).total_seconds(), 0.0)
        tallies[source] = SourceTally(
            source=source,
            inputs=sum(count for count, _ in by_outcome.values()),
            accepted=accepted[0],
            duplicate=by_outcome.get(Outcome.duplicate, (0, None))[0],
            rejected=rejected[0],
            quarantined=by_outcome.get(Outcome.quarantined, (0, None))[0],
            last_accepted_at=accepted[1],
            last_rejected_at=rejected[1],
            last_rejection=rejection,
            lag_seconds=lag,
        )
    return tallies
