"""Reading a kept polled record again (``referral events --reprocess``).

A polled record is kept as the API sent it, with the mapping ``poll:PROFILE``. Once the
cause of its rejection is fixed (a line-of-business code mapped, a generic REST mapping
corrected), re-processing maps the kept record again with the source's profile as it is
configured now, as its own source's input: the signed-source rule holds. No request is
made and no credential is read.
"""

from __future__ import annotations

import json
from datetime import timedelta

from referral_engine.events.models import RawInput
from referral_engine.events.service import FieldError, RawEvent
from referral_engine.settings import AgencySettings
from referral_engine.sources.poller import POLL_CHANNEL
from referral_engine.sources.profiles import (
    SourceConfigError,
    applied_epic,
    generic_rest,
    hawksoft,
    momentum,
)


def reread(row: RawInput, settings: AgencySettings) -> RawEvent:
    """The kept record of ``row`` as a fresh input of its source."""
    raw = RawEvent(
        body=row.body,
        channel="reprocess",
        source=row.source,
        mapping=row.mapping,
        required_source=row.authenticated_as,
        authenticated_as=row.authenticated_as,
    )
    config = settings.sources.get(row.source)
    profile = (row.mapping or "").removeprefix(f"{POLL_CHANNEL}:")
    if config is None or config.kind != "poll" or config.profile != profile:
        raw.errors.append(
            FieldError("mapping", f"{row.source!r} is no longer a {profile} poll source")
        )
        return raw
    record = json.loads(row.body)
    zone = settings.agency.timezone
    try:
        if profile == "momentum":
            document = momentum.policy_event(record, source=row.source)
        elif profile == "hawksoft":
            document = hawksoft.policy_event(
                record,
                source=row.source,
                zone=zone,
                now=row.received_at,
                recent=timedelta(days=config.max_catch_up_days),
            )
        elif profile == "applied-epic":
            document = applied_epic.line_event(record, source=row.source)
        else:
            mapping = generic_rest.load_mapping(config.mapping)
            reader = generic_rest.GenericRest(row.source, config, mapping, zone=zone)
            document, errors = reader.read(record)
            raw.errors.extend(errors)
    except SourceConfigError as exc:
        raw.errors.append(FieldError("mapping", str(exc)))
        return raw
    if not document:
        raw.errors.append(FieldError("body", "the record makes no event under today's profile"))
        return raw
    raw.parsed = document
    return raw
