"""Ask templates: the key scheme, the default files, and the sandboxed template language.

Keys
----
A template key names the moment and the audience a template is written for::

    <trigger>/<segment>/<family>/<tenure>/<channel>
    policy.bound/commercial/commercial_auto/any/sms

``trigger`` (one of :data:`TRIGGERS`) and ``channel`` (one of :data:`CHANNELS`) are always
concrete. The three middle parts may be ``any``: ``segment`` is personal or commercial,
``family`` a line-of-business family (:data:`FAMILIES`), ``tenure`` new (under 3 years
with the agency), established (3 years or more) or long_tenured (long-standing: 10 years
or more). The shipped defaults change the words by tenure on every line: the line-specific
ones choose their thanks from ``tenure``.

Fallback order
--------------
:func:`template_key` lists the candidate keys for a moment, most specific first. A key
that names the line (family) beats one that names only the tenure, which beats one that
names only the segment — the line decides the concrete ask ("know a business owner with
vans on the road?"), the tenure only the thanks, the segment only the audience. For a
given trigger and channel the order is::

    1. segment/family/tenure      5. segment/any/tenure
    2. any/family/tenure          6. any/any/tenure
    3. segment/family/any         7. segment/any/any
    4. any/family/any             8. any/any/any

Custom templates (an agency's own) come before every default: the most specific custom
template that fits is used, and only when none fits the most specific default. A custom
``policy.bound/any/any/any/sms`` is therefore used for every bind by text, including
auto binds that have a more specific shipped default.

Files
-----
The defaults live in ``referral_engine/asks/templates/``, one template per file:
``templates/<trigger>/<segment>.<family>.<tenure>.<channel>.txt`` holds the key
``<trigger>/<segment>/<family>/<tenure>/<channel>``. An email template starts with a
``Subject: ...`` line, then a blank line, then the body; an SMS template is the body only
and is rendered as one paragraph (whitespace runs collapse to one space).

Language
--------
Jinja2 in a sandbox (:class:`jinja2.sandbox.SandboxedEnvironment`) with strict undefined
names and no autoescaping (the text is plain; the email HTML part escapes it later). A
template may use exactly the names in :data:`VARIABLES` (see :data:`VARIABLE_HELP`) and
Jinja's filters; there are no globals. :func:`validate_template` refuses unknown names,
syntax errors and attributes starting with ``_`` before a template is saved; anything
the sandbox refuses at render time (``first_name|attr("__class__")``) surfaces as
:class:`TemplateError` too, so callers handle one exception type.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from itertools import product
from typing import Any

from jinja2 import StrictUndefined, Template, meta, nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

TRIGGERS = (
    "policy.bound",
    "policy.renewed",
    "feedback.received",
    "project.completed",
    "support.resolved",
    "account.upgraded",
)
CHANNELS = ("email", "sms")
SEGMENTS = ("personal", "commercial")
TENURES = ("new", "established", "long_tenured")
FAMILIES = (
    "auto",
    "home",
    "recreational",
    "umbrella",
    "package",
    "commercial_auto",
    "business_package",
    "liability",
    "property",
    "workers_comp",
    "other",
)
ANY = "any"

VARIABLE_HELP: dict[str, str] = {
    "first_name": 'The client\'s first name; "" when the client is a business without a contact.',
    "greeting_name": 'Who to greet: the first name, else the company, else "there".',
    "company": 'The client\'s company name, or "".',
    "producer_name": 'The producer\'s full name, e.g. "Sam Ortiz".',
    "producer_first_name": 'The producer\'s first name, e.g. "Sam" (what an SMS signs with).',
    "agency_name": "The agency's name.",
    "line": 'The policy in words, e.g. "auto policy", "fleet policy", "workers\' comp coverage".',
    "line_code": 'The ACORD line-of-business code, e.g. "AUTOB", or "".',
    "family": 'The line-of-business family, e.g. "commercial_auto" (see FAMILIES).',
    "segment": '"personal" or "commercial".',
    "tenure": '"new" (under 3 years), "established" (3 to 10) or "long_tenured" (10+).',
    "years": "Whole years the client has been with the agency (0 when unknown).",
    "years_phrase": '"12 years", "1 year", or "all these years" when years is unknown.',
    "trigger": 'The moment, e.g. "policy.bound" (see TRIGGERS).',
    "channel": '"email" or "sms".',
    "link": 'The "introduce someone" link, or "" when there is none.',
    "short": "True on the second try when the SMS did not fit in two segments: drop extras.",
}
VARIABLES: frozenset[str] = frozenset(VARIABLE_HELP)

SUBJECT_PREFIX = "Subject:"
_KEY_PART = re.compile(r"^[a-z_.]+$")
_MAX_REPEAT = 2_000  # longest string or list a template may build with "*"


class TemplateError(ValueError):
    """A template that cannot be used; the message names the problem for the author."""


def template_key(trigger: str, segment: str, family: str, tenure: str, channel: str) -> list[str]:
    """Candidate keys for a moment, most specific first (see the module docstring)."""
    candidates: list[str] = []
    for fam, ten, seg in product((family, ANY), (tenure, ANY), (segment, ANY)):
        key = "/".join((trigger, seg, fam, ten, channel))
        if key not in candidates:
            candidates.append(key)
    return candidates


def validate_key(key: str) -> None:
    """Raise :class:`TemplateError` unless ``key`` is a well-formed template key."""
    parts = key.split("/")
    if len(parts) != 5:
        raise TemplateError(f"template key {key!r} must be trigger/segment/family/tenure/channel")
    trigger, segment, family, tenure, channel = parts
    allowed = (
        (trigger, TRIGGERS, "trigger"),
        (segment, (*SEGMENTS, ANY), "segment"),
        (family, (*FAMILIES, ANY), "family"),
        (tenure, (*TENURES, ANY), "tenure"),
        (channel, CHANNELS, "channel"),
    )
    for value, choices, name in allowed:
        if value not in choices:
            raise TemplateError(f"template key {key!r}: unknown {name} {value!r}")


def default_templates() -> dict[str, str]:
    """Every default template, key → source, read from the package's template files."""
    return dict(_load_defaults())


@cache
def _load_defaults() -> tuple[tuple[str, str], ...]:
    root = resources.files("referral_engine.asks").joinpath("templates")
    return tuple(sorted(_walk(root)))


def _walk(root: Traversable) -> Iterator[tuple[str, str]]:
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for file in folder.iterdir():
            if file.is_file() and file.name.endswith(".txt"):
                key = "/".join((folder.name, *file.name.removesuffix(".txt").split(".")))
                validate_key(key)
                yield key, file.read_text(encoding="utf-8")


class _Sandbox(SandboxedEnvironment):
    """The sandbox, also refusing arithmetic that would build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > 64:
                raise SecurityError("exponent too large for a template")
            return operator.pow(left, right)
        if isinstance(left, str | list) or isinstance(right, str | list):
            count = right if isinstance(left, str | list) else left
            if isinstance(count, int) and count > _MAX_REPEAT:
                raise SecurityError("repetition too large for a template")
        return operator.mul(left, right)


def _environment() -> SandboxedEnvironment:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals.clear()  # a template sees VARIABLES and nothing else
    return env


ENVIRONMENT = _environment()


def validate_template(source: str, *, channel: str) -> None:
    """Raise :class:`TemplateError` unless ``source`` is a usable template for ``channel``.

    Refused: a syntax error (the message gives the line), a name not in
    :data:`VARIABLES` (the message lists them), an attribute or key starting with
    ``_``, an email template whose first line is not ``Subject: ...`` or that has no
    body, an SMS template with a Subject line.
    """
    if channel not in CHANNELS:
        raise TemplateError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    try:
        tree = ENVIRONMENT.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error on line {exc.lineno}: {exc.message}") from exc
    unknown = meta.find_undeclared_variables(tree) - VARIABLES
    if unknown:
        raise TemplateError(f"unknown variable(s): {', '.join(sorted(unknown))}")
    _refuse_private_access(tree)
    first_line, _, rest = source.lstrip("\n").partition("\n")
    if channel == "email":
        if (
            not first_line.startswith(SUBJECT_PREFIX)
            or not first_line[len(SUBJECT_PREFIX) :].strip()
        ):
            raise TemplateError('an email template must start with a "Subject: ..." line')
        if not rest.strip():
            raise TemplateError("an email template needs a body after the Subject line")
    elif first_line.startswith(SUBJECT_PREFIX):
        raise TemplateError("an SMS template has no Subject line")
    elif not source.strip():
        raise TemplateError("an SMS template needs a body")


def _refuse_private_access(tree: nodes.Template) -> None:
    names: list[object] = [node.attr for node in tree.find_all(nodes.Getattr)]
    for item in tree.find_all(nodes.Getitem):
        if isinstance(item.arg, nodes.Const):
            names.append(item.arg.value)
    private = sorted({name for name in names if isinstance(name, str) and name.startswith("_")})
    if private:
        raise TemplateError(f"access to {', '.join(private)} is not allowed in a template")


@lru_cache(maxsize=512)
def _validate_once(source: str, channel: str) -> None:
    # Only successes are cached (lru_cache does not keep exceptions): parsing and
    # walking the tree costs more than rendering.
    validate_template(source, channel=channel)


@lru_cache(maxsize=512)
def _compile(source: str) -> Template:
    return ENVIRONMENT.from_string(source)


def render_text(
    source: str, variables: Mapping[str, object], *, channel: str
) -> tuple[str | None, str]:
    """Render a validated template: (subject, body) for email, (None, body) for SMS.

    Raises :class:`TemplateError` for anything that goes wrong while rendering,
    including what the sandbox refuses (the :class:`~jinja2.sandbox.SecurityError` is
    the cause).
    """
    _validate_once(source, channel)
    try:
        text = _compile(source).render(dict(variables))
    except Exception as exc:  # any failure of author-written code is the author's to fix
        raise TemplateError(f"the template failed to render: {exc}") from exc
    if channel == "sms":
        return None, " ".join(text.split())
    return _split_email(text)


def _split_email(text: str) -> tuple[str, str]:
    first_line, _, rest = text.lstrip("\n").partition("\n")
    if not first_line.startswith(SUBJECT_PREFIX):
        raise TemplateError('the rendered email does not start with a "Subject: ..." line')
    subject = " ".join(first_line[len(SUBJECT_PREFIX) :].split())
    lines = [line.rstrip() for line in rest.strip("\n").splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not subject:
        raise TemplateError("the rendered email has an empty subject")
    if not body:
        raise TemplateError("the rendered email has an empty body")
    return subject, body
