"""A real SMTP server on loopback (aiosmtpd) that records what it accepts.

Use it through the fixtures at the end (``smtp_server``: plain SMTP, no auth;
``smtp_certificate``: a self-signed certificate for TLS servers) or as a context manager::

    def test_it(smtp_server: SmtpServer) -> None:
        SmtpSender.from_url(smtp_server.url).send(message)
        assert smtp_server.messages[0]["Subject"] == "..."

    with SmtpServer(tls="starttls", certificate=smtp_certificate, credentials=("u", "pw")):
        ...  # STARTTLS offered, AUTH required
    with SmtpServer(tls="implicit", certificate=smtp_certificate) as server:
        ...  # smtps://; give the client server.client_ssl_context (trusts the certificate)

- ``url``: ``smtp://127.0.0.1:PORT`` (``smtps://`` for implicit TLS; credentials included
  when set, percent-encoded).
- ``messages``: what was accepted, parsed with ``email.policy.default``; ``envelopes``:
  the same as :class:`Envelope` (MAIL FROM, RCPT TOs, raw bytes, whether over TLS).
- ``logins``: every AUTH attempt as :class:`Login` (user, whether over TLS, accepted).
- ``fail_next("451 4.3.0 try again later", times=1)`` answers the next ``times``
  messages with that reply instead of 250; ``fail_always("550 5.7.1 no")`` answers every
  one. ``at="RCPT"`` refuses recipients instead of the DATA. Refused messages are not
  recorded.
- ``reset()`` forgets messages, logins and failures.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, Session
from aiosmtpd.smtp import Envelope as AiosmtpdEnvelope

HOST = "127.0.0.1"
Stage = Literal["RCPT", "DATA"]


@dataclass(frozen=True)
class Envelope:
    """One accepted message as the server saw it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool = False


@dataclass(frozen=True)
class Login:
    """One AUTH attempt as the server saw it."""

    user: str
    tls: bool
    accepted: bool


def _over_tls(server: SMTP, session: Session) -> bool:
    # STARTTLS sets session.ssl; implicit TLS shows only on the transport.
    transport = server.transport
    return session.ssl is not None or (
        transport is not None and transport.get_extra_info("ssl_object") is not None
    )


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for ``localhost`` and ``127.0.0.1``."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and verifies the host name)."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def self_signed_certificate(directory: Path) -> Certificate:
    """Write a fresh key and certificate into ``directory`` (``cryptography`` if installed,
    else the ``openssl`` command); skip the test when neither is available."""
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    try:
        _write_with_cryptography(cert_path, key_path)
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("TLS tests need the cryptography package or the openssl command")
        _write_with_openssl(cert_path, key_path)
    return Certificate(cert_path=cert_path, key_path=key_path)


def _write_with_cryptography(cert_path: Path, key_path: Path) -> None:
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _write_with_openssl(cert_path: Path, key_path: Path) -> None:
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            f"subjectAltName=DNS:localhost,IP:{HOST}",
            "-keyout",
            str(key_path),
            "-out",
            str(cert_path),
        ],
        check=True,
        capture_output=True,
    )


class _RecordingHandler:
    """aiosmtpd handler: records accepted messages, answers planned failures."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.envelopes: list[Envelope] = []
        self.logins: list[Login] = []
        self.failures: dict[Stage, list[str]] = {"RCPT": [], "DATA": []}
        self.always: dict[Stage, str | None] = {"RCPT": None, "DATA": None}
        # A test's hook, called with the number of messages accepted so far, after a
        # message is stored and before "250" is answered (the kill test stops here).
        self.after_data: Callable[[int], None] | None = None

    def planned_failure(self, stage: Stage) -> str | None:
        with self.lock:
            if self.failures[stage]:
                return self.failures[stage].pop(0)
            return self.always[stage]

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: AiosmtpdEnvelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        failure = self.planned_failure("RCPT")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: AiosmtpdEnvelope
    ) -> str:
        failure = self.planned_failure("DATA")
        if failure:
            return failure
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        with self.lock:
            self.envelopes.append(
                Envelope(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content=content,
                    tls=_over_tls(server, session),
                )
            )
            accepted = len(self.envelopes)
        if self.after_data is not None:
            self.after_data(accepted)
        return "250 Message accepted for delivery"


class SmtpServer:
    """An aiosmtpd server on a free loopback port; see the module docstring."""

    def __init__(
        self,
        *,
        tls: Literal["starttls", "implicit"] | None = None,
        certificate: Certificate | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        if tls and certificate is None:
            raise ValueError("a TLS server needs a certificate (self_signed_certificate())")
        self.tls = tls
        self.certificate = certificate
        self.credentials = credentials
        self._handler = _RecordingHandler()
        self._controller: Controller | None = None
        self.port = 0

    @property
    def after_data(self) -> Callable[[int], None] | None:
        return self._handler.after_data

    @after_data.setter
    def after_data(self, hook: Callable[[int], None] | None) -> None:
        self._handler.after_data = hook

    # -- what tests read ------------------------------------------------------------

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        userinfo = ""
        if self.credentials:
            user, password = self.credentials
            userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}@"
        return f"{scheme}://{userinfo}{HOST}:{self.port}"

    @property
    def envelopes(self) -> list[Envelope]:
        with self._handler.lock:
            return list(self._handler.envelopes)

    @property
    def logins(self) -> list[Login]:
        with self._handler.lock:
            return list(self._handler.logins)

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, email.message_from_bytes(e.content, policy=email.policy.default))
            for e in self.envelopes
        ]

    @property
    def client_ssl_context(self) -> ssl.SSLContext | None:
        """For the client: trusts this server's certificate (``None`` without TLS)."""
        return self.certificate.client_context() if self.certificate else None

    # -- what tests tell it ---------------------------------------------------------

    def fail_next(self, reply: str, times: int = 1, *, at: Stage = "DATA") -> None:
        """Answer the next ``times`` messages (or recipients) with ``reply``."""
        with self._handler.lock:
            self._handler.failures[at].extend([reply] * times)

    def fail_always(self, reply: str, *, at: Stage = "DATA") -> None:
        """Answer every message (or recipient) with ``reply`` until :meth:`reset`."""
        with self._handler.lock:
            self._handler.always[at] = reply

    def reset(self) -> None:
        with self._handler.lock:
            self._handler.envelopes.clear()
            self._handler.logins.clear()
            self._handler.failures = {"RCPT": [], "DATA": []}
            self._handler.always = {"RCPT": None, "DATA": None}

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> SmtpServer:
        # A free port can be taken between looking and binding (parallel workers): retry.
        for attempt in range(5):
            port = free_port()
            controller = Controller(self._handler, hostname=HOST, port=port, **self._options())
            try:
                controller.start()
            except Exception:
                with contextlib.suppress(Exception):
                    controller.stop(no_assert=True)
                if attempt == 4:
                    raise
                continue
            self._controller, self.port = controller, port
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"server_hostname": "localhost", "enable_SMTPUTF8": True}
        if self.certificate and self.tls == "starttls":
            options["tls_context"] = self.certificate.server_context()
        if self.certificate and self.tls == "implicit":
            options["ssl_context"] = self.certificate.server_context()
        if self.credentials:
            options.update(
                authenticator=_Authenticator(*self.credentials, recorder=self._handler),
                auth_required=True,
                auth_require_tls=False,
            )
        return options


class _Authenticator:
    """Accepts exactly one user and password (AUTH PLAIN or LOGIN)."""

    def __init__(self, user: str, password: str, *, recorder: _RecordingHandler) -> None:
        self.user = user.encode()
        self.password = password.encode()
        self.recorder = recorder

    def __call__(
        self, server: SMTP, session: Session, envelope: AiosmtpdEnvelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.user
            and data.password == self.password
        )
        login = data.login.decode() if isinstance(data, LoginPassword) else ""
        with self.recorder.lock:
            self.recorder.logins.append(Login(login, _over_tls(server, session), ok))
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    """A loopback port that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 / localhost, made once per session."""
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """Plain SMTP, no auth: ``smtp_server.url`` is ``smtp://127.0.0.1:PORT``."""
    with SmtpServer() as server:
        yield server
