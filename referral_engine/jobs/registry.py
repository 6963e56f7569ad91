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
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register a handler for due work of ``kind`` ("area.verb_noun")."""

    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """Raised by a handler whose work cannot be done yet; the job runs again at ``at``."""

    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at
