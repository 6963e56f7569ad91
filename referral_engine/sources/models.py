"""What the service remembers of each source between polls: the cursor and the last run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from referral_engine.db import Base, UtcDateTime


class SourceState(Base):
    """One polled source's durable cursor and the outcome of its latest poll.

    ``cursor`` is the source's own change stamp (an ISO instant) up to which every record
    has been taken into ingest; a poll asks for changes since it and moves it only after
    the events it read are stored, in the same transaction.
    """

    __tablename__ = "source_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(200))
    last_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Polls that failed in a row (0 after a success); and every poll run so far.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    polls: Mapped[int] = mapped_column(Integer, default=0)
