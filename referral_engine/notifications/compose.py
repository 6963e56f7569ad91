"""The words of each notification: plain values in, a subject, an email text and a text
message out. Times arrive already in the agency's zone; links already absolute.

Every notice names what needs the person and links to the place where they act on it:
the task (``/tasks#task-ID``), the ask (``/asks/ID``) or the review queue (``/review``).
A text message is one line: what, when it is due, the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

SUBJECT_LIMIT = 150
TEXT_LIMIT = 320  # two SMS segments: enough for a title and a link


@dataclass(frozen=True)
class Notice:
    """One notification: an email's subject and text, and the text message's body."""

    subject: str
    text: str
    sms: str


@dataclass(frozen=True)
class WaitingAsk:
    """One line of a review digest."""

    client: str
    trigger: str
    expires_local: datetime
    link: str


def when(local: datetime) -> str:
    """``Tue 1 Dec 15:30 CST``: a local instant as people read it."""
    return f"{local:%a} {local.day} {local:%b %H:%M %Z}".strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sms(line: str, link: str) -> str:
    return _clip(line, TEXT_LIMIT - len(link) - 1) + " " + link


def task_assigned(
    *, title: str, detail: str, hot: bool, due_local: datetime, link: str, agency: str
) -> Notice:
    """A task was given to the person (a hot reply, a referral to call, a send to check)."""
    label = "Hot task" if hot else "New task"
    lines = [title, "", f"Due {when(due_local)}.", ""]
    lines += [detail.strip(), ""] if detail.strip() else []
    lines += [f"Open it: {link}", "", f"— {agency}"]
    return Notice(
        subject=_clip(f"{label}: {title}", SUBJECT_LIMIT),
        text="\n".join(lines) + "\n",
        sms=_sms(f"{label}: {title}. Due {when(due_local)}.", link),
    )


def task_escalated(
    *, title: str, detail: str, due_local: datetime, assignee: str, link: str, agency: str
) -> Notice:
    """An open task passed its due time and now rests with the person as well."""
    lines = [
        f"Overdue: {title}",
        "",
        f"It was due {when(due_local)} and is still open (assigned to {assignee}).",
        "",
    ]
    lines += [detail.strip(), ""] if detail.strip() else []
    lines += [f"Open it: {link}", "", f"— {agency}"]
    return Notice(
        subject=_clip(f"Escalated to you: {title}", SUBJECT_LIMIT),
        text="\n".join(lines) + "\n",
        sms=_sms(f"Escalated to you (overdue since {when(due_local)}): {title}.", link),
    )


def review_digest(*, asks: Sequence[WaitingAsk], queue_link: str, agency: str) -> Notice:
    """The asks waiting for the person's review, each with its link."""
    count = len(asks)
    noun = "ask waits" if count == 1 else "asks wait"
    lines = [f"{count} {noun} for your review:", ""]
    for ask in asks:
        lines.append(
            f"- {ask.client} ({ask.trigger.replace('.', ' ')}), "
            f"expires {when(ask.expires_local)}: {ask.link}"
        )
    lines += ["", f"Your review queue: {queue_link}", "", f"— {agency}"]
    return Notice(
        subject=f"{count} {noun} for your review",
        text="\n".join(lines) + "\n",
        sms=_sms(f"{count} {noun} for your review.", queue_link),
    )


def expiry_warning(*, ask: WaitingAsk, agency: str) -> Notice:
    """An ask that nobody reviewed will expire soon, and its moment will be lost."""
    lines = [
        f"The ask for {ask.client} ({ask.trigger.replace('.', ' ')}) still waits for your review.",
        "",
        f"Unless it is approved, it expires {when(ask.expires_local)} and the moment is lost.",
        "",
        f"Review it: {ask.link}",
        "",
        f"— {agency}",
    ]
    return Notice(
        subject=_clip(
            f"Expires {when(ask.expires_local)}: the ask for {ask.client}", SUBJECT_LIMIT
        ),
        text="\n".join(lines) + "\n",
        sms=_sms(f"Unreviewed ask for {ask.client} expires {when(ask.expires_local)}.", ask.link),
    )
