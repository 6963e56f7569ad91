"""CSV mapping profiles: how an agency system's export columns become canonical events.

A profile is a TOML file (see docs/import.md for the full format)::

    [profile]
    name = "policy-list"
    date_formats = ["%m/%d/%Y", "%Y-%m-%d"]
    id = "{Policy Number}-{Transaction}-{Transaction Date}"   # event id from columns

    [columns]                      # CSV column -> canonical field (dotted path)
    "Client Code" = "client.external_id"
    "Insured Name" = "client.full_name"   # "Reyes, Dana" or "Dana Reyes"

    [values."policy.transaction"]  # value maps, per field, applied before validation
    "New Business" = "new"

    [constants]                    # fields every row gets
    type = "policy.bound"

Values are typed by the field they land in: dates through ``date_formats``, money with
``$`` and thousands separators, yes/no words as booleans. Validation proper (emails,
phones, lines of business) is the canonical event's, so a CSV row and an API call are
held to the same rules.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from referral_engine.events.service import FieldError, RawEvent

DATE_FIELDS = {"occurred_at", "client.client_since", "policy.effective_date"}
NUMBER_FIELDS = {"policy.premium", "policy.commission"}
INTEGER_FIELDS = {"feedback.score"}
BOOLEAN_FIELDS = {"client.consent.email", "client.consent.sms", "client.sensitive"}
TRUE_WORDS = {"y", "yes", "true", "1", "t", "x", "opted in", "opt-in"}
FALSE_WORDS = {"n", "no", "false", "0", "f", "opted out", "opt-out"}
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


class ProfileError(ValueError):
    """A mapping profile that cannot be used, or a file that does not fit it."""


@dataclass(frozen=True)
class Profile:
    name: str
    columns: dict[str, str]
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%m/%d/%Y")
    id_template: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    description: str = ""

    @property
    def required_columns(self) -> set[str]:
        """Columns the event id is made from: without them no row can be idempotent."""
        return set(_TEMPLATE_FIELD.findall(self.id_template)) if self.id_template else set()

    def absent_columns(self, header: set[str]) -> list[str]:
        """Mapped columns this file does not have (their fields stay empty)."""
        return sorted(set(self.columns) - header)


def load_profile(path_or_name: str | Path) -> Profile:
    """A profile from a TOML file, or a shipped one by name (``referral import --mapping``)."""
    path = Path(path_or_name)
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        shipped = resources.files("referral_engine") / "profiles" / f"{path_or_name}.toml"
        if not shipped.is_file():
            raise ProfileError(
                f"no mapping profile {str(path_or_name)!r}: not a file, and not one of the "
                f"shipped profiles ({', '.join(shipped_profiles())})"
            )
        text = shipped.read_text(encoding="utf-8")
    return parse_profile(text, default_name=path.stem)


def shipped_profiles() -> list[str]:
    folder = resources.files("referral_engine") / "profiles"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def parse_profile(text: str, *, default_name: str = "profile") -> Profile:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"mapping profile is not valid TOML: {exc}") from exc
    head = raw.get("profile", {})
    columns = raw.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise ProfileError("mapping profile needs a [columns] table mapping CSV columns to fields")
    return Profile(
        name=str(head.get("name", default_name)),
        description=str(head.get("description", "")),
        columns={str(k): str(v) for k, v in columns.items()},
        values={str(k): dict(v) for k, v in raw.get("values", {}).items()},
        constants=dict(raw.get("constants", {})),
        date_formats=tuple(head.get("date_formats", ("%Y-%m-%d", "%m/%d/%Y"))),
        id_template=head.get("id"),
        delimiter=str(head.get("delimiter", ",")),
        encoding=str(head.get("encoding", "utf-8-sig")),
    )


def check_header(path: Path, profile: Profile) -> list[str]:
    """Refuse a file without the id columns; returns the mapped columns it lacks."""
    with path.open(newline="", encoding=profile.encoding) as handle:
        header = set(next(csv.reader(handle, delimiter=profile.delimiter), []))
    missing = sorted(profile.required_columns - header)
    if missing:
        raise ProfileError(
            f"{path.name}: profile {profile.name!r} makes event ids from column(s) "
            f"{', '.join(repr(m) for m in missing)}, not found in the header"
        )
    if not header & set(profile.columns):
        raise ProfileError(f"{path.name}: no column of profile {profile.name!r} is in the header")
    return profile.absent_columns(header)


def read_rows(path: Path, profile: Profile, *, source: str) -> Iterator[RawEvent]:
    """Stream a CSV file as raw events, one per row (line numbers as the file counts them)."""
    check_header(path, profile)
    with path.open(newline="", encoding=profile.encoding) as handle:
        reader = csv.DictReader(handle, delimiter=profile.delimiter)
        for row in reader:
            yield row_to_raw(
                row, profile, source=source, file_name=path.name, line_no=reader.line_num
            )


def row_to_raw(
    row: Mapping[str, str | None],
    profile: Profile,
    *,
    source: str,
    file_name: str | None,
    line_no: int | None,
) -> RawEvent:
    """One CSV row as a raw event: the row is kept as the raw body, the mapping applied."""
    body = json.dumps({"row": dict(row)}, ensure_ascii=False)
    raw = RawEvent(
        body=body,
        channel="import",
        source=source,
        file_name=file_name,
        line_no=line_no,
        mapping=profile.name,
    )
    document: dict[str, Any] = {}
    for target, value in profile.constants.items():
        _put(document, target, value)
    for column, target in profile.columns.items():
        cell = (row.get(column) or "").strip()
        if not cell:
            continue
        try:
            _assign(document, target, _mapped(profile, target, cell), profile)
        except ValueError as exc:
            raw.errors.append(FieldError(f"{target} (column {column!r})", str(exc)))
    if profile.id_template and "id" not in document:
        document["id"] = _TEMPLATE_FIELD.sub(
            lambda m: (row.get(m.group(1)) or "").strip(), profile.id_template
        )
    raw.parsed = document
    return raw


def _mapped(profile: Profile, target: str, cell: str) -> Any:
    table = profile.values.get(target)
    if not table:
        return cell
    for key, value in table.items():
        if key.strip().lower() == cell.lower():
            return value
    return table.get("*", cell)


def _assign(document: dict[str, Any], target: str, value: Any, profile: Profile) -> None:
    if target == "client.full_name":
        first, last = split_name(str(value))
        _put(document, "client.first_name", first)
        _put(document, "client.last_name", last)
        return
    if isinstance(value, str):
        if target in DATE_FIELDS:
            value = parse_date(value, profile.date_formats)
        elif target in NUMBER_FIELDS:
            value = parse_money(value)
        elif target in INTEGER_FIELDS:
            value = int(parse_money(value))
        elif target in BOOLEAN_FIELDS:
            value = parse_flag(value)
    _put(document, target, value)


def _put(document: dict[str, Any], target: str, value: Any) -> None:
    parts = target.split(".")
    node = document
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def split_name(text: str) -> tuple[str, str]:
    """ "Reyes, Dana" and "Dana Reyes" both give ("Dana", "Reyes")."""
    text = " ".join(text.split())
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.rpartition(" ")
    return (first, last) if first else (last, "")


def parse_date(text: str, formats: tuple[str, ...]) -> str:
    for fmt in formats:
        try:
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone applied by the schema
        except ValueError:
            continue
        has_time = any(code in fmt for code in ("%H", "%I", "%M"))
        return parsed.isoformat() if has_time else parsed.date().isoformat()
    raise ValueError(f"{text!r} matches none of the date formats {', '.join(formats)}")


def parse_money(text: str) -> float:
    cleaned = text.replace("$", "").replace(",", "").strip()
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    try:
        value = float(cleaned.strip("()"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a number") from exc
    return -value if negative else value


def parse_flag(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if word in ("", "unknown", "?"):
        return None
    raise ValueError(f"{text!r} is not a yes/no value")
