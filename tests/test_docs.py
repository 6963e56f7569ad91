"""The docs follow the code: a setting, variable, command, route or event term that the
code has and the docs lack is a failure of its own, named after the missing item."""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer.main
from fastapi.routing import APIRoute
from pydantic import BaseModel

from referral_engine import migrate
from referral_engine.cli import app as cli_app
from referral_engine.db import engine_for
from referral_engine.events.csv_profiles import load_profile, shipped_profiles
from referral_engine.events.lob import ACORD_LINES, ALIASES
from referral_engine.events.schemas import (
    EVENT_TYPES,
    TRANSACTION_ALIASES,
    TRANSACTIONS,
    EventIn,
)
from referral_engine.settings import AgencySettings, ProviderSettings
from referral_engine.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MARKDOWN = [README, *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _prose(text: str) -> str:
    """Markdown without code blocks and inline code: where links and headings live."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- agency settings (README's TOML example) -------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _settings_tables() -> list[str]:
    return list(AgencySettings.model_fields)


def _settings_keys() -> list[tuple[str, str]]:
    """(table, key) for every field of every section model; named tables as ``sources.*``."""
    keys = []
    for table, field in AgencySettings.model_fields.items():
        section = _model_of(field.annotation)
        if section is None and get_origin(field.annotation) is dict:
            section = _model_of(get_args(field.annotation)[1])
            table = f"{table}.*"
        if section is not None:
            keys.extend((table, key) for key in section.model_fields)
    return keys


def _default_keys() -> list[tuple[str, str]]:
    return [(table, key) for table, key in _settings_keys() if not table.endswith(".*")]


@pytest.fixture(scope="module")
def readme_settings() -> dict[str, Any]:
    """Every ```toml block of the README, read as one settings document."""
    document: dict[str, Any] = {}
    for block in _TOML_BLOCK.findall(_read(README)):
        for table, values in tomllib.loads(block).items():
            if isinstance(values, dict):
                document.setdefault(table, {}).update(values)
            else:
                document[table] = values
    return document


def _documented_table(document: dict[str, Any], table: str) -> list[dict[str, Any]]:
    if table.endswith(".*"):
        named = document.get(table.removesuffix(".*"), {})
        return [values for values in named.values() if isinstance(values, dict)]
    values = document.get(table)
    return [values] if isinstance(values, dict) else []


@pytest.mark.parametrize("table", _settings_tables())
def test_settings_table_is_in_the_readme(readme_settings: dict[str, Any], table: str) -> None:
    assert table in readme_settings, f"README's settings example has no [{table}] table"


@pytest.mark.parametrize(
    ("table", "key"), _settings_keys(), ids=[f"{t}.{k}" for t, k in _settings_keys()]
)
def test_settings_key_is_in_the_readme(
    readme_settings: dict[str, Any], table: str, key: str
) -> None:
    tables = _documented_table(readme_settings, table)
    assert any(key in values for values in tables), (
        f"README's settings example lacks {key} in [{table}]"
    )


@pytest.mark.parametrize(
    ("table", "key"), _default_keys(), ids=[f"{t}.{k}" for t, k in _default_keys()]
)
def test_readme_shows_the_default_of_each_setting(
    readme_settings: dict[str, Any], table: str, key: str
) -> None:
    shown = readme_settings.get(table, {}).get(key)
    default = getattr(AgencySettings(), table).model_dump()[key]
    assert shown == default, f"README shows {table}.{key} = {shown!r}; the default is {default!r}"


def test_readme_settings_example_is_valid(readme_settings: dict[str, Any]) -> None:
    AgencySettings.from_mapping(readme_settings)


# --- provider settings (environment) ---------------------------------------------------


def _variables() -> list[str]:
    prefix = str(ProviderSettings.model_config.get("env_prefix", ""))
    return [f"{prefix}{name}".upper() for name in ProviderSettings.model_fields]


@pytest.mark.parametrize("page", [README, DOCS / "operations.md"], ids=_name)
@pytest.mark.parametrize("variable", _variables())
def test_environment_variable_is_documented(page: Path, variable: str) -> None:
    assert re.search(rf"\b{variable}\b", _read(page)), f"{_name(page)} does not name {variable}"


# --- the `referral` command ------------------------------------------------------------


def _commands(group: Any, path: str = "referral") -> Iterator[tuple[str, Any]]:
    for name, command in sorted(group.commands.items()):
        if getattr(command, "hidden", False):
            continue
        yield f"{path} {name}", command
        if hasattr(command, "commands"):
            yield from _commands(command, f"{path} {name}")


def _root() -> Any:
    return typer.main.get_command(cli_app)


def _long_options(command: Any) -> list[str]:
    options = []
    for param in command.params:
        if param.param_type_name != "option":
            continue
        options.extend(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
    return [o for o in options if o != "--help"]


def _command_options() -> list[tuple[str, str]]:
    pairs = [("referral", option) for option in _long_options(_root())]
    for path, command in _commands(_root()):
        pairs.extend((path, option) for option in _long_options(command))
    return pairs


COMMANDS = [path for path, _ in _commands(_root())]
OPTIONS = _command_options()


def _mentions(text: str, path: str) -> bool:
    return re.search(rf"{re.escape(path)}(?![\w-])", text) is not None


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_in_the_readme(command: str) -> None:
    assert _mentions(_read(README), command), f"README does not show `{command}`"


@pytest.mark.parametrize(("command", "option"), OPTIONS, ids=[f"{c} {o}" for c, o in OPTIONS])
def test_command_option_is_in_the_readme(command: str, option: str) -> None:
    lines = _read(README).splitlines()
    if command != "referral":  # global options may be described anywhere
        lines = [line for line in lines if _mentions(line, command)]
    assert any(_mentions(line, option) for line in lines), (
        f"README shows no `{option}` on a line about `{command}`"
    )


# --- links -----------------------------------------------------------------------------


def _links() -> list[tuple[Path, str]]:
    found = []
    for page in MARKDOWN:
        for target in _LINK.findall(_prose(_read(page))):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
                continue
            found.append((page, target))
    return list(dict.fromkeys(found))


def _anchors() -> list[tuple[Path, str]]:
    found = []
    for page in MARKDOWN:
        for target in _LINK.findall(_prose(_read(page))):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or "#" not in target:
                continue
            found.append((page, target))
    return list(dict.fromkeys(found))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _headings(page: Path) -> set[str]:
    return {_slug(h) for h in _HEADING.findall(_FENCE.sub("", _read(page)))}


LINKS = _links()
ANCHORS = _anchors()


@pytest.mark.parametrize(("page", "target"), LINKS, ids=[f"{_name(p)}->{t}" for p, t in LINKS])
def test_relative_link_points_to_a_file(page: Path, target: str) -> None:
    path = (page.parent / target.split("#", 1)[0]).resolve()
    assert path.exists(), f"{_name(page)} links to {target}, which does not exist"


@pytest.mark.parametrize(("page", "target"), ANCHORS, ids=[f"{_name(p)}->{t}" for p, t in ANCHORS])
def test_link_anchor_points_to_a_heading(page: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")
    linked = (page.parent / file_part).resolve() if file_part else page
    if linked.suffix != ".md" or not linked.is_file():
        pytest.skip("not a markdown page (a missing file fails the link test)")
    assert anchor in _headings(linked), f"{_name(page)} links to #{anchor}: no such heading"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=_name)
def test_docs_page_is_linked_from_the_readme(page: Path) -> None:
    targets = {(README.parent / t.split("#", 1)[0]).resolve() for p, t in LINKS if p == README}
    assert page.resolve() in targets, f"README does not link to {_name(page)}"


# --- HTTP routes -----------------------------------------------------------------------


def _api_routes() -> list[str]:
    """The /api/ and /hooks/ paths of the app, as its OpenAPI document and route table list
    them. The app is built on a throw-away migrated SQLite file: making it reads the
    secret key from the database."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'routes.db'}"
        migrate.upgrade(url)
        try:
            app = create_app(url)
            paths = set(app.openapi().get("paths", {}))
            paths |= {route.path for route in app.routes if isinstance(route, APIRoute)}
        finally:
            engine_for(url).dispose()
    return sorted(path for path in paths if path.startswith(("/api/", "/hooks/")))


ROUTES = _api_routes()


@pytest.mark.parametrize("path", ROUTES)
def test_api_route_is_in_the_api_docs(path: str) -> None:
    assert path in _read(DOCS / "api.md"), f"docs/api.md does not document {path}"


# --- the canonical event ---------------------------------------------------------------


def _field_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        candidates = (field.annotation, *get_args(field.annotation))
        nested = [model for model in map(_model_of, candidates) if model]
        if not prefix or not nested:
            yield path
        for child in nested:
            yield from _field_paths(child, f"{path}.")


EVENT_FIELDS = list(dict.fromkeys(_field_paths(EventIn)))
TRANSACTION_WORDS = sorted({*TRANSACTIONS, *TRANSACTION_ALIASES})


def _in_code(page: str, term: str) -> bool:
    return f"`{term.lower()}`" in _read(DOCS / page).lower()


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_event_type_is_in_the_event_docs(event_type: str) -> None:
    assert _in_code("events.md", event_type), f"docs/events.md lacks `{event_type}`"


@pytest.mark.parametrize("field", EVENT_FIELDS)
def test_event_field_is_in_the_event_docs(field: str) -> None:
    assert _in_code("events.md", field), f"docs/events.md lacks the field `{field}`"


@pytest.mark.parametrize("code", list(ACORD_LINES))
def test_line_of_business_code_is_in_the_event_docs(code: str) -> None:
    assert _in_code("events.md", code), f"docs/events.md lacks the ACORD code `{code}`"


@pytest.mark.parametrize("alias", list(ALIASES))
def test_line_of_business_alias_is_in_the_event_docs(alias: str) -> None:
    assert _in_code("events.md", alias), f"docs/events.md lacks the alias `{alias}`"


@pytest.mark.parametrize("word", TRANSACTION_WORDS)
def test_transaction_word_is_in_the_event_docs(word: str) -> None:
    assert _in_code("events.md", word), f"docs/events.md lacks the transaction `{word}`"


# --- the shipped CSV mapping profiles --------------------------------------------------


def _profile_columns() -> list[tuple[str, str]]:
    return [(name, column) for name in shipped_profiles() for column in load_profile(name).columns]


PROFILE_COLUMNS = _profile_columns()


@pytest.mark.parametrize("profile", shipped_profiles())
def test_shipped_profile_is_in_the_import_docs(profile: str) -> None:
    assert _in_code("import.md", profile), f"docs/import.md does not describe `{profile}`"


@pytest.mark.parametrize(
    ("profile", "column"), PROFILE_COLUMNS, ids=[f"{p}:{c}" for p, c in PROFILE_COLUMNS]
)
def test_shipped_profile_column_is_in_the_import_docs(profile: str, column: str) -> None:
    assert _in_code("import.md", column), f"docs/import.md lacks {profile}'s column `{column}`"
