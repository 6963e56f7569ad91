"""What the agency says to a referrer: thanks, progress updates, a private recognition.

Templates live in ``referral_engine/referrals/templates/``, one per file, named
``<name>.<channel>.txt`` (``thanks.sms.txt``, ``update.quoting.email.txt``,
``recognition.email.txt``); an email template starts with a ``Subject: ...`` line. They
run in the asks area's sandboxed Jinja2 environment (strict undefined names, no
globals, no ``_`` attributes) but see only :data:`VARIABLES`: the referrer's and the
prospect's first names, the producer and the agency — never the prospect's line of
business, premium or policy number, which are the prospect's business, not the
referrer's. Pure: no database, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jinja2 import meta
from jinja2.exceptions import TemplateSyntaxError

from referral_engine.asks.drafts import first_text_footer
from referral_engine.asks.templates import ENVIRONMENT, SUBJECT_PREFIX, TemplateError

VARIABLE_HELP: dict[str, str] = {
    "first_name": 'The referrer\'s first name, or "" (a business).',
    "prospect_first_name": 'The prospect\'s first name, else their company, else "your friend".',
    "producer_name": "The producer's full name (else the agency's name).",
    "producer_first_name": "The producer's first name (else the agency's name).",
    "agency_name": "The agency's name.",
    "quarter": 'The quarter being recognized, e.g. "2026-Q4" (recognition only).',
    "introductions": "Referrals received from the referrer in the quarter (recognition only).",
    "converted": "Of those, how many became clients and agreed the referrer may hear it"
    " (recognition only).",
}
VARIABLES: frozenset[str] = frozenset(VARIABLE_HELP)


@dataclass(frozen=True)
class Words:
    """The names a referrer message may use."""

    first_name: str
    prospect_first_name: str
    producer_name: str
    producer_first_name: str
    agency_name: str
    quarter: str = ""
    introductions: int = 0
    converted: int = 0

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in VARIABLES}


@dataclass(frozen=True)
class Text:
    subject: str | None
    body: str


@cache
def source(name: str, channel: str) -> str:
    """The shipped template ``<name>.<channel>.txt``; :class:`TemplateError` if none."""
    path = resources.files("referral_engine.referrals") / "templates" / f"{name}.{channel}.txt"
    if not path.is_file():
        raise TemplateError(f"no referrer template {name}.{channel}")
    text = path.read_text(encoding="utf-8")
    validate(text, channel=channel)
    return text


def validate(text: str, *, channel: str) -> None:
    """Refuse a syntax error, a name outside :data:`VARIABLES`, an email without a
    ``Subject:`` line."""
    try:
        tree = ENVIRONMENT.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"syntax error on line {exc.lineno}: {exc.message}") from exc
    unknown = meta.find_undeclared_variables(tree) - VARIABLES
    if unknown:
        raise TemplateError(f"unknown variable(s): {', '.join(sorted(unknown))}")
    if channel == "email" and not text.lstrip("\n").startswith(SUBJECT_PREFIX):
        raise TemplateError('an email template must start with a "Subject: ..." line')


def render(name: str, words: Words, *, channel: str) -> Text:
    """The message ``name`` for ``channel``; an SMS is one paragraph ending with the
    opt-out line."""
    return render_source(source(name, channel), words, channel=channel)


def render_source(text: str, words: Words, *, channel: str) -> Text:
    validate(text, channel=channel)
    variables: Mapping[str, object] = words.as_dict()
    try:
        out = ENVIRONMENT.from_string(text).render(dict(variables))
    except Exception as exc:  # the sandbox's refusals included: one error type for callers
        raise TemplateError(f"the template failed to render: {exc}") from exc
    if channel == "sms":
        line = " ".join(out.split())
        return Text(None, f"{line}\n{first_text_footer(words.agency_name, line)}")
    first, _, rest = out.lstrip("\n").partition("\n")
    subject = " ".join(first[len(SUBJECT_PREFIX) :].split())
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in rest.splitlines()))
    return Text(subject, body.strip())


def tidy(text: str | None) -> str:
    """A name fit for a message: one line, no runs of spaces."""
    return " ".join((text or "").split())
