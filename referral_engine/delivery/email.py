"""Composing the ask email: the approved text, its footer and the headers mail needs.

Pure code: no database, clock or network. The caller passes ``now`` (for ``Date``) and
everything the message says (:class:`AskEmail`); :func:`compose` returns an
:class:`~email.message.EmailMessage` ready for any :class:`EmailSender`.

What a caller may rely on:

- No email without the agency's postal address: :func:`compose` raises
  :class:`NoPostalAddress` while it is blank (CAN-SPAM).
- ``Message-ID`` is :func:`message_id_for` the ask's token, so a retry of the same ask
  carries the same id and a receiving server can drop the duplicate.
- ``List-Unsubscribe`` names the https and the mailto address, with
  ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058); the header is folded
  only between its two URIs and never encoded, so both stay literal.
- ``Reply-To`` is the ask's reply address; ``X-Referral-Ask`` carries the token.
  ``Auto-Submitted`` is never set: these are personal messages.
- ``multipart/alternative``: the body exactly as approved, then a blank line and the
  footer (agency name, postal address, ``Unsubscribe: <url>``) in text/plain; the same
  in text/html with the body escaped, where only links that start with
  :attr:`AskEmail.link` become clickable. Both parts are quoted-printable UTF-8.
- A CR or LF in a header value, a malformed address or a naive ``now`` raises
  ``ValueError``; non-ASCII display names and subjects are encoded (RFC 2047).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime, getaddresses

ONE_CLICK = "List-Unsubscribe=One-Click"

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_URL = re.compile(r"https?://[^\s<>\"']+")
_URL_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


class NoPostalAddress(ValueError):  # noqa: N818 - the name says what is missing
    """The agency's postal address is unset; no email may go out (CAN-SPAM)."""

    def __init__(self) -> None:
        super().__init__("no email goes out while the agency's postal address is unset (CAN-SPAM)")


@dataclass(frozen=True)
class AskEmail:
    """One ask as an email. ``body`` is the plain text the producer approved.

    ``mail_from`` may be a bare address (then ``agency_name`` is shown as its name) or
    ``"Name <address>"``. ``unsubscribe_mailto`` may be an address or a ``mailto:`` URI.
    ``link`` is the ask's tracked link; only body links starting with it are clickable.
    """

    to: str
    mail_from: str
    reply_to: str
    subject: str
    body: str
    unsubscribe_url: str
    unsubscribe_mailto: str
    postal_address: str
    agency_name: str
    message_id_domain: str
    ask_token: str
    link: str | None = None


def message_id_for(ask_token: str, domain: str) -> str:
    """``<ask-{token}@{domain}>``: the same ask always gets the same Message-ID."""
    if not _TOKEN.fullmatch(ask_token):
        raise ValueError("ask token must be letters, digits, '-' or '_'")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a domain for a Message-ID: {domain!r}")
    return f"<ask-{ask_token}@{domain}>"


def compose(email: AskEmail, *, now: datetime) -> EmailMessage:
    """The ask as a ready-to-send message (see the module docstring for its shape)."""
    if not email.postal_address.strip():
        raise NoPostalAddress()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    unsubscribe_url = _uri(email.unsubscribe_url, "unsubscribe_url", schemes=("https", "http"))
    unsubscribe_mailto = _mailto(email.unsubscribe_mailto)

    message = EmailMessage(policy=POLICY)
    message["From"] = _address(email.mail_from, "mail_from", default_name=email.agency_name)
    message["To"] = _address(email.to, "to")
    message["Reply-To"] = _address(email.reply_to, "reply_to")
    message["Subject"] = _header_text(email.subject, "subject")
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id_for(email.ask_token, email.message_id_domain)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>, <{unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = ONE_CLICK
    message["X-Referral-Ask"] = email.ask_token

    body = _normalized_text(email.body)
    postal_address = _normalized_text(email.postal_address).strip()
    agency_name = _header_text(email.agency_name, "agency_name")
    message.set_content(
        plain_text(
            body,
            agency_name=agency_name,
            postal_address=postal_address,
            unsubscribe_url=unsubscribe_url,
        ),
        cte="quoted-printable",
    )
    message.add_alternative(
        html_text(
            body,
            agency_name=agency_name,
            postal_address=postal_address,
            unsubscribe_url=unsubscribe_url,
            link=email.link,
        ),
        subtype="html",
        cte="quoted-printable",
    )
    return message


def plain_text(body: str, *, agency_name: str, postal_address: str, unsubscribe_url: str) -> str:
    """The text/plain part: the body, a blank line, then the footer."""
    footer = "\n".join(
        line for line in (agency_name, postal_address, f"Unsubscribe: {unsubscribe_url}") if line
    )
    return f"{body.rstrip()}\n\n{footer}\n"


def html_text(
    body: str, *, agency_name: str, postal_address: str, unsubscribe_url: str, link: str | None
) -> str:
    """The text/html part: the body escaped, paragraphs from blank lines, line breaks as
    ``<br>``, only links starting with ``link`` clickable; then the footer."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(body.strip()) if p.strip()]
    rendered = "\n".join(
        "<p>" + "<br>\n".join(_html_line(line, link) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    footer_lines = [html.escape(agency_name)] if agency_name else []
    footer_lines += [html.escape(line) for line in postal_address.split("\n")]
    footer_lines.append(f'<a href="{html.escape(unsubscribe_url)}">Unsubscribe</a>')
    footer = "<br>\n".join(footer_lines)
    return (
        '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"></head>\n<body>\n'
        f"{rendered}\n"
        f'<p style="color:#666;font-size:12px">{footer}</p>\n'
        "</body>\n</html>\n"
    )


def _html_line(line: str, link: str | None) -> str:
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(line):
        url = match.group().rstrip(_URL_TRAILING_PUNCTUATION)
        end = match.start() + len(url)
        parts.append(html.escape(line[position : match.start()]))
        if _is_tracked(url, link):
            parts.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        else:
            parts.append(html.escape(url))
        position = end
    parts.append(html.escape(line[position:]))
    return "".join(parts)


def _is_tracked(url: str, link: str | None) -> bool:
    # A prefix at a path boundary: "https://a.example" must not admit "https://a.example.evil".
    if not link or not url.startswith(link):
        return False
    return len(url) == len(link) or link[-1] in "/?#=&" or url[len(link)] in "/?#"


def _normalized_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header_text(value: str, field: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{field} may not contain a line break")
    return value


def _address(value: str, field: str, *, default_name: str = "") -> Address:
    _header_text(value, field)
    parsed = getaddresses([value])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise ValueError(f"{field} must be exactly one email address")
    name, addr_spec = parsed[0]
    try:
        return Address(display_name=name or default_name, addr_spec=addr_spec)
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{field} is not a valid email address") from exc


def _uri(value: str, field: str, *, schemes: tuple[str, ...]) -> str:
    _header_text(value, field)
    scheme, _, rest = value.partition(":")
    if scheme.lower() not in schemes or not rest or re.search(r"[\s<>,]", value):
        raise ValueError(f"{field} must be a {' or '.join(schemes)} URL without spaces")
    return value


def _mailto(value: str) -> str:
    uri = value if value.lower().startswith("mailto:") else f"mailto:{value}"
    _uri(uri, "unsubscribe_mailto", schemes=("mailto",))
    if "@" not in uri:
        raise ValueError("unsubscribe_mailto must name an email address")
    return uri


class _URIListHeader(UnstructuredHeader, BaseHeader):
    """A header of ``<uri>`` items (RFC 2369). Folded only between items and never turned
    into encoded words: the stdlib folder would encode a long URL, breaking it."""

    def fold(self, *, policy: Policy) -> str:
        uris = re.findall(r"<[^<>]*>", str(self))
        if not uris:
            return super().fold(policy=policy)
        return f"{self.name}: " + ("," + policy.linesep + " ").join(uris) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", _URIListHeader)

#: ``email.policy.SMTP`` (CRLF, 78-column folding) with ``List-Unsubscribe`` kept literal.
POLICY = SMTP.clone(header_factory=_HEADERS)
