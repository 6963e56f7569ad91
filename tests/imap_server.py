"""A small but real IMAP4rev1 server for tests (RFC 3501, the part ``imaplib`` speaks).

``ImapServer(user, password)`` listens on 127.0.0.1 and a free port in a background
thread; use it as a context manager or through the ``imap_server`` fixture. It checks
one user and password and holds mailboxes in memory (``INBOX`` to start with).

- Commands: CAPABILITY, NOOP, LOGOUT, STARTTLS (when started with ``starttls=True``),
  LOGIN, SELECT, EXAMINE, CLOSE, and SEARCH / FETCH / STORE, plain and under UID.
  Anything else is ``BAD``. Sequence sets such as ``1,3:5`` and ``4:*`` work.
- SEARCH understands ALL, SEEN and UNSEEN. FETCH returns UID, FLAGS, RFC822.SIZE,
  ``BODY[]``/``RFC822`` (which set ``\\Seen`` in a read-write mailbox) and ``BODY.PEEK[]``
  (which does not), bodies as ``{n}`` literals. STORE takes FLAGS/+FLAGS/-FLAGS(.SILENT).
- ``ssl_context`` serves TLS from the first byte (``imaps://``), or through STARTTLS
  with ``starttls=True``. :func:`self_signed_tls` makes a certificate for 127.0.0.1.
- ``commands`` lists every command line received, tag removed and LOGIN arguments
  hidden, so a test can check what the client asked for.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")
_MAILBOX_WORD = re.compile(r"&([^-]*)-")


@dataclass
class Message:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    uidvalidity: int
    messages: list[Message] = field(default_factory=list)
    uidnext: int = 1


class ProtocolError(Exception):
    """A command the server answers with ``BAD``."""


class ImapServer:
    """An IMAP4rev1 server on 127.0.0.1 for one user; see the module docstring."""

    def __init__(
        self,
        user: str,
        password: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        starttls: bool = False,
        mailboxes: Iterable[str] = ("INBOX",),
    ) -> None:
        if starttls and ssl_context is None:
            raise ValueError("starttls=True needs an ssl_context")
        self.user = user
        self.password = password
        self.ssl_context = ssl_context
        self.starttls = starttls
        self.commands: list[str] = []
        self.lock = threading.Lock()
        self.mailboxes: dict[str, Mailbox] = {}
        for name in mailboxes:
            self.create_mailbox(name)
        self._server: _TcpServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> ImapServer:
        self._server = _TcpServer(("127.0.0.1", 0), _Session, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> ImapServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the IMAP server is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``imap://`` (``imaps://`` with implicit TLS) with the user, password and INBOX."""
        scheme = "imaps" if self.ssl_context and not self.starttls else "imap"
        query = "?starttls=1" if self.starttls else ""
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"{scheme}://{credentials}@127.0.0.1:{self.port}/INBOX{query}"

    # -- the store ---------------------------------------------------------------------

    def create_mailbox(self, name: str) -> None:
        with self.lock:
            self.mailboxes.setdefault(
                _canonical(name), Mailbox(uidvalidity=len(self.mailboxes) + 1)
            )

    def deliver(self, raw: bytes, *, mailbox: str = "INBOX", seen: bool = False) -> str:
        """Append a message; returns its UID."""
        with self.lock:
            box = self.mailboxes[_canonical(mailbox)]
            message = Message(uid=box.uidnext, raw=raw, flags={"\\Seen"} if seen else set())
            box.messages.append(message)
            box.uidnext += 1
            return str(message.uid)

    def seen(self, uid: str, *, mailbox: str = "INBOX") -> bool:
        with self.lock:
            box = self.mailboxes[_canonical(mailbox)]
            return any("\\Seen" in m.flags for m in box.messages if m.uid == int(uid))

    @property
    def messages(self) -> list[Message]:
        """A copy of INBOX's messages, oldest first."""
        with self.lock:
            inbox = self.mailboxes["INBOX"]
            return [Message(m.uid, m.raw, set(m.flags)) for m in inbox.messages]


@dataclass(frozen=True)
class SelfSignedTls:
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext
    certificate: Path


def self_signed_tls(directory: Path) -> SelfSignedTls:
    """A certificate for 127.0.0.1 (made with the ``openssl`` command), a server context
    serving it and a client context trusting only it. Skips the test without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    return SelfSignedTls(server_context, client_context, cert)


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """A plain-text server for ``replies@agency.example`` (a password needing escapes)."""
    with ImapServer("replies@agency.example", 'pa ss"w\\ord:/@%') as server:
        yield server


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedTls:
    return self_signed_tls(tmp_path_factory.mktemp("imap-tls"))


# -- the protocol ------------------------------------------------------------------------


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Session], imap: ImapServer):
        self.imap = imap
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up or failing the TLS handshake are part of the tests.
        pass


class _Session(socketserver.BaseRequestHandler):
    server: _TcpServer
    connection: socket.socket
    stream: io.BufferedIOBase

    def setup(self) -> None:
        self.imap = self.server.imap
        self.connection = self.request
        self.connection.settimeout(10)
        self.state = "not-authenticated"
        self.selected: Mailbox | None = None
        self.readonly = False
        self.tls = False

    def handle(self) -> None:
        if self.imap.ssl_context is not None and not self.imap.starttls:
            self.connection = self.imap.ssl_context.wrap_socket(self.connection, server_side=True)
            self.tls = True
        self.stream = self.connection.makefile("rwb")
        self.send(b"* OK IMAP4rev1 test server ready")
        self.stream.flush()
        while self.state != "logout":
            line = self.stream.readline(65536)
            if not line:
                return
            self.command(line.rstrip(b"\r\n").decode("utf-8", "replace"))
            self.stream.flush()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.close()

    def send(self, *parts: bytes) -> None:
        # Flushed once per command: many small writes meet delayed ACKs and crawl.
        self.stream.write(b"".join(parts) + b"\r\n")

    def command(self, line: str) -> None:
        tag, _, rest = line.partition(" ")
        name, _, arguments = rest.partition(" ")
        name = name.upper()
        if not tag or not name:
            self.send(b"* BAD missing tag or command")
            return
        with self.imap.lock:
            self.imap.commands.append("LOGIN" if name == "LOGIN" else rest)
        try:
            if name == "UID":
                subname, _, arguments = arguments.partition(" ")
                handler = self.UID_COMMANDS.get(subname.upper())
                if handler is None or self.selected is None:
                    raise ProtocolError("UID needs SEARCH, FETCH or STORE in the selected state")
                with self.imap.lock:
                    handler(self, tag, parse_arguments(arguments), by_uid=True)
                return
            handler = self.COMMANDS.get(name)
            if handler is None:
                raise ProtocolError(f"unknown command {name}")
            handler(self, tag, name, parse_arguments(arguments))
        except ProtocolError as exc:
            self.send(tag.encode(), b" BAD ", str(exc).encode())

    # -- any state ---------------------------------------------------------------------

    def capability(self, tag: str, name: str, args: list[Any]) -> None:
        words = ["IMAP4rev1"]
        if self.imap.starttls and not self.tls:
            words.append("STARTTLS")
        self.send(b"* CAPABILITY ", " ".join(words).encode())
        self.ok(tag, "CAPABILITY completed")

    def noop(self, tag: str, name: str, args: list[Any]) -> None:
        self.ok(tag, "NOOP completed")

    def logout(self, tag: str, name: str, args: list[Any]) -> None:
        self.send(b"* BYE logging out")
        self.ok(tag, "LOGOUT completed")
        self.state = "logout"

    def start_tls(self, tag: str, name: str, args: list[Any]) -> None:
        context = self.imap.ssl_context
        if not self.imap.starttls or self.tls or context is None:
            raise ProtocolError("STARTTLS is not available")
        self.ok(tag, "begin TLS negotiation now")
        self.stream.flush()
        self.connection = context.wrap_socket(self.connection, server_side=True)
        self.stream = self.connection.makefile("rwb")
        self.tls = True

    # -- not authenticated -------------------------------------------------------------

    def login(self, tag: str, name: str, args: list[Any]) -> None:
        if self.state != "not-authenticated":
            raise ProtocolError("already logged in")
        if len(args) != 2 or not all(isinstance(arg, str) for arg in args):
            raise ProtocolError("LOGIN takes a user and a password")
        if args != [self.imap.user, self.imap.password]:
            self.send(tag.encode(), b" NO [AUTHENTICATIONFAILED] invalid credentials")
            return
        self.state = "authenticated"
        self.ok(tag, "LOGIN completed")

    # -- authenticated -----------------------------------------------------------------

    def select(self, tag: str, name: str, args: list[Any]) -> None:
        if self.state == "not-authenticated":
            raise ProtocolError(f"{name} needs a login first")
        if len(args) != 1 or not isinstance(args[0], str):
            raise ProtocolError(f"{name} takes a mailbox name")
        self.selected, self.state = None, "authenticated"
        with self.imap.lock:
            box = self.imap.mailboxes.get(_canonical(_decode_mailbox(args[0])))
            if box is None:
                self.send(tag.encode(), b" NO [NONEXISTENT] no such mailbox")
                return
            self.selected, self.state, self.readonly = box, "selected", name == "EXAMINE"
            unseen = [i for i, m in enumerate(box.messages, 1) if "\\Seen" not in m.flags]
            self.send(b"* FLAGS (", " ".join(SYSTEM_FLAGS).encode(), b")")
            self.send(f"* {len(box.messages)} EXISTS".encode())
            self.send(b"* 0 RECENT")
            if unseen:
                self.send(f"* OK [UNSEEN {unseen[0]}] first unseen".encode())
            self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid".encode())
            self.send(f"* OK [UIDNEXT {box.uidnext}] predicted next UID".encode())
            permanent = "" if self.readonly else " ".join(SYSTEM_FLAGS)
            self.send(f"* OK [PERMANENTFLAGS ({permanent})] flags".encode())
        mode = "READ-ONLY" if self.readonly else "READ-WRITE"
        self.ok(tag, f"[{mode}] {name} completed")

    def close(self, tag: str, name: str, args: list[Any]) -> None:
        self.require_selected()
        self.selected, self.state = None, "authenticated"
        self.ok(tag, "CLOSE completed")

    # -- selected ----------------------------------------------------------------------

    def by_sequence(self, tag: str, name: str, args: list[Any]) -> None:
        self.require_selected()
        with self.imap.lock:
            self.SEQUENCE_COMMANDS[name](self, tag, args, by_uid=False)

    def search(self, tag: str, args: list[Any], *, by_uid: bool) -> None:
        box = self.require_selected()
        if len(args) != 1 or not isinstance(args[0], str):
            raise ProtocolError("SEARCH takes one of ALL, SEEN, UNSEEN")
        wanted = {"ALL": None, "SEEN": True, "UNSEEN": False}
        criterion = args[0].upper()
        if criterion not in wanted:
            raise ProtocolError(f"SEARCH {criterion} is not supported")
        hits = [
            m.uid if by_uid else number
            for number, m in enumerate(box.messages, 1)
            if wanted[criterion] is None or ("\\Seen" in m.flags) == wanted[criterion]
        ]
        self.send(b"* SEARCH", b"".join(f" {hit}".encode() for hit in hits))
        self.ok(tag, "SEARCH completed")

    def fetch(self, tag: str, args: list[Any], *, by_uid: bool) -> None:
        box = self.require_selected()
        if len(args) != 2 or not isinstance(args[0], str):
            raise ProtocolError("FETCH takes a sequence set and data items")
        items = [args[1]] if isinstance(args[1], str) else args[1]
        items = [item.upper() if isinstance(item, str) else item for item in items]
        known = {"UID", "FLAGS", "RFC822.SIZE", "RFC822", "BODY[]", "BODY.PEEK[]"}
        if not items or not all(isinstance(item, str) and item in known for item in items):
            raise ProtocolError(f"FETCH supports only {', '.join(sorted(known))}")
        if by_uid and "UID" not in items:
            # RFC 3501 allows any order; UID after the body keeps clients honest.
            items.append("UID")
        for number, message in self.resolve(box, args[0], by_uid=by_uid):
            self.send_fetch(number, message, items)
        self.ok(tag, "FETCH completed")

    def send_fetch(self, number: int, message: Message, items: list[str]) -> None:
        marks_seen = bool({"RFC822", "BODY[]"} & set(items)) and not self.readonly
        if marks_seen and "\\Seen" not in message.flags:
            message.flags.add("\\Seen")
            if "FLAGS" not in items:
                items = [*items, "FLAGS"]
        parts: list[bytes] = []
        for item in items:
            if item == "UID":
                parts.append(f"UID {message.uid}".encode())
            elif item == "FLAGS":
                parts.append(f"FLAGS ({' '.join(sorted(message.flags))})".encode())
            elif item == "RFC822.SIZE":
                parts.append(f"RFC822.SIZE {len(message.raw)}".encode())
            else:
                label = "RFC822" if item == "RFC822" else "BODY[]"
                parts.append(f"{label} {{{len(message.raw)}}}\r\n".encode() + message.raw)
        self.send(f"* {number} FETCH (".encode(), b" ".join(parts), b")")

    def store(self, tag: str, args: list[Any], *, by_uid: bool) -> None:
        box = self.require_selected()
        if len(args) != 3 or not isinstance(args[0], str) or not isinstance(args[1], str):
            raise ProtocolError("STORE takes a sequence set, an action and flags")
        action = args[1].upper()
        flags = [args[2]] if isinstance(args[2], str) else args[2]
        if action.removesuffix(".SILENT") not in ("FLAGS", "+FLAGS", "-FLAGS"):
            raise ProtocolError(f"STORE {action} is not supported")
        if not all(isinstance(flag, str) and flag in SYSTEM_FLAGS for flag in flags):
            raise ProtocolError("STORE supports only system flags")
        if self.readonly:
            self.send(tag.encode(), b" NO mailbox is read-only")
            return
        for number, message in self.resolve(box, args[0], by_uid=by_uid):
            if action.startswith("+"):
                message.flags |= set(flags)
            elif action.startswith("-"):
                message.flags -= set(flags)
            else:
                message.flags = set(flags)
            if not action.endswith(".SILENT"):
                self.send_fetch(number, message, ["UID", "FLAGS"] if by_uid else ["FLAGS"])
        self.ok(tag, "STORE completed")

    # -- helpers -----------------------------------------------------------------------

    def ok(self, tag: str, text: str) -> None:
        self.send(tag.encode(), b" OK ", text.encode())

    def require_selected(self) -> Mailbox:
        if self.selected is None:
            raise ProtocolError("no mailbox selected")
        return self.selected

    def resolve(
        self, box: Mailbox, sequence_set: str, *, by_uid: bool
    ) -> list[tuple[int, Message]]:
        numbered = list(enumerate(box.messages, 1))
        keys = [m.uid if by_uid else n for n, m in numbered]
        wanted = parse_sequence_set(sequence_set, largest=max(keys, default=0))
        if not by_uid and any(key > len(numbered) or key < 1 for key in _bounds(wanted)):
            raise ProtocolError("message sequence number out of range")
        return [(n, m) for (n, m), key in zip(numbered, keys, strict=True) if _within(key, wanted)]

    COMMANDS: dict[str, Any] = {
        "CAPABILITY": capability,
        "NOOP": noop,
        "LOGOUT": logout,
        "STARTTLS": start_tls,
        "LOGIN": login,
        "SELECT": select,
        "EXAMINE": select,
        "CLOSE": close,
        "SEARCH": by_sequence,
        "FETCH": by_sequence,
        "STORE": by_sequence,
    }
    SEQUENCE_COMMANDS: dict[str, Any] = {"SEARCH": search, "FETCH": fetch, "STORE": store}
    UID_COMMANDS = SEQUENCE_COMMANDS


def parse_sequence_set(text: str, *, largest: int) -> list[tuple[int, int]]:
    """``"1,3:5,7:*"`` → ``[(1, 1), (3, 5), (7, largest)]``; ``*`` is the largest number
    in the mailbox and ranges may be written either way round."""
    ranges = []
    for part in text.split(","):
        ends = part.split(":")
        if len(ends) > 2 or not all(end == "*" or (end.isdigit() and int(end) > 0) for end in ends):
            raise ProtocolError(f"bad sequence set {text!r}")
        low, high = (largest if end == "*" else int(end) for end in (ends[0], ends[-1]))
        ranges.append((min(low, high), max(low, high)))
    return ranges


def _bounds(ranges: list[tuple[int, int]]) -> Iterator[int]:
    for low, high in ranges:
        yield low
        yield high


def _within(key: int, ranges: list[tuple[int, int]]) -> bool:
    return any(low <= key <= high for low, high in ranges)


def parse_arguments(text: str) -> list[Any]:
    """Atoms and quoted strings as ``str``, parenthesized lists as ``list``. Brackets
    stay inside an atom, so ``BODY.PEEK[]`` is one. Client literals are not supported."""
    stack: list[list[Any]] = [[]]
    i = 0
    while i < len(text):
        char = text[i]
        if char == " ":
            i += 1
        elif char == "(":
            stack.append([])
            i += 1
        elif char == ")":
            if len(stack) == 1:
                raise ProtocolError("unbalanced parenthesis")
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif char == '"':
            i, word = _quoted_string(text, i + 1)
            stack[-1].append(word)
        elif char == "{":
            raise ProtocolError("literals from the client are not supported")
        else:
            start, depth = i, 0
            while i < len(text) and (depth or text[i] not in ' ()"'):
                depth += {"[": 1, "]": -1}.get(text[i], 0)
                i += 1
            stack[-1].append(text[start:i])
    if len(stack) != 1:
        raise ProtocolError("unbalanced parenthesis")
    return stack[0]


def _quoted_string(text: str, i: int) -> tuple[int, str]:
    out: list[str] = []
    while i < len(text):
        char = text[i]
        if char == '"':
            return i + 1, "".join(out)
        if char == "\\":
            i += 1
            if i == len(text) or text[i] not in '"\\':
                raise ProtocolError("bad escape in quoted string")
        out.append(text[i])
        i += 1
    raise ProtocolError("unterminated quoted string")


def _decode_mailbox(name: str) -> str:
    """Modified UTF-7 (RFC 3501 §5.1.3) to text."""

    def word(match: re.Match[str]) -> str:
        encoded = match.group(1).replace(",", "/")
        if not encoded:
            return "&"
        padded = encoded + "=" * (-len(encoded) % 4)
        return base64.b64decode(padded).decode("utf-16-be")

    return _MAILBOX_WORD.sub(word, name)


def _canonical(name: str) -> str:
    return "INBOX" if name.upper() == "INBOX" else name
