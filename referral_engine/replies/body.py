"""The part of a reply the client wrote, and whether a machine wrote it instead.

Pure: text and headers in, text or a yes/no out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mailparser_reply import EmailReplyParser

from referral_engine.replies.text import rx

# A library "signature" whose first line runs on ("Thanks, my neighbor Maria ...") is
# really the message; only a short valediction line starts a signature.
_SHORT_SIGNOFF = re.compile(r"^\W*(?:\w+\W*){1,4}$")


def strip_quoted(text: str) -> str:
    """The newest reply in an email body, without quoted history or signature.

    SMS text (no quote headers, no signature) comes back unchanged but for trimming.
    """
    reply = EmailReplyParser(languages=["en"]).read(text).replies[0]
    content: str = reply.content
    signature: str = reply.signatures
    first_line = signature.splitlines()[0] if signature else ""
    if signature and _SHORT_SIGNOFF.match(first_line) and content.endswith(signature):
        content = content[: -len(signature)]
    return content.strip() or text.strip()


_AUTO_SUBJECT = rx(
    r"\b(?:out of (?:the )?office|ooo|automatic reply|auto[- ]?reply|autoreply|"
    r"auto[- ]?response|on vacation|on leave|away until)\b|^away\b"
)
_AUTO_BODY = rx(
    r"\b(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"this is an automated|automated (?:response|message|reply)|away until|"
    r"auto-?generated|automatically (?:generated|sent)|(?:sent|generated) automatically|"
    r"no longer (?:in use|monitored)|"
    r"on vacation until|upon my return|(?:limited|no) access to (?:my )?e-?mail|"
    r"do not disturb|mailbox is not monitored|(?:message|e-?mail) has been received|"
    r"(?:limited|no|intermittent) e-?mail access|away from (?:the|my) office|"
    r"(?:number|line) (?:does ?n[o']?t|does not|can ?n[o']?t|cannot) (?:receive|accept) texts|"
    r"we (?:have )?received your (?:message|e-?mail|text)|thank you for contacting)\b"
)
_AWAY = rx(r"\b(?:on vacation|on (?:\w+ )?leave|out until|currently away|away from my desk)\b")
_AWAY_FORMALITY = rx(
    r"\burgent\b|\bin my absence\b|\bwill (?:respond|reply)\b|\bwill (?:return|be back)"
    r"(?: to the office)?(?: on)? (?:\d|mon|tue|wed|thu|fri|jan|feb|mar|apr|may|jun|jul|aug|"
    r"sep|oct|nov|dec|next)"
)
_AUTO_PRECEDENCE = {"auto_reply", "bulk", "junk"}
_FALSE_VALUES = {"no", "false", "0", ""}


def is_auto_reply(headers: Mapping[str, str], text: str) -> bool:
    """True for a machine-written reply (RFC 3834 headers or out-of-office wording).

    ``X-Auto-Response-Suppress`` only asks *others* not to auto-reply; alone it says
    nothing about who wrote this message, so it does not count.
    """
    fields = {name.strip().lower(): value.strip().lower() for name, value in headers.items()}
    submitted = fields.get("auto-submitted")
    if submitted is not None and submitted.split(";")[0].strip() not in _FALSE_VALUES:
        return True
    for name in ("x-autoreply", "x-autorespond"):
        if name in fields and fields[name] not in _FALSE_VALUES:
            return True
    if fields.get("precedence") in _AUTO_PRECEDENCE:
        return True
    if _AUTO_SUBJECT.search(fields.get("subject", "")):
        return True
    return bool(_AUTO_BODY.search(text) or (_AWAY.search(text) and _AWAY_FORMALITY.search(text)))
