"""What a draft must pass before a person's approval sends it, and how it reads.

Pure code: a channel, a subject and a body in; the problems (each with the field it
belongs to, in plain words) or a preview out. The same checks refuse an edit in the web
app's review form, the API's approve and the CLI.

What a caller may rely on, in this order:

1. **Not empty.** A body of only spaces is refused ("Write the message, or decline the
   ask"): clearing the box never approves the original draft.
2. **Nothing left unrendered.** ``{{ … }}``, ``{% … %}`` and ``{name}`` are template
   syntax a client must never see; each is named in the refusal.
3. **Length.** SMS: at most :data:`SMS_MAX_SEGMENTS` segments (GSM-7 160 characters for a
   single text, 153 per segment of a longer one; UCS-2 70 and 67, an emoji counting 2), the
   first-text footer included. Email: a subject of at most :data:`EMAIL_SUBJECT_MAX`
   characters on one line, a body of at most :data:`EMAIL_BODY_MAX`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from referral_engine.asks.drafts import SMS_MAX_SEGMENTS, is_gsm7, sms_segments

EMAIL_SUBJECT_MAX = 150
EMAIL_BODY_MAX = 5000
EMPTY = "The message is empty: write the message, or decline the ask."
_LEFTOVER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}", re.DOTALL)


@dataclass(frozen=True)
class DraftProblem:
    """One reason a draft cannot go out: ``field`` is ``subject`` or ``body``."""

    field: str
    message: str


@dataclass(frozen=True)
class Preview:
    """A draft as it will be sent, with what it costs."""

    text: str
    characters: int
    segments: int  # SMS only; 0 for an email
    encoding: str  # "GSM-7" or "UCS-2" for an SMS; "" for an email
    limit: str  # the limit in words, e.g. "at most 2 SMS segments"


def leftovers(text: str) -> list[str]:
    """Template syntax left in ``text``, each once, in order."""
    found: list[str] = []
    for match in _LEFTOVER.finditer(text):
        if match.group(0) not in found:
            found.append(match.group(0))
    return found


def check_draft(*, channel: str, subject: str | None, body: str) -> list[DraftProblem]:
    """Every problem with a draft as it would be sent (see the module); none: it may go."""
    problems: list[DraftProblem] = []
    if not body.strip():
        return [DraftProblem("body", EMPTY)]
    if channel == "email":
        subject = subject or ""
        if not subject.strip():
            problems.append(DraftProblem("subject", "An email needs a subject."))
        elif "\n" in subject or "\r" in subject:
            problems.append(DraftProblem("subject", "A subject is one line."))
        elif len(subject) > EMAIL_SUBJECT_MAX:
            problems.append(
                DraftProblem(
                    "subject",
                    f"The subject is {len(subject):,} characters: at most {EMAIL_SUBJECT_MAX}.",
                )
            )
        if subject and leftovers(subject):
            problems.append(DraftProblem("subject", _leftover_words(leftovers(subject))))
    if leftovers(body):
        problems.append(DraftProblem("body", _leftover_words(leftovers(body))))
    if channel == "email" and len(body) > EMAIL_BODY_MAX:
        problems.append(
            DraftProblem(
                "body", f"The message is {len(body):,} characters: at most {EMAIL_BODY_MAX:,}."
            )
        )
    if channel != "email":
        segments = sms_segments(body)
        if segments > SMS_MAX_SEGMENTS:
            problems.append(
                DraftProblem(
                    "body",
                    f"The text is {segments} SMS segments ({len(body):,} characters): "
                    f"at most {SMS_MAX_SEGMENTS}. Shorten it.",
                )
            )
    return problems


def preview(*, channel: str, body: str) -> Preview:
    """``body`` as it will be sent on ``channel``, its length and, for an SMS, segments."""
    body = body.replace("\r\n", "\n").strip()
    if channel == "email":
        return Preview(body, len(body), 0, "", f"at most {EMAIL_BODY_MAX:,} characters")
    return Preview(
        body,
        len(body),
        sms_segments(body),
        "GSM-7" if is_gsm7(body) else "UCS-2",
        f"at most {SMS_MAX_SEGMENTS} SMS segments",
    )


def _leftover_words(found: list[str]) -> str:
    shown = ", ".join(found[:5])
    return f"Replace the template text left in the message: {shown}."
