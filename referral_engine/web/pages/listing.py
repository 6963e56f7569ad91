"""What every list page shares: ``?q=`` search, ``?sort=`` and ``?dir=`` on named columns,
``?page=`` (50 rows a page), ``?since=`` and ``?until=`` (days on the agency's clock,
both included) where a list has dates, and the pager and sortable headers that keep the other
parameters. A bad parameter never fails a page: it falls back to the default and the
page says so in plain words (``ListQuery.notes``).

Templates: ``{% include "_pager.html" %}`` (counts, "Showing 51–100 of 734", Previous and
Next) and ``{% from "_sortable.html" import sortable_th %}`` for header links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session

from referral_engine import search
from referral_engine.agency.service import load_settings

PAGE_SIZE = 50
MAX_PAGE = 100_000


@dataclass
class ListQuery:
    """A list page's parameters as read (falling back on bad input), and how to link to
    the same list with one of them changed."""

    path: str
    params: dict[str, str]
    sorts: Mapping[str, str]
    q: str
    search: search.Search
    page: int
    sort: str
    dir: str
    size: int = PAGE_SIZE
    notes: list[str] = field(default_factory=list)
    total: int = 0
    # ``since`` / ``until``: whole days on the agency's clock, as [since, before) in UTC.
    since: datetime | None = None
    before: datetime | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def descending(self) -> bool:
        return self.dir == "desc"

    def href(self, **changes: Any) -> str:
        """This list's URL with ``changes`` (None drops a parameter)."""
        params = {**self.params, **{k: v for k, v in changes.items()}}
        kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
        return f"{self.path}?{urlencode(kept)}" if kept else self.path

    def sort_href(self, key: str) -> str:
        """Sort by ``key``; a second click on the same column turns the direction."""
        if self.sort == key:
            turned = "asc" if self.dir == "desc" else "desc"
        else:
            turned = self.sorts.get(key, "asc")
        return self.href(sort=key, dir=turned, page=None)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def previous_href(self) -> str | None:
        return self.href(page=self.page - 1 if self.page > 2 else None) if self.page > 1 else None

    @property
    def next_href(self) -> str | None:
        return self.href(page=self.page + 1) if self.page < self.pages else None


def page_number(request: Request, notes: list[str]) -> int:
    """The ``page`` asked for; 1 when it is not a page number (and a note says so)."""
    page_text = request.query_params.get("page", "1").strip() or "1"
    try:
        page = int(page_text)
        if not 1 <= page <= MAX_PAGE:
            raise ValueError(page_text)
    except ValueError:
        notes.append(f"Page “{page_text[:20]}” is not a page number; showing page 1.")
        page = 1
    return page


def rows_page(
    request: Request, rows: list[Any], params: Mapping[str, str]
) -> tuple[ListQuery, list[Any]]:
    """A page of ``rows`` already in hand (a report's, sorted in Python), with the pager's
    ``ListQuery``; ``params``: the page's other parameters, kept in its links."""
    notes: list[str] = []
    listing = ListQuery(
        path=request.url.path,
        params={k: v for k, v in params.items() if v},
        sorts={},
        q="",
        search=search.Search(),
        page=page_number(request, notes),
        sort="",
        dir="",
        notes=notes,
    )
    shown = fetch(listing, lambda limit, offset: (rows[offset : offset + limit], len(rows)))
    return listing, shown


def list_query(
    request: Request,
    session: Session,
    *,
    sorts: Mapping[str, str],
    default_sort: str,
    keep: Mapping[str, str] | None = None,
    path: str | None = None,
) -> ListQuery:
    """Read ``q``, ``page``, ``sort``, ``dir``, ``since`` and ``until`` from the request.
    ``sorts``: the keys this list sorts by, each with the direction a first click on its
    header gives; ``keep``: the page's other parameters (filters) for its links;
    ``path``: the list's own address when a form's POST renders it."""
    raw = request.query_params
    notes: list[str] = []
    page = page_number(request, notes)
    sort = raw.get("sort", "") or default_sort
    if sort not in sorts:
        notes.append(f"This list cannot be sorted by “{sort[:40]}”; sorted by {default_sort}.")
        sort = default_sort
    direction = raw.get("dir", "") or sorts[sort]
    if direction not in ("asc", "desc"):
        notes.append(f"Direction “{direction[:20]}” is neither asc nor desc; using {sorts[sort]}.")
        direction = sorts[sort]
    q = raw.get("q", "").strip()[:200]
    agency = load_settings(session).agency
    params = {k: v for k, v in (keep or {}).items() if v}
    if q:
        params["q"] = q
    days = {}
    for name in ("since", "until"):
        text = raw.get(name, "").strip()
        if not text:
            continue
        try:
            days[name] = date.fromisoformat(text)
            if not date.min < days[name] < date.max:
                raise ValueError(text)
            params[name] = text
        except ValueError:
            days.pop(name, None)
            notes.append(f"“{text[:20]}” is not a date (2026-12-02); {name} is ignored.")
    zone = ZoneInfo(agency.timezone)
    since = days.get("since")
    until = days.get("until")
    if raw.get("sort") or raw.get("dir"):
        params.update(sort=sort, dir=direction)
    return ListQuery(
        path=path or request.url.path,
        params=params,
        sorts=sorts,
        q=q,
        search=search.parse(q, agency.phone_region),
        page=page,
        sort=sort,
        dir=direction,
        notes=notes,
        since=datetime.combine(since, time(), zone) if since else None,
        before=datetime.combine(until + timedelta(days=1), time(), zone) if until else None,
    )


def fetch(listing: ListQuery, load: Callable[[int, int], tuple[list[Any], int]]) -> list[Any]:
    """The page's rows from ``load(limit, offset)`` (rows and the total, both in SQL); a
    page past the end shows the last page instead, and says so."""
    rows, listing.total = load(listing.size, listing.offset)
    if listing.page > listing.pages:
        listing.notes.append(f"There is no page {listing.page}; showing page {listing.pages}.")
        listing.page = listing.pages
        rows, listing.total = load(listing.size, listing.offset)
    return rows
