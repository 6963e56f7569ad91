"""A confirmation email as the extractors see it: sender, subject, date and plain text.

:func:`read_message` never raises on a malformed email: a message the ``email``
package can read at all gives a :class:`MailMessage` (empty parts where it had none).
HTML-only messages are turned into text with table cells separated by a tab and rows,
paragraphs and line breaks by newlines, so ``<td>Policy Number</td><td>NW-1</td>``
reads as the line ``Policy Number<TAB>NW-1``.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser


@dataclass(frozen=True)
class MailMessage:
    """What the layouts and the general extractor read from one email."""

    sender: str  # the From address, lower-cased ("" when absent)
    sender_name: str
    subject: str
    message_id: str  # without angle brackets; "" when absent
    sent_at: datetime | None  # the Date header, when it is a valid aware date
    text: str

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]


def read_message(raw: bytes) -> MailMessage:
    """Parse RFC 5322 bytes (an .eml file or an IMAP ``BODY[]``)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("From", "")))
    return MailMessage(
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=" ".join(str(message.get("Subject", "")).split()),
        message_id=str(message.get("Message-ID", "")).strip().strip("<>").strip(),
        sent_at=_date(message),
        text=body_text(message),
    )


def body_text(message: EmailMessage) -> str:
    """The text/plain part, else the HTML part as text, else ""."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(content)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\xa0", " ")


def _date(message: EmailMessage) -> datetime | None:
    value = message.get("Date")
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None


def email_key(message: MailMessage, raw: bytes) -> str:
    """The event id of an email: stable per message (its Message-ID, else its bytes),
    so importing or polling the same email again is a duplicate."""
    basis = message.message_id.lower().encode() if message.message_id else raw
    return f"email-{hashlib.sha256(basis).hexdigest()[:24]}"


_BLOCKS = {"p", "div", "br", "tr", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_CELLS = {"td", "th"}
_SKIPPED = {"script", "style", "head", "title"}


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(" ".join(data.split()) if data.strip() else " ")


_SPACES = re.compile(r"[ ]*\t[ \t]*")


def html_to_text(html: str) -> str:
    """Readable text from HTML (stdlib parser): one line per block, cells tab-separated."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    lines = []
    for line in "".join(maker.parts).split("\n"):
        line = _SPACES.sub("\t", line).strip(" \t")
        if line:
            lines.append(line)
    return "\n".join(lines)
