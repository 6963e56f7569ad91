"""What a person types in a list's search box, read once, and the SQL it asks for.

Callers may rely on:
- every phone number in the text, in any format ("(312) 555-0010", "312.555.0010",
  "+1 312 555 0010"), is read with ``phonenumbers`` in the agency's default region and
  matched as E.164 against the phone columns;
- every other word must appear (case-insensitive, anywhere) in one of the text columns;
  a word of digits and punctuation only ("555-0010") also matches phone columns by its
  digits;
- :func:`page_of` answers one page of rows (LIMIT/OFFSET) and the total (COUNT) in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import QueryableAttribute, Session

_DIGITY = re.compile(r"^[\d\s().+\-]+$")
# A column or a mapped attribute (``Client.mobile``) a search or a sort may name.
Column = ColumnElement[Any] | QueryableAttribute[Any]
MIN_DIGITS = 4  # shorter digit runs are ids or years, not phone fragments


@dataclass(frozen=True)
class Search:
    """A search box's text: E.164 numbers found in it, and the remaining words."""

    text: str = ""
    phones: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.phones or self.words)

    def terms(self) -> list[Search]:
        """Each number and each word as a search of its own: every one must match for
        the whole to match (for a query that looks each term up in a related table)."""
        numbers = [Search(text=n, phones=(n,)) for n in self.phones]
        return numbers + [Search(text=w, words=(w,)) for w in self.words]


def parse(text: str, region: str = "US") -> Search:
    """Read ``text``: phone numbers (``region`` for numbers without a country code) and
    the words left once they are taken out."""
    text = (text or "").strip()[:200]
    phones: list[str] = []
    rest = text
    leniency = phonenumbers.Leniency.POSSIBLE
    for match in phonenumbers.PhoneNumberMatcher(text, region or "US", leniency=leniency):
        if len(str(match.number.national_number)) < 8:
            continue  # a local fragment ("555-0010"): matched by its digits below
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        phones.append(e164)
        rest = rest.replace(match.raw_string, " ")
    return Search(text=text, phones=tuple(phones), words=tuple(rest.lower().split()))


def matching(
    search: Search,
    *,
    text: Sequence[Column],
    phones: Sequence[Column] = (),
    also: Sequence[Callable[[str], ColumnElement[bool]]] = (),
) -> ColumnElement[bool]:
    """A WHERE clause: every phone in ``phones`` columns, every word in some column (or
    satisfying one of ``also``: a clause built for the word, e.g. a related row's)."""
    clauses: list[ColumnElement[bool]] = []
    for number in search.phones:
        if phones:
            clauses.append(or_(*(column == number for column in phones)))
        else:
            clauses.append(or_(*(column.contains(number, autoescape=True) for column in text)))
    for word in search.words:
        options = [func.lower(func.coalesce(c, "")).contains(word, autoescape=True) for c in text]
        options += [clause(word) for clause in also]
        digits = re.sub(r"\D", "", word)
        if phones and _DIGITY.match(word) and len(digits) >= MIN_DIGITS:
            options += [func.coalesce(c, "").contains(digits, autoescape=True) for c in phones]
        clauses.append(or_(*options))
    return and_(true(), *clauses)


def page_of(
    session: Session,
    query: Select[*tuple[Any, ...]],
    *,
    key: Column,
    limit: int,
    offset: int,
    counted: Select[Any] | None = None,
) -> tuple[list[Any], int]:
    """One page of ``query``'s rows and how many rows it has in all (``key``: a column
    that is unique per row, counted in a subquery so joins and filters stay as written;
    ``counted``: a cheaper query with the same rows, e.g. without a join that cannot drop
    any)."""
    if counted is None:
        counted = query.with_only_columns(key, maintain_column_froms=True)
    counted = counted.order_by(None)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    rows = list(session.execute(query.limit(limit).offset(offset)).tuples())
    return rows, int(total)


def ordered(column: Column, descending: bool) -> ColumnElement[Any]:
    """``column`` in the asked direction, empty values last either way (the same order on
    SQLite and PostgreSQL). A column that is never empty is ordered plainly, so that an
    index on it serves the order (PostgreSQL reads a b-tree backwards as ``DESC NULLS
    FIRST``: asking for ``NULLS LAST`` would sort the whole table instead)."""
    if not getattr(getattr(column, "expression", column), "nullable", True):
        return column.desc() if descending else column.asc()
    return column.desc().nulls_last() if descending else column.asc().nulls_last()


def within(column: Column, since: datetime | None, before: datetime | None) -> ColumnElement[bool]:
    """``since <= column < before``, either end open when None."""
    clauses: list[ColumnElement[bool]] = []
    if since is not None:
        clauses.append(column >= since)
    if before is not None:
        clauses.append(column < before)
    return and_(true(), *clauses)
