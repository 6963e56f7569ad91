"""`referral import` and re-processing: files streamed in chunks through ingest."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from referral_engine import clock
from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.events import repository
from referral_engine.events.csv_profiles import load_profile, read_rows, row_to_raw
from referral_engine.events.models import Outcome, RawInput
from referral_engine.events.service import FieldError, IngestResult, RawEvent, ingest_retrying
from referral_engine.settings import AgencySettings


class ImportRefused(ValueError):
    """A file that cannot be imported at all (missing, wrong kind, no mapping)."""


@dataclass
class ImportSummary:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejections: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.duplicate + self.rejected

    def add(self, results: Iterable[IngestResult]) -> None:
        for result in results:
            if result.outcome == Outcome.accepted:
                self.accepted += 1
            elif result.outcome == Outcome.duplicate:
                self.duplicate += 1
            else:
                self.rejected += 1
                if len(self.rejections) < 1000:
                    self.rejections.append((result.line_no, result.reason))


def read_jsonl(path: Path, *, source: str) -> Iterator[RawEvent]:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for line_no, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            yield RawEvent.from_json_text(
                text, channel="import", source=source, file_name=path.name, line_no=line_no
            )


def _raw_events(path: Path, *, source: str, mapping: str | None) -> Iterator[RawEvent]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, source=source)
    if suffix == ".csv":
        if not mapping:
            raise ImportRefused(
                f"{path.name}: a CSV file needs --mapping (a profile TOML file or a shipped "
                "profile: policy-transactions, book-of-business)"
            )
        return read_rows(path, load_profile(mapping), source=source)
    raise ImportRefused(f"{path.name}: import takes .jsonl or .csv files")


def _chunks(items: Iterator[RawEvent], size: int) -> Iterator[list[RawEvent]]:
    chunk: list[RawEvent] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_file(
    url: str,
    *,
    path: Path,
    source: str,
    mapping: str | None,
    chunk: int = 1000,
    console: Console | None = None,
) -> ImportSummary:
    """Stream ``path`` into the database, one transaction per chunk; memory stays flat."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    from referral_engine.setup import require_schema

    require_schema(url)
    with unit_of_work(url) as session:
        settings = load_settings(session)
    summary = ImportSummary()
    raws = _raw_events(path, source=source, mapping=mapping)
    progress = _progress_bar(console)
    with progress:
        task = progress.add_task(f"Importing {path.name}", total=count_lines(path))
        for number, batch in enumerate(_chunks(raws, max(chunk, 1)), start=1):
            with unit_of_work(url) as session:
                summary.add(
                    ingest_retrying(session, inputs=batch, settings=settings, now=clock.now())
                )
                if number % ANALYZE_EVERY == 0:
                    refresh_statistics(session)
            progress.update(task, completed=batch[-1].line_no or summary.total)
    return summary


# A large import grows the tables faster than autovacuum re-plans them: without fresh
# statistics PostgreSQL keeps planning the lookups of each chunk as if the tables were
# empty (sequential scans), and an import slows down as it goes.
ANALYZE_EVERY = 10
GROWN_BY_IMPORT = ("events", "clients", "policies", "raw_inputs", "jobs")


def refresh_statistics(session: Session) -> None:
    """ANALYZE the tables an import grows (PostgreSQL; SQLite plans by its indexes)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {', '.join(GROWN_BY_IMPORT)}"))


def count_lines(path: Path) -> int:
    """Lines in the file, read in blocks (the progress bar's total)."""
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            lines += block.count(b"\n")
    return max(lines, 1)


def _progress_bar(console: Console | None) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("lines"),
        TimeRemainingColumn(),
        console=console,
        disable=console is None,
        transient=False,
    )


def list_rejected(url: str, *, source: str | None) -> list[dict[str, Any]]:
    with unit_of_work(url) as session:
        rows = repository.rejected_inputs(session, source=source)
        return [
            {
                "id": r.id,
                "received_at": r.received_at.isoformat(),
                "channel": r.channel,
                "source": r.source,
                "file_name": r.file_name,
                "line_no": r.line_no,
                "event_id": r.event_key,
                "reason": r.reason,
                "errors": r.errors or [],
            }
            for r in rows
        ]


# Reads a kept input again by its mapping's kind (``poll:momentum`` → ``poll``): the
# entry point that knows those mappings passes them in (events knows only CSV profiles).
Reader = Callable[[RawInput, AgencySettings], RawEvent]


def reprocess_rejected(
    url: str,
    *,
    source: str | None,
    mapping: str | None,
    readers: Mapping[str, Reader] | None = None,
) -> ImportSummary:
    """Run every rejected input again (CSV rows through ``mapping`` if given; inputs of a
    mapping kind in ``readers``, such as polled records, through their reader).

    The old rejected rows stay as they were, marked re-processed; each run's outcome
    is a new raw-input row, so the history of what arrived and what became of it is whole.
    """
    profile = load_profile(mapping) if mapping else None
    summary = ImportSummary()
    with unit_of_work(url) as session:
        settings = load_settings(session)
        rejected = repository.rejected_inputs(session, source=source)
        now = clock.now()
        raws = [_again(row, profile, settings, readers or {}) for row in rejected]
        if raws:
            summary.add(ingest_retrying(session, inputs=raws, settings=settings, now=now))
            session.execute(
                update(RawInput)
                .where(RawInput.id.in_([r.id for r in rejected]))
                .values(reprocessed_at=now)
            )
    return summary


def _again(
    row: RawInput, profile: Any, settings: AgencySettings, readers: Mapping[str, Reader]
) -> RawEvent:
    refused = [e for e in row.errors or [] if e.get("forbidden")]
    if refused:
        # Refused for its sender (a signed source's name, a token's scope): no fix of
        # content or mapping changes who sent it, so it stays refused.
        raw = RawEvent(body=row.body, channel="reprocess", source=row.source)
        raw.errors.extend(FieldError(e["field"], e["reason"], forbidden=True) for e in refused)
        return raw
    kind = (row.mapping or "").partition(":")[0]
    if row.mapping and kind in readers:
        return readers[kind](row, settings)
    if row.mapping:
        if profile is None:
            from referral_engine.events.csv_profiles import load_profile as load

            try:
                profile_now = load(row.mapping)
            except ValueError:
                raw = RawEvent(
                    body=row.body,
                    channel="reprocess",
                    source=row.source,
                    file_name=row.file_name,
                    line_no=row.line_no,
                    mapping=row.mapping,
                )
                raw.errors.append(_no_profile(row.mapping))
                return raw
        else:
            profile_now = profile
        cells = json.loads(row.body).get("row", {})
        raw = row_to_raw(
            cells, profile_now, source=row.source, file_name=row.file_name, line_no=row.line_no
        )
        raw.channel = "reprocess"
        return raw
    # Signed (or polled) input stays so; anything else is as unsigned as when it came:
    # re-processing an API input that named a signed source refuses it again.
    return RawEvent.from_json_text(
        row.body,
        channel="reprocess",
        source=row.source,
        file_name=row.file_name,
        line_no=row.line_no,
        required_source=row.authenticated_as,
        authenticated_as=row.authenticated_as,
    )


def _no_profile(name: str) -> Any:
    from referral_engine.events.service import FieldError

    return FieldError("mapping", f"profile {name!r} not found: pass --mapping FILE")
