"""Confirmation emails and ACORD XML in: canonical events, or quarantine for a person.

:func:`take_in` is the one use case; ``referral mail import`` and the mailbox poll
(:mod:`referral_engine.mail.imap`) call it with a batch of raw messages. What a caller
may rely on:

- Each message is read by the first layout that matches its sender (the source's own
  ``layouts_dir`` first, then the shipped ones), else by the general extractor;
  ``.xml`` files are ACORD policy transactions.
- An email that names no client code, email or phone is matched by its policy number
  to the one client already holding that policy under the insured's name; failing that
  it is quarantined.
- What is read becomes the canonical event and goes through the same ingest as every
  other input (:func:`referral_engine.events.service.ingest_retrying`), with the raw
  email kept as the input's body. Its event id is stable per message (Message-ID, else
  the bytes), so taking the same email in again is a duplicate.
- Anything not read unambiguously, or read but not a valid event, is quarantined: the
  raw email is kept (``raw_inputs``, outcome ``quarantined``) with the reasons, and the
  principal gets one task per message saying what was missing, with the link to it.
- Services only flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from referral_engine.agency.service import normalize_context
from referral_engine.contacts import service as contacts
from referral_engine.contacts.models import Client
from referral_engine.events import repository
from referral_engine.events.lob import fold
from referral_engine.events.models import Outcome, RawInput
from referral_engine.events.schemas import EventIn
from referral_engine.events.service import RawEvent, ingest_retrying, validation_errors
from referral_engine.mail.acord import read_acord
from referral_engine.mail.general import read_general
from referral_engine.mail.layouts import Layout
from referral_engine.mail.message import email_key, read_message
from referral_engine.mail.reading import Reading
from referral_engine.settings import AgencySettings, provider_settings
from referral_engine.tasks import service as tasks

CHANNEL = "email"
QUARANTINE_TASK = "mail_quarantine"


@dataclass(frozen=True)
class Arrival:
    """One message as received: its bytes and where it came from (file or mailbox)."""

    raw: bytes
    name: str  # the file name, or "imap:<uid>"
    is_xml: bool = False


@dataclass
class MailOutcome:
    """What became of one message."""

    name: str
    outcome: Outcome
    event_key: str
    reader: str
    reasons: list[str] = field(default_factory=list)
    event_id: int | None = None
    raw_input_id: int | None = None
    task_id: int | None = None


@dataclass
class _Read:
    arrival: Arrival
    key: str
    occurred_at: str
    reading: Reading
    document: dict[str, Any] | None = None


def read_arrival(
    arrival: Arrival, *, layouts: Sequence[Layout], lines: dict[str, str], now: datetime
) -> tuple[str, str, Reading]:
    """(event id, occurred_at, reading) for one message; no database."""
    if arrival.is_xml:
        acord = read_acord(arrival.raw, lines=lines)
        occurred = acord.requested_at.isoformat() if acord.requested_at else now.isoformat()
        return acord.key, occurred, acord.reading
    message = read_message(arrival.raw)
    layout = next((x for x in layouts if x.matches(message)), None)
    reading = layout.read(message, lines=lines) if layout else read_general(message, lines=lines)
    occurred = (message.sent_at or now).isoformat()
    return email_key(message, arrival.raw), occurred, reading


def take_in(
    session: Session,
    *,
    arrivals: Sequence[Arrival],
    source: str,
    layouts: Sequence[Layout],
    settings: AgencySettings,
    now: datetime,
) -> list[MailOutcome]:
    """Read, ingest or quarantine a batch; one outcome per arrival, in order."""
    lines = dict(settings.lines_of_business)
    reads = []
    for arrival in arrivals:
        key, occurred, reading = read_arrival(arrival, layouts=layouts, lines=lines, now=now)
        reads.append(_Read(arrival, key, occurred, reading))
    _identify_clients(session, reads)
    context = normalize_context(settings).as_dict()
    for item in reads:
        if item.reading.facts is not None:
            item.document = _document(item, source=source, context=context)
    accepted = [item for item in reads if item.document is not None]
    results = ingest_retrying(
        session,
        inputs=[_raw_event(item, source) for item in accepted],
        settings=settings,
        now=now,
    )
    by_item = {id(item): result for item, result in zip(accepted, results, strict=True)}
    outcomes = []
    for item in reads:
        result = by_item.get(id(item))
        if result is not None and result.outcome != Outcome.rejected:
            outcomes.append(
                MailOutcome(
                    item.arrival.name,
                    result.outcome,
                    item.key,
                    item.reading.reader,
                    event_id=result.event_id,
                )
            )
        else:
            if result is not None:  # validated above, so only a race could refuse it
                item.reading.reasons.append(result.reason)
            outcomes.append(_quarantine(session, item, source=source, now=now))
    return outcomes


def _identify_clients(session: Session, reads: list[_Read]) -> None:
    """Give a client identity to facts that have none, from the policy on file."""
    anonymous = [
        r
        for r in reads
        if r.reading.facts
        and not (r.reading.facts.client_id or r.reading.facts.email or r.reading.facts.phone)
    ]
    if not anonymous:
        return
    holders = contacts.policy_holders(
        session, numbers=[r.reading.facts.policy_number for r in anonymous if r.reading.facts]
    )
    for item in anonymous:
        facts = item.reading.facts
        assert facts is not None
        found = holders.get(facts.policy_number, [])
        named = [c for c in found if _same_name(facts.insured_name, c)]
        if len(named) == 1:
            client = named[0]
            if client.external_id:
                item.reading.facts = replace(facts, client_id=client.external_id)
            else:
                item.reading.facts = replace(facts, email=client.email, phone=client.mobile)
            continue
        if named:
            why = f"held by {len(named)} clients of that name"
        elif found:
            why = "on file only for a client of another name"
        else:
            why = "not on file for any client"
        item.reading.reasons.append(
            f"no client code, email or phone in the message, and policy {facts.policy_number}"
            f" is {why}"
        )
        item.reading.facts = None


def _same_name(insured: str, client: Client) -> bool:
    """The insured named in the email is the client on file: the business name, or
    the person's first and last names, all present (case and punctuation aside)."""
    words = set(fold(insured).split())
    if client.company and fold(client.company) == fold(insured):
        return True
    names = [n for n in (client.first_name, client.last_name) if n]
    return bool(names) and all(set(fold(n).split()) <= words for n in names)


def _document(item: _Read, *, source: str, context: dict[str, Any]) -> dict[str, Any] | None:
    facts = item.reading.facts
    assert facts is not None
    document: dict[str, Any] = {
        "id": item.key,
        "type": facts.event_type(),
        "occurred_at": item.occurred_at,
        "source": source,
        "client": facts.client_document(),
        "policy": {
            "number": facts.policy_number,
            "line_of_business": facts.line_of_business,
            "carrier": facts.carrier,
            "premium": facts.premium,
            "effective_date": facts.effective_date.isoformat(),
            "transaction": facts.transaction,
        },
    }
    if facts.producer_email or facts.producer_name:
        document["producer"] = {"name": facts.producer_name, "email": facts.producer_email}
    try:
        EventIn.model_validate(document, context=context)
    except ValidationError as exc:
        item.reading.reasons.extend(f"{e.field}: {e.reason}" for e in validation_errors(exc))
        return None
    return document


def raw_text(raw: bytes) -> tuple[str, str]:
    """The message as stored text, and how to get the bytes back (``str.encode`` with
    the returned codec): UTF-8 when it is, else Latin-1 (byte for byte)."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _mapping(item: _Read, codec: str) -> str:
    kind = "acord" if item.arrival.is_xml else "eml"
    return f"mail:{kind}:{codec}:{item.reading.reader}"[:200]


def _raw_event(item: _Read, source: str) -> RawEvent:
    body, codec = raw_text(item.arrival.raw)
    return RawEvent(
        body=body.replace("\x00", ""),
        channel=CHANNEL,
        source=source,
        parsed=item.document,
        file_name=item.arrival.name[:500],
        mapping=_mapping(item, codec),
    )


def _quarantine(session: Session, item: _Read, *, source: str, now: datetime) -> MailOutcome:
    body, codec = raw_text(item.arrival.raw)
    reasons = item.reading.reasons or ["nothing readable"]
    row = RawInput(
        received_at=now,
        channel=CHANNEL,
        source=source[:100],
        body=body.replace("\x00", ""),
        mapping=_mapping(item, codec),
        file_name=item.arrival.name[:500],
        line_no=None,
        outcome=Outcome.quarantined,
        reason="; ".join(reasons),
        errors=[{"field": item.reading.reader, "reason": r} for r in reasons],
        event_key=item.key,
        event_id=None,
        reprocessed_at=None,
    )
    session.add(row)
    session.flush()
    task = _task(session, item, row, source=source, now=now)
    return MailOutcome(
        item.arrival.name,
        Outcome.quarantined,
        item.key,
        item.reading.reader,
        reasons=reasons,
        raw_input_id=row.id,
        task_id=task.id,
    )


def input_url(raw_input_id: int) -> str:
    return f"{provider_settings().public_url.rstrip('/')}/inputs/{raw_input_id}"


def _task(session: Session, item: _Read, row: RawInput, *, source: str, now: datetime) -> Any:
    boss = tasks.principal(session)
    what = "ACORD file" if item.arrival.is_xml else "confirmation email"
    return tasks.create(
        session,
        key=f"mail-quarantine:{source}:{item.key}"[:200],
        kind=QUARANTINE_TASK,
        title=f"Read a {what} by hand: {item.arrival.name}",
        detail=(
            f"The {what} {item.arrival.name} from source {source} was not turned into an"
            f" event ({item.reading.reader}): {row.reason}. The raw message is kept:"
            f" {input_url(row.id)}. Enter the event yourself (API or import), or add a"
            " layout for its sender and import it again."
        ),
        now=now,
        assignee_id=boss.id if boss else None,
    )


def retry_quarantined(
    session: Session,
    *,
    source: str,
    layouts: Sequence[Layout],
    settings: AgencySettings,
    now: datetime,
) -> list[MailOutcome]:
    """Read every quarantined message of ``source`` again (after a layout was added or
    fixed). The old rows stay, marked re-processed; each message's new outcome is a new
    input row, and one still quarantined gets no second task."""
    rows = [
        row
        for row in repository.raw_inputs(
            session, outcome=Outcome.quarantined, source=source, limit=10_000
        )
        if row.reprocessed_at is None and (row.mapping or "").startswith("mail:")
    ]
    arrivals = [_arrival_of(row) for row in reversed(rows)]
    for row in rows:
        row.reprocessed_at = now
    session.flush()
    return take_in(
        session, arrivals=arrivals, source=source, layouts=layouts, settings=settings, now=now
    )


def _arrival_of(row: RawInput) -> Arrival:
    """The message's bytes back from its kept text (see :func:`raw_text`)."""
    _, kind, codec, *_ = (row.mapping or "mail:eml:utf-8").split(":")
    return Arrival(row.body.encode(codec), row.file_name or f"input {row.id}", kind == "acord")
