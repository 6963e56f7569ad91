"""Per-sender layout rules, as data: one TOML file per layout.

A layout says which emails it reads (the From domain, optionally a subject pattern)
and where each field is: by label (``Policy Number: NW-1``, a table row, or a label
line followed by its value) or by a regular expression with a ``value`` group, in the
subject or the body. Shipped layouts live in ``referral_engine/mail/layouts/``; an
``email`` source may add its own directory (``layouts_dir``), whose layouts are tried
first. The format, with every key::

    [layout]
    name = "northwind-issued"          # shown with each event and quarantine
    description = "…"
    carrier = "Northwind Mutual"       # optional: the carrier every email of it is for
    transaction = "new"                # optional: the transaction every email of it is

    [match]
    from_domains = ["northwind-mutual.example"]   # the sender's domain or a subdomain
    subject = "(?i)policy issued"                 # optional regular expression

    [fields]                           # field -> label(s), compared without case/punctuation
    policy_number = ["Policy Number", "Policy No"]

    [patterns.premium]                 # field -> a regular expression with (?P<value>…)
    pattern = "total of (?P<value>\\$[\\d,.]+)"
    in = "body"                        # or "subject"

    [values.transaction]               # the layout's own words for a field's values
    "NB" = "new"
    [values.line_of_business]          # its own line codes -> ACORD codes
    "PAUTO" = "AUTOP"

Fields: policy_number, insured_name, effective_date, line_of_business, transaction,
premium, email, phone, client_id, carrier, producer_name, producer_email, contact_name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from referral_engine.mail.facts import FIELD_WORDS, Findings
from referral_engine.mail.message import MailMessage
from referral_engine.mail.reading import Reading, fold_label, labeled_values, typed, verdict


class LayoutError(ValueError):
    """A layout file that cannot be used (bad TOML, unknown field, bad pattern)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _About(_Strict):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    carrier: str | None = None
    transaction: str | None = None


class _Match(_Strict):
    from_domains: list[str] = Field(min_length=1)
    subject: str | None = None

    @field_validator("subject")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value)
        return value


class _Pattern(_Strict):
    pattern: str
    where: Literal["subject", "body"] = Field("body", alias="in")

    @field_validator("pattern")
    @classmethod
    def _has_value_group(cls, value: str) -> str:
        if "value" not in _compile(value).groupindex:
            raise ValueError(f"pattern {value!r} needs a (?P<value>…) group")
        return value


class _LayoutFile(_Strict):
    layout: _About
    match: _Match
    fields: dict[str, str | list[str]] = Field(default_factory=dict)
    patterns: dict[str, _Pattern] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("fields", "patterns", "values")
    @classmethod
    def _known_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(FIELD_WORDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; use {', '.join(FIELD_WORDS)}")
        return value


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc


@dataclass(frozen=True)
class Layout:
    """One sender's email layout; :meth:`read` extracts from a matching email."""

    name: str
    description: str
    domains: tuple[str, ...]
    subject: re.Pattern[str] | None
    labels: dict[str, tuple[str, ...]]
    patterns: dict[str, tuple[re.Pattern[str], str]]
    values: dict[str, dict[str, str]]
    constants: dict[str, str] = field(default_factory=dict)

    def matches(self, message: MailMessage) -> bool:
        domain = message.sender_domain
        if not any(domain == d or domain.endswith(f".{d}") for d in self.domains):
            return False
        return self.subject is None or self.subject.search(message.subject) is not None

    def read(self, message: MailMessage, *, lines: dict[str, str] | None = None) -> Reading:
        """Every labeled and patterned value of the email, typed; then the verdict."""
        findings = Findings()
        unreadable: dict[str, str] = {}
        line_map = {**(lines or {}), **self.values.get("line_of_business", {})}

        def take(name: str, text: str) -> None:
            value = typed(name, text, transactions=self.values.get("transaction"), lines=line_map)
            if value is None:
                unreadable.setdefault(name, text)
            findings.add(name, value)

        by_label = {label: name for name, labels in self.labels.items() for label in labels}
        for label, text in labeled_values(message.text):
            if label in by_label:
                take(by_label[label], text)
        for name, (pattern, where) in self.patterns.items():
            haystack = message.subject if where == "subject" else message.text
            for match in pattern.finditer(haystack):
                take(name, match.group("value"))
        for name, value in self.constants.items():
            findings.add(name, typed(name, value, transactions=self.values.get("transaction")))
        return verdict(self.name, findings, unreadable=unreadable)


def parse_layout(text: str, *, origin: str) -> Layout:
    """A layout from TOML text; :class:`LayoutError` naming ``origin`` when it is bad."""
    try:
        document = _LayoutFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"{origin}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LayoutError(
            f"{origin}: {where}: {first['msg'].removeprefix('Value error, ')}"
        ) from exc
    about = document.layout
    constants = {
        k: v for k, v in (("carrier", about.carrier), ("transaction", about.transaction)) if v
    }
    return Layout(
        name=about.name,
        description=about.description,
        domains=tuple(d.lower().strip() for d in document.match.from_domains),
        subject=_compile(document.match.subject) if document.match.subject else None,
        labels={
            name: tuple(fold_label(x) for x in ([v] if isinstance(v, str) else v))
            for name, v in document.fields.items()
        },
        patterns={name: (_compile(p.pattern), p.where) for name, p in document.patterns.items()},
        values=document.values,
        constants=constants,
    )


def shipped_layouts() -> list[Layout]:
    """The layouts that come with the package, in file-name order."""
    folder = resources.files("referral_engine.mail") / "layouts"
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    return [parse_layout(p.read_text(encoding="utf-8"), origin=p.name) for p in found]


def load_layouts(extra_dir: str | Path | None = None) -> list[Layout]:
    """An agency's own layouts (``extra_dir``, tried first), then the shipped ones."""
    own: list[Layout] = []
    if extra_dir:
        folder = Path(extra_dir)
        if not folder.is_dir():
            raise LayoutError(f"layouts_dir {folder}: no such directory")
        for path in sorted(folder.glob("*.toml")):
            own.append(parse_layout(path.read_text(encoding="utf-8"), origin=path.name))
    return own + shipped_layouts()
