"""The email adapter: hand a composed message to an SMTP server (stdlib ``smtplib``).

Configured by ``REFERRAL_SMTP_URL`` (see :meth:`SmtpConfig.from_url`):

- ``smtp://[user:pass@]host[:port]`` (port 25): STARTTLS whenever the server offers it;
  with ``?starttls=require`` nothing is sent unless the connection is encrypted; with
  ``?starttls=never`` STARTTLS is not used even when offered.
- ``smtps://[user:pass@]host[:port]`` (port 465): TLS from the first byte.
- ``?timeout=SECONDS`` (default 30) bounds the connect and every read and write.

The user and password never cross in clear text: on a connection that is not encrypted
(``smtp://`` to a server that does not offer STARTTLS) the adapter refuses to log in and
sends nothing — a permanent failure — unless the URL says ``?starttls=never``. The server's
certificate is verified (name and chain, the system's trust store; ``SSL_CERT_FILE``
names another CA file) and a certificate that does not verify stops the send.

What a caller may rely on:

- One connection per :meth:`SmtpSender.send`; it is always closed, whatever happens.
- With a :class:`~referral_engine.delivery.dkim_signing.DkimSigner`, the message is
  flattened once, signed, and exactly those bytes are sent (``Bcc`` is never sent).
- Success returns ``Sent(provider_id=<the message's Message-ID>)``. Every failure is a
  :class:`SendFailed`: ``transient`` for 4xx replies, a refused, dropped or timed-out
  connection and TLS handshake failures (retry later); permanent for 5xx replies, a
  refused login, a login that would cross in clear text and a server that cannot give
  the encryption the URL requires.
  ``code`` is the SMTP reply code as a string when the server gave one.
- Reasons quote the server's reply with email addresses blanked out; nothing here logs
  a message body or an address.
"""

from __future__ import annotations

import copy
import io
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass, field, replace
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses
from typing import Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

from dkim import DKIMException

from referral_engine.delivery.channels import SendFailed, Sent
from referral_engine.delivery.dkim_signing import DkimSigner

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
DEFAULT_TIMEOUT = 30.0
_ADDRESS = re.compile(r"[^\s<>@,;:\"']+@[^\s<>,;:\"']+")

StarttlsMode = Literal["opportunistic", "require", "never"]
STARTTLS_MODES: tuple[StarttlsMode, ...] = ("opportunistic", "require", "never")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to deliver. ``implicit_tls`` is ``smtps://``; ``starttls`` applies to
    ``smtp://`` only."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: StarttlsMode = "opportunistic"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse ``smtp://`` / ``smtps://`` URLs; a bad URL raises ``ValueError`` saying
        what is wrong (never echoing the password)."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(
                f"SMTP URL scheme must be smtp:// or smtps://, not {scheme or 'none'!r}"
            )
        if not parts.hostname:
            raise ValueError("SMTP URL has no host (expected smtp://host:port)")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("SMTP URL port must be a number from 1 to 65535") from exc
        if port == 0:
            raise ValueError("SMTP URL port must be a number from 1 to 65535")
        if parts.path not in ("", "/") or parts.fragment:
            raise ValueError("SMTP URL takes no path (expected smtp://host:port)")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if username and password is None:
            raise ValueError("SMTP URL names a user but no password (smtp://user:pass@host)")
        starttls, timeout = _query_options(parts.query, implicit_tls=scheme == "smtps")
        return cls(
            host=parts.hostname,
            port=port or DEFAULT_PORTS[scheme],
            implicit_tls=scheme == "smtps",
            starttls=starttls,
            username=username,
            password=password if username else None,
            timeout=timeout,
        )


def _query_options(query: str, *, implicit_tls: bool) -> tuple[StarttlsMode, float]:
    try:
        options = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise ValueError("SMTP URL query is malformed") from exc
    unknown = sorted(set(options) - {"starttls", "timeout"})
    if unknown:
        raise ValueError(f"SMTP URL has unknown option(s): {', '.join(unknown)}")
    starttls: StarttlsMode = "opportunistic"
    if "starttls" in options:
        value = options["starttls"][-1]
        if implicit_tls:
            raise ValueError("starttls= applies to smtp:// only; smtps:// is always encrypted")
        if value not in STARTTLS_MODES:
            raise ValueError(
                f"starttls must be 'require', 'opportunistic' or 'never', not {value!r}"
            )
        starttls = cast(StarttlsMode, value)
    timeout = DEFAULT_TIMEOUT
    if "timeout" in options:
        try:
            timeout = float(options["timeout"][-1])
        except ValueError as exc:
            raise ValueError("SMTP URL timeout must be a number of seconds") from exc
        if not 0 < timeout < float("inf"):
            raise ValueError("SMTP URL timeout must be a positive number of seconds")
    return starttls, timeout


class SmtpSender:
    """An :class:`~referral_engine.delivery.channels.EmailSender` over SMTP.

    ``ssl_context`` verifies the server's certificate (default: the system's trust
    store); ``local_hostname`` is the name given in EHLO (default: this host's FQDN);
    ``dkim`` signs every message (default: none).
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        dkim: DkimSigner | None = None,
    ) -> None:
        self.config = config
        self._ssl_context = ssl_context
        self._local_hostname = local_hostname
        self._dkim = dkim

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        dkim: DkimSigner | None = None,
    ) -> SmtpSender:
        return cls(SmtpConfig.from_url(url), ssl_context=ssl_context, dkim=dkim)

    def send(self, message: EmailMessage) -> Sent:
        """Deliver ``message`` to its ``To``/``Cc``/``Bcc`` recipients; it must carry a
        ``Message-ID`` (``ValueError`` otherwise: a retry must reuse the same id)."""
        message_id = message.get("Message-ID")
        if not message_id:
            raise ValueError("message has no Message-ID; compose() sets one per ask")
        message_id = str(message_id).strip()
        client: smtplib.SMTP | None = None
        try:
            # Flattened (and signed) once, before connecting: these bytes are sent as is.
            wire = self._wire(message)
            client = self._connect()
            self._secure_and_login(client)
            refused = _transmit(client, wire)
        except Exception as exc:
            if client is not None:
                client.close()
            failure = classify(exc)
            if failure is None:
                raise
            log.warning(
                "smtp send failed: %s (code=%s, transient=%s, message_id=%s)",
                failure.reason,
                failure.code,
                failure.transient,
                message_id,
            )
            raise failure from exc
        _quit(client)
        detail = ""
        if refused:
            codes = ", ".join(sorted({str(code) for code, _ in refused.values()}))
            detail = f"{len(refused)} recipient(s) refused ({codes})"
        log.info("smtp accepted message_id=%s", message_id)
        return Sent(provider_id=message_id, detail=detail)

    def _connect(self) -> smtplib.SMTP:
        # Host and port go to the constructor: smtplib takes the TLS server name from it.
        config = self.config
        if config.implicit_tls:
            return smtplib.SMTP_SSL(
                config.host,
                config.port,
                local_hostname=self._local_hostname,
                timeout=config.timeout,
                context=self._context(),
            )
        return smtplib.SMTP(
            config.host, config.port, local_hostname=self._local_hostname, timeout=config.timeout
        )

    def _wire(self, message: EmailMessage) -> Wire:
        wire = wire_format(message)
        if self._dkim is None:
            return wire
        from_domain = wire.header_from.rpartition("@")[2]
        try:
            return replace(wire, content=self._dkim.sign(wire.content, from_domain=from_domain))
        except DKIMException as exc:
            raise SendFailed(f"DKIM signing failed: {exc}", transient=False) from exc

    def _secure_and_login(self, client: smtplib.SMTP) -> None:
        config = self.config
        client.ehlo()
        if not config.implicit_tls and config.starttls != "never":
            if client.has_extn("starttls"):
                client.starttls(context=self._context())
                client.ehlo()
            elif config.starttls == "require":
                raise SendFailed(
                    "the SMTP server does not offer STARTTLS and the URL requires it"
                    " (?starttls=require); nothing was sent in clear",
                    transient=False,
                )
        if not config.username:
            return
        # Judged by the socket itself, not by the path taken to get here.
        if not isinstance(client.sock, ssl.SSLSocket):
            if config.starttls != "never":
                raise SendFailed(
                    "refused to log in to the SMTP server in clear text: it does not offer"
                    " STARTTLS, and the user and password in REFERRAL_SMTP_URL would cross"
                    " unencrypted; nothing was sent. Use smtps://, a server that offers"
                    " STARTTLS, or add ?starttls=never to the URL to log in without"
                    " encryption on purpose",
                    transient=False,
                )
            log.info("smtp login without TLS, as the URL says ?starttls=never")
        client.login(config.username, config.password or "")

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()


@dataclass(frozen=True)
class Wire:
    """A message as it goes to the server: the envelope and the bytes of DATA."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    header_from: str
    international: bool


def wire_format(message: EmailMessage) -> Wire:
    """What :meth:`smtplib.SMTP.send_message` would send, as bytes that are final: the
    envelope from ``Sender`` or ``From`` and ``To``/``Cc``/``Bcc``, ``Bcc`` removed, CRLF
    line ends, UTF-8 headers only when an address needs SMTPUTF8."""
    header_from = getaddresses([str(message.get("From", ""))])[0][1]
    sender = message.get("Sender")
    mail_from = getaddresses([str(sender)])[0][1] if sender else header_from
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    rcpt_tos = tuple(address for _, address in getaddresses(fields) if address)
    international = not "".join([mail_from, *rcpt_tos]).isascii()
    visible = copy.copy(message)
    del visible["Bcc"]
    policy = cast(EmailPolicy, message.policy)
    if international:
        policy = policy.clone(utf8=True)
    with io.BytesIO() as buffer:
        BytesGenerator(buffer, policy=policy).flatten(visible, linesep="\r\n")
        content = buffer.getvalue()
    return Wire(mail_from, rcpt_tos, content, header_from, international)


def _transmit(client: smtplib.SMTP, wire: Wire) -> dict[str, tuple[int, bytes]]:
    options: tuple[str, ...] = ()
    if wire.international:
        if not client.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError(
                "an address needs SMTPUTF8, which the SMTP server does not offer"
            )
        options = ("SMTPUTF8", "BODY=8BITMIME")
    return client.sendmail(wire.mail_from, list(wire.rcpt_tos), wire.content, options)


def _quit(client: smtplib.SMTP) -> None:
    # The message is already accepted; a server that hangs up before 221 changes nothing.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def classify(exc: BaseException) -> SendFailed | None:
    """The :class:`SendFailed` for an exception raised while talking SMTP, or ``None`` for
    one that is not about delivery (a bug, to be raised as is)."""
    if isinstance(exc, SendFailed):
        return exc
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        code = exc.smtp_code
        if 400 <= code < 500:
            return SendFailed(
                f"SMTP login failed for now: {_reply(exc)}", transient=True, code=str(code)
            )
        return SendFailed(
            "SMTP login refused: check the user and password in REFERRAL_SMTP_URL"
            f" (server said {_reply(exc)})",
            transient=False,
            code=str(code),
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(exc)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        what = "SMTP server answered" if code >= 400 else "unexpected SMTP reply"
        return SendFailed(f"{what} {_reply(exc)}", transient=_transient_code(code), code=str(code))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendFailed(
            f"SMTP server lacks a needed feature: {_redact(str(exc))}", transient=False
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendFailed(
            f"SMTP server disconnected: {_redact(str(exc)) or 'connection closed'}", transient=True
        )
    if isinstance(exc, smtplib.SMTPException):
        return SendFailed(f"SMTP error: {_redact(str(exc))}", transient=False)
    if isinstance(exc, ssl.SSLError):
        return SendFailed(f"TLS with the SMTP server failed: {exc}", transient=True)
    if isinstance(exc, TimeoutError):
        return SendFailed("SMTP server timed out", transient=True)
    if isinstance(exc, ConnectionError):
        return SendFailed(f"cannot reach the SMTP server: {exc.strerror or exc}", transient=True)
    if isinstance(exc, OSError):
        return SendFailed(f"network error talking to the SMTP server: {exc}", transient=True)
    return None


def _recipients_refused(exc: smtplib.SMTPRecipientsRefused) -> SendFailed:
    replies = list(exc.recipients.values())
    codes = [code for code, _ in replies]
    # Retrying helps only if every refusal was temporary.
    transient = bool(codes) and all(_transient_code(code) for code in codes)
    text = "; ".join(f"{code} {_text(reply)}" for code, reply in replies)
    return SendFailed(
        f"recipient refused: {text}",
        transient=transient,
        code=",".join(dict.fromkeys(str(code) for code in codes)) or None,
    )


def _transient_code(code: int) -> bool:
    return 400 <= code < 500


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return _redact(" ".join(text.split()))


def _redact(text: str) -> str:
    """Server replies often echo the address; keep them out of reasons and logs."""
    return _ADDRESS.sub("<address>", text)
