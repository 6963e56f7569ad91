"""Reading replies from a mailbox over IMAP (stdlib ``imaplib``).

Configured by an IMAP URL (see :meth:`ImapConfig.from_url`):

- ``imap://user:pass@host[:port]/Mailbox`` (port 143): plain text, password included,
  unless ``?starttls=1``, which upgrades the connection with STARTTLS before logging in
  and refuses to log in if the server does not offer it.
- ``imaps://user:pass@host[:port]/Mailbox`` (port 993): TLS from the first byte.
- The mailbox is the percent-decoded path (default ``INBOX``); ``?timeout=SECONDS``
  (default 30) bounds the connect and every read and write.
- User and password must be printable ASCII (LOGIN sends them as quoted strings).

What a caller may rely on:

- Reading is at-least-once. :func:`fetch_unseen` only looks: it opens the mailbox with
  ``EXAMINE`` and fetches with ``BODY.PEEK[]``, so it changes no flag. :func:`mark_seen`
  is the only call that does. Call it after the replies are stored; a crash in between
  means the same messages are read again, so the caller dedupes by Message-ID.
- :func:`fetch_unseen` returns the oldest unseen messages first (by UID), at most
  ``limit``; the rest stay unseen for the next call.
- One connection per call; it is logged out and closed whatever happens.
- Every failure is a :class:`MailboxError` whose ``kind`` and message say what failed
  (connection, TLS, login, mailbox, command). Messages never contain the password.
- TLS certificates are verified against the system's trust store unless an
  ``ssl_context`` is given.

A known limit: UIDs mean something only within one UIDVALIDITY of the mailbox. If the
mailbox is deleted and recreated between a fetch and :func:`mark_seen`, the UIDs may
name other messages.
"""

from __future__ import annotations

import base64
import imaplib
import math
import re
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"imap": 143, "imaps": 993}
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAILBOX = "INBOX"
_YES = frozenset({"1", "true", "yes", "on"})
_NO = frozenset({"0", "false", "no", "off"})
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")
_FETCH_START = re.compile(rb"\d+ \(")
_UID = re.compile(rb"\bUID (\d+)")
_BODY_LITERAL = re.compile(rb"(?:BODY\[\]|RFC822) \{\d+\}$")

ErrorKind = Literal["connection", "tls", "login", "mailbox", "command"]
_Response = tuple[str, list[Any]]


class MailboxError(Exception):
    """Reading the mailbox failed; ``kind`` says at which step. Never holds the password."""

    def __init__(self, message: str, *, kind: ErrorKind) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


@dataclass(frozen=True)
class ImapConfig:
    """Where the replies arrive. ``ssl`` is ``imaps://``; ``starttls`` applies to
    ``imap://`` only. Constructing one with invalid values raises ``ValueError``."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)
    ssl: bool
    mailbox: str = DEFAULT_MAILBOX
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        if not self.host or not _PRINTABLE_ASCII.fullmatch(self.host) or " " in self.host:
            raise ValueError("IMAP host must be a host name or address")
        if not 1 <= self.port <= 65535:
            raise ValueError("IMAP port must be a number from 1 to 65535")
        # LOGIN sends both as quoted ASCII strings; anything else cannot be sent safely.
        if not _PRINTABLE_ASCII.fullmatch(self.user):
            raise ValueError("IMAP user must be non-empty printable ASCII")
        if not _PRINTABLE_ASCII.fullmatch(self.password):
            raise ValueError("IMAP password must be non-empty printable ASCII")
        if not self.mailbox:
            raise ValueError("IMAP mailbox name must not be empty")
        if self.ssl and self.starttls:
            raise ValueError("starttls applies to imap:// only; imaps:// is always encrypted")
        if not 0 < self.timeout < math.inf:
            raise ValueError("IMAP timeout must be a positive number of seconds")

    @classmethod
    def from_url(cls, url: str) -> ImapConfig:
        """Parse ``imap://user:pass@host[:port]/Mailbox[?starttls=1][&timeout=S]`` or
        ``imaps://…``; user, password and mailbox are percent-decoded. A bad URL raises
        ``ValueError`` saying what is wrong (never echoing the password)."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            given = scheme or "none"
            raise ValueError(f"IMAP URL scheme must be imap:// or imaps://, not {given!r}")
        if not parts.hostname:
            raise ValueError("IMAP URL has no host (expected imap://user:pass@host/INBOX)")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("IMAP URL port must be a number from 1 to 65535") from None
        if port == 0:
            raise ValueError("IMAP URL port must be a number from 1 to 65535")
        user = unquote(parts.username or "")
        password = unquote(parts.password or "")
        if not user or not password:
            raise ValueError("IMAP URL needs a user and a password (imap://user:pass@host/INBOX)")
        if parts.fragment:
            raise ValueError("IMAP URL takes no #fragment")
        starttls, timeout = _query_options(parts.query, implicit_tls=scheme == "imaps")
        return cls(
            host=parts.hostname,
            port=port or DEFAULT_PORTS[scheme],
            user=user,
            password=password,
            ssl=scheme == "imaps",
            mailbox=unquote(parts.path.strip("/")) or DEFAULT_MAILBOX,
            starttls=starttls,
            timeout=timeout,
        )


def _query_options(query: str, *, implicit_tls: bool) -> tuple[bool, float]:
    try:
        options = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError("IMAP URL query is malformed") from None
    unknown = sorted(set(options) - {"starttls", "timeout"})
    if unknown:
        raise ValueError(f"IMAP URL has unknown option(s): {', '.join(unknown)}")
    starttls = False
    if "starttls" in options:
        value = options["starttls"][-1].lower()
        if value not in _YES | _NO:
            raise ValueError(f"IMAP URL starttls must be 1 or 0, not {value!r}")
        starttls = value in _YES
        if starttls and implicit_tls:
            raise ValueError("starttls applies to imap:// only; imaps:// is always encrypted")
    timeout = DEFAULT_TIMEOUT
    if "timeout" in options:
        try:
            timeout = float(options["timeout"][-1])
        except ValueError:
            raise ValueError("IMAP URL timeout must be a number of seconds") from None
        if not 0 < timeout < math.inf:
            raise ValueError("IMAP URL timeout must be a positive number of seconds")
    return starttls, timeout


def fetch_unseen(
    config: ImapConfig, *, limit: int = 200, ssl_context: ssl.SSLContext | None = None
) -> list[tuple[str, bytes]]:
    """The oldest ``limit`` unseen messages as ``(uid, raw RFC 822 bytes)``, oldest first.

    Changes no flag: the messages stay unseen until :func:`mark_seen`."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    with _session(config, ssl_context, readonly=True) as imap:
        search = _run(config, "UID SEARCH UNSEEN", lambda: imap.uid("SEARCH", "UNSEEN"))
        uids = sorted(_search_results(search))[:limit]
        if not uids:
            return []
        data = _run(
            config, "UID FETCH", lambda: imap.uid("FETCH", _sequence_set(uids), "(BODY.PEEK[])")
        )
    bodies = _bodies_by_uid(data)
    return [(str(uid), bodies[uid]) for uid in uids if uid in bodies]


def mark_seen(
    config: ImapConfig, uids: Sequence[str], *, ssl_context: ssl.SSLContext | None = None
) -> None:
    """Flag the messages ``\\Seen``. UIDs that no longer exist are ignored by IMAP; no
    UIDs means no connection. A UID that is not a number raises ``ValueError``."""
    numbers = sorted({_uid_number(uid) for uid in uids})
    if not numbers:
        return
    with _session(config, ssl_context, readonly=False) as imap:
        _run(
            config,
            "UID STORE",
            lambda: imap.uid("STORE", _sequence_set(numbers), "+FLAGS", r"(\Seen)"),
        )


@contextmanager
def _session(
    config: ImapConfig, ssl_context: ssl.SSLContext | None, *, readonly: bool
) -> Iterator[imaplib.IMAP4]:
    imap = _connect(config, ssl_context)
    try:
        if config.starttls:
            _starttls(config, imap, ssl_context)
        _login(config, imap)
        _select(config, imap, readonly=readonly)
        yield imap
    finally:
        _logout(imap)


def _connect(config: ImapConfig, ssl_context: ssl.SSLContext | None) -> imaplib.IMAP4:
    where = _where(config)
    try:
        if config.ssl:
            context = _verifying(ssl_context)
            return imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=context, timeout=config.timeout
            )
        return imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
    except ssl.SSLError as exc:
        raise _error(config, "tls", f"TLS with {where} failed: {_os_reason(exc)}") from exc
    except OSError as exc:
        raise _error(config, "connection", f"cannot connect to {where}: {_os_reason(exc)}") from exc
    except imaplib.IMAP4.error as exc:
        message = f"{where} did not answer like an IMAP server: {_server_text(exc)}"
        raise _error(config, "connection", message) from None


def _starttls(config: ImapConfig, imap: imaplib.IMAP4, ssl_context: ssl.SSLContext | None) -> None:
    where = _where(config)
    if "STARTTLS" not in imap.capabilities:
        message = f"{where} does not offer STARTTLS (?starttls=1); did not log in without it"
        raise _error(config, "tls", message)
    try:
        imap.starttls(_verifying(ssl_context))
    except ssl.SSLError as exc:
        raise _error(config, "tls", f"TLS with {where} failed: {_os_reason(exc)}") from exc
    except OSError as exc:
        raise _lost(config, "STARTTLS", exc) from exc
    except imaplib.IMAP4.error as exc:
        message = f"{where} refused STARTTLS: {_server_text(exc)}"
        raise _error(config, "tls", message) from None


def _verifying(ssl_context: ssl.SSLContext | None) -> ssl.SSLContext:
    # imaplib's own default context verifies nothing. Built only when TLS is used: loading
    # the trust store costs more than a whole plain session with a local server.
    return ssl_context or ssl.create_default_context()


def _login(config: ImapConfig, imap: imaplib.IMAP4) -> None:
    try:
        imap.login(_quoted(config.user), config.password)
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise _lost(config, "LOGIN", exc) from None
    except imaplib.IMAP4.error as exc:
        message = (
            f"{_where(config)} refused the login for user {config.user!r}: {_server_text(exc)}"
        )
        raise _error(config, "login", message) from None


def _select(config: ImapConfig, imap: imaplib.IMAP4, *, readonly: bool) -> None:
    where, mailbox = _where(config), config.mailbox
    try:
        typ, data = imap.select(_quoted(_mailbox_name(mailbox)), readonly=readonly)
    except imaplib.IMAP4.readonly:
        message = f"mailbox {mailbox!r} on {where} is read-only; cannot mark messages seen"
        raise _error(config, "mailbox", message) from None
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise _lost(config, "SELECT", exc) from None
    except imaplib.IMAP4.error as exc:
        message = f"{where} refused to open mailbox {mailbox!r}: {_server_text(exc)}"
        raise _error(config, "mailbox", message) from None
    if typ != "OK":
        message = f"mailbox {mailbox!r} is missing or cannot be opened on {where}: {_text(data)}"
        raise _error(config, "mailbox", message)


def _run(config: ImapConfig, step: str, command: Callable[[], _Response]) -> list[Any]:
    try:
        typ, data = command()
    except (OSError, imaplib.IMAP4.abort) as exc:
        raise _lost(config, step, exc) from None
    except imaplib.IMAP4.error as exc:
        message = f"{_where(config)} refused {step}: {_server_text(exc)}"
        raise _error(config, "command", message) from None
    if typ != "OK":
        raise _error(config, "command", f"{_where(config)} refused {step}: {_text(data)}")
    return data


def _logout(imap: imaplib.IMAP4) -> None:
    # Nothing depends on a polite goodbye; a dead connection is simply closed.
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error):
        with suppress(OSError):
            imap.shutdown()


def _search_results(data: list[Any]) -> set[int]:
    words = b" ".join(item for item in data if isinstance(item, bytes)).split()
    if not all(word.isdigit() for word in words):
        raise MailboxError("IMAP server sent a malformed SEARCH response", kind="command")
    return {int(word) for word in words}


def _bodies_by_uid(data: list[Any]) -> dict[int, bytes]:
    """Pair each FETCH response's body with its UID, wherever the server put the UID
    (before the literal or after it) and skipping unsolicited FLAGS updates."""
    records: list[list[Any]] = []
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if not isinstance(head, bytes):
            continue
        if _FETCH_START.match(head) or not records:
            records.append([])
        records[-1].append(item)
    bodies: dict[int, bytes] = {}
    for record in records:
        text = b" ".join(item[0] if isinstance(item, tuple) else item for item in record)
        uid = _UID.search(text)
        literals = [item for item in record if isinstance(item, tuple)]
        body = next((data for head, data in literals if _BODY_LITERAL.search(head)), None)
        if uid and isinstance(body, bytes):
            bodies[int(uid.group(1))] = body
    return bodies


def _sequence_set(uids: Sequence[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"1:3,5"``; ``uids`` sorted and unique."""
    ranges: list[list[int]] = []
    for uid in uids:
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(str(low) if low == high else f"{low}:{high}" for low, high in ranges)


def _uid_number(uid: str) -> int:
    if not (uid.isascii() and uid.isdigit()) or int(uid) == 0:
        raise ValueError(f"not an IMAP UID: {uid!r}")
    return int(uid)


def _mailbox_name(name: str) -> str:
    """IMAP's modified UTF-7 (RFC 3501 §5.1.3): printable ASCII as is, ``&`` as ``&-``,
    anything else as ``&<base64 of UTF-16BE, "," for "/">-``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).rstrip(b"=")
            out.append("&" + encoded.decode("ascii").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _where(config: ImapConfig) -> str:
    return f"IMAP server {config.host}:{config.port}"


def _lost(config: ImapConfig, step: str, exc: BaseException) -> MailboxError:
    reason = _os_reason(exc) if isinstance(exc, OSError) else _server_text(exc)
    message = f"connection to {_where(config)} lost during {step}: {reason}"
    return _error(config, "connection", message)


def _error(config: ImapConfig, kind: ErrorKind, message: str) -> MailboxError:
    # A server may echo what it was sent; the password must not reach a log through us.
    return MailboxError(message.replace(config.password, "***"), kind=kind)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        return str(getattr(exc, "verify_message", None) or exc.reason or exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__


def _server_text(exc: BaseException) -> str:
    return _text(list(exc.args))


def _text(data: list[Any]) -> str:
    parts = [
        item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
        for item in data
        if item is not None
    ]
    return " ".join(" ".join(parts).split()) or "no reason given"
