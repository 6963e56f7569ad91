"""The registry of due-work handlers: which function runs a job of each kind.

An area registers its handlers with :func:`handles` (``referral_engine/handlers.py``
gathers them); the worker looks a job's kind up in :data:`HANDLERS`. A handler that cannot
do its work yet raises :class:`RetryLater`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[[Session, dict[str, Any], datetime], str | None]
Preparer = Callable[[Session, list[dict[str, Any]]], None]
HANDLERS: dict[str, Handler] = {}
PREPARERS: dict[str, Preparer] = {}


def handles(kind: str, *, prepare: Preparer | None = None) -> Callable[[Handler], Handler]:
    """Register a handler for due work of ``kind`` ("area.verb_noun").

    ``prepare``, when given, runs once for all the jobs of that kind in a batch, in the
    batch's transaction, before any of them: it reads in a few set-based queries what the
    handlers would otherwise read one job at a time (the rows land in the session's
    identity map, where ``session.get`` finds them without a query).
    """

    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        if prepare is not None:
            PREPARERS[kind] = prepare
        return handler

    return register


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """Raised by a handler whose work cannot be done yet; the job runs again at ``at``."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at
