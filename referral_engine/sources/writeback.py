"""Write-back: a note on the insured in Momentum / NowCerts when an ask is sent, a reply
comes back and a referral changes status (docs/sources/momentum.md, "Write-back").

A ``[sources.NAME]`` poll source of profile ``momentum`` with ``write_back = true`` is a
subscriber of the webhook outbox under its own name: the three event types below make a
delivery to it, in the same transaction as the change, for a client that came from that
source (the poll stored the client with the insured's id as its ``external_id``); any
other client gets none. The webhook sender performs these deliveries through
:class:`NoteWriter` instead of a POST, so they keep the outbox's guarantees: the retry
schedule, the order per client, the attempts and the Resend button of the Webhooks page.

What a caller may rely on:

- a note says what happened in a few words, with ids, never a reply's text or a
  referred person's contact details: "Referral ask sent by SMS (ask 12)", "Client
  replied: hot — task for Sam Ortiz", "Referral Maria L. — status quoting";
- every note ends with its event's marker ``[ref msg_…]``; a retry (or a resend) first
  looks for a note with that marker on the insured and writes none when it is there, so
  an answer lost after the note was written never makes a second note;
- the API's credentials are the poll's (``username_env``, ``token_env``), signed in once
  per sender pass; a token that expires mid-pass is renewed on its 401.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from referral_engine.contacts.models import Client
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event
from referral_engine.referrals.models import Referral
from referral_engine.settings import AgencySettings, SourceSection
from referral_engine.sources.http import PollFailed, PollHttp, RetryPolicy, json_of
from referral_engine.tasks.models import Task
from referral_engine.users.models import User
from referral_engine.webhooks.sender import Answer, Outgoing

# The changes a write-back source writes a note for.
EVENTS: tuple[str, ...] = ("ask.sent", "reply.received", "referral.status_changed")

# A note's retries are the outbox's (30 s, 2 min, …): no waiting inside an attempt.
POLICY = RetryPolicy(max_retries=0)

CHANNELS = {"sms": "SMS", "email": "email"}


def sources(settings: AgencySettings) -> list[str]:
    """The names of the sources that write back (each a subscriber of that name)."""
    return [name for name, source in settings.sources.items() if source.write_back]


def takes(
    settings: AgencySettings, session: Session, event_type: str, client_id: int | None
) -> list[str]:
    """The write-back sources that take an event of ``event_type`` about ``client_id``:
    those the client came from."""
    if event_type not in EVENTS or client_id is None:
        return []
    return [name for name in sources(settings) if insured_id(session, name, client_id)]


def insured_id(session: Session, source: str, client_id: int) -> str | None:
    """The client's id in ``source`` (its ``external_id``), when the client came from
    that source (an event of the source is about it); else None."""
    client = session.get(Client, client_id)
    if client is None or not client.external_id:
        return None
    came = session.scalar(
        select(Event.id).where(Event.source == source, Event.client_id == client_id).limit(1)
    )
    return client.external_id if came is not None else None


def marker(message_id: str) -> str:
    """What ends a note, and what a retry looks for."""
    return f"[ref {message_id}]"


def note_text(session: Session, event_type: str, data: dict[str, Any]) -> str:
    """The few words a note says about one change (without its marker)."""
    if event_type == "ask.sent":
        channel = CHANNELS.get(str(data.get("channel")), str(data.get("channel") or "hand"))
        by = f" by {data['sent_by']}" if data.get("sent_by") else ""
        return f"Referral ask sent by {channel}{by} (ask {data.get('ask_id')})"
    if event_type == "reply.received":
        said = f"Client replied: {data.get('kind')}"
        task = session.scalar(
            select(Task).where(Task.reply_id == data.get("reply_id")).order_by(Task.id).limit(1)
        )
        assignee = session.get(User, task.assignee_id) if task and task.assignee_id else None
        if assignee is not None:
            return f"{said} — task for {assignee.name or assignee.email}"
        return f"{said} (ask {data.get('ask_id')})" if data.get("ask_id") else said
    if event_type == "referral.status_changed":
        referral = session.get(Referral, data.get("referral_id"))
        who = _prospect(referral) if referral else f"referral {data.get('referral_id')}"
        status = str(data.get("status") or "").replace("_", " ")
        reason = f" ({str(data['reason']).replace('_', ' ')})" if data.get("reason") else ""
        return f"Referral {who} — status {status}{reason}"
    raise ValueError(f"no write-back note for {event_type!r}")


def _prospect(referral: Referral) -> str:
    """A referred person as the agency needs to recognise them: first name and initial."""
    first = (referral.first_name or "").strip()
    last = (referral.last_name or "").strip()
    if first:
        return f"{first} {last[0]}." if last else first
    return referral.company or f"referral {referral.id}"


class NoteWriter:
    """Performs one write-back source's deliveries during one sender pass."""

    def __init__(
        self, db_url: str, name: str, config: SourceSection, *, zone: str, client: httpx.Client
    ) -> None:
        self.db_url, self.name, self.config, self.zone = db_url, name, config, zone
        self.client = client
        self.http: PollHttp | None = None

    def write(self, item: Outgoing) -> Answer:
        """Write ``item``'s note on its insured once; never raises for the API's failures."""
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)

        body = json.loads(item.body)
        with unit_of_work(self.db_url) as session:
            client_id = _delivery_client(session, item.delivery_id)
            insured = insured_id(session, self.name, client_id) if client_id else None
            text = note_text(session, body["type"], body["data"])
        if insured is None:
            return Answer(None, f"the client is no insured of {self.name} any more", took())
        mark = marker(item.message_id)
        try:
            http = self._signed_in()
            if item.attempt > 1 and self._written(http, insured, mark):
                return Answer(200, None, took())
            from referral_engine.sources.profiles import momentum

            response = http.request(
                "POST",
                f"{self._base()}{momentum.NOTE_INSERT_PATH}",
                json=momentum.note_request(insured_id=insured, text=f"{text} {mark}"),
            )
        except PollFailed as exc:
            return Answer(exc.status, str(exc)[:500], took())
        except httpx.HTTPError as exc:
            return Answer(None, f"{type(exc).__name__}"[:500], took())
        except ValueError as exc:  # a missing environment variable (SourceConfigError)
            return Answer(None, str(exc)[:500], took())
        return Answer(response.status_code, None, took())

    def _base(self) -> str:
        return self.config.base_url.rstrip("/")

    def _signed_in(self) -> PollHttp:
        if self.http is None:
            from referral_engine.sources.profiles import credentials, momentum

            profile = momentum.Momentum(
                self.name, self.config, credentials(self.config), zone=self.zone
            )
            http = PollHttp(client=self.client, policy=POLICY, sign_in=profile.sign_in)
            http.start()
            self.http = http
        return self.http

    def _written(self, http: PollHttp, insured: str, mark: str) -> bool:
        from referral_engine.sources.profiles import momentum

        response = http.request(
            "GET",
            f"{self._base()}{momentum.NOTE_LIST_PATH}",
            params=momentum.note_query(insured_id=insured, marker=mark),
        )
        return any(mark in text for text in momentum.note_texts(json_of(response)))


def _delivery_client(session: Session, delivery_id: int) -> int | None:
    from referral_engine.webhooks.models import WebhookDelivery

    delivery = session.get(WebhookDelivery, delivery_id)
    return delivery.client_id if delivery is not None else None


def writers(
    settings: AgencySettings, *, db_url: str, client: httpx.Client
) -> dict[str, NoteWriter]:
    """One writer per write-back source, for one sender pass."""
    zone = settings.agency.timezone
    return {
        name: NoteWriter(db_url, name, settings.sources[name], zone=zone, client=client)
        for name in sources(settings)
    }
