"""Each source's health: what `referral sources list` and the Inputs page show.

For every configured source (and any other source name that inputs arrived under): its
kind and profile, the environment variables that hold its credentials and whether they
are set (never their values), inputs in / accepted / duplicate / rejected (and
quarantined emails), the last
success (an accepted input or a poll that ran through), the lag (how long after it
happened its newest accepted event arrived), the last error (a poll failure or a
rejected input) and a polled source's cursor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from referral_engine.events import service as events
from referral_engine.settings import AgencySettings, SourceSection
from referral_engine.sources import repository
from referral_engine.sources.models import SourceState


@dataclass(frozen=True)
class SourceHealth:
    name: str
    kind: str
    profile: str
    signed: bool
    credentials: tuple[tuple[str, bool], ...]  # (variable name, set?) — never the value
    inputs: int
    accepted: int
    duplicate: int
    rejected: int
    quarantined: int
    last_success_at: datetime | None
    lag_seconds: float | None
    last_error_at: datetime | None
    last_error: str | None
    last_polled_at: datetime | None
    cursor: str | None
    failures: int

    @property
    def credential_text(self) -> str:
        return ", ".join(f"{name} ({'set' if ok else 'missing'})" for name, ok in self.credentials)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "profile": self.profile or None,
            "signed": self.signed,
            "credentials": [{"env": name, "set": ok} for name, ok in self.credentials],
            "inputs": self.inputs,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "quarantined": self.quarantined,
            "last_success_at": _iso(self.last_success_at),
            "lag_seconds": self.lag_seconds,
            "last_error_at": _iso(self.last_error_at),
            "last_error": self.last_error,
            "last_polled_at": _iso(self.last_polled_at),
            "cursor": self.cursor,
            "failures": self.failures,
        }


def source_health(session: Session, *, settings: AgencySettings) -> list[SourceHealth]:
    """Every source's health, configured sources first (by name), then the others."""
    tallies = events.source_tallies(session)
    polled = repository.states(session)
    configured = sorted(settings.sources)
    others = sorted((set(tallies) | set(polled)) - set(configured))
    return [
        _health(name, settings.sources.get(name), tallies.get(name), polled.get(name))
        for name in configured + others
    ]


def _health(
    name: str,
    config: SourceSection | None,
    tally: events.SourceTally | None,
    state: SourceState | None,
) -> SourceHealth:
    named = (config.username_env, config.token_env, config.imap_url_env) if config else ()
    env_names = [n for n in named if n]
    success = _latest(
        tally.last_accepted_at if tally else None, state.last_success_at if state else None
    )
    error_at, error = _latest_error(tally, state)
    return SourceHealth(
        name=name,
        kind=config.kind if config else "api",
        profile=config.profile if config else "",
        signed=bool(config and config.webhook_secret),
        credentials=tuple((n, bool(os.environ.get(n))) for n in env_names),
        inputs=tally.inputs if tally else 0,
        accepted=tally.accepted if tally else 0,
        duplicate=tally.duplicate if tally else 0,
        rejected=tally.rejected if tally else 0,
        quarantined=tally.quarantined if tally else 0,
        last_success_at=success,
        lag_seconds=tally.lag_seconds if tally else None,
        last_error_at=error_at,
        last_error=error,
        last_polled_at=state.last_polled_at if state else None,
        cursor=state.cursor if state else None,
        failures=state.failures if state else 0,
    )


def _latest(*instants: datetime | None) -> datetime | None:
    known = [i for i in instants if i is not None]
    return max(known) if known else None


def _latest_error(
    tally: events.SourceTally | None, state: SourceState | None
) -> tuple[datetime | None, str | None]:
    candidates: list[tuple[datetime, str]] = []
    if tally and tally.last_rejected_at and tally.last_rejection:
        candidates.append((tally.last_rejected_at, f"rejected input: {tally.last_rejection}"))
    if state and state.last_error_at and state.last_error:
        candidates.append((state.last_error_at, f"poll failed: {state.last_error}"))
    if not candidates:
        return None, None
    return max(candidates, key=lambda c: c[0])


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def lag_text(seconds: float | None) -> str:
    """A lag as a person reads it: 45s, 12m, 3h 5m, 2d 4h."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"
