"""Every email leaves DKIM-signed when a key is configured: the signature verifies against
the published key, covers both List-Unsubscribe headers, and breaks when they change."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from typer.testing import CliRunner

from referral_engine.delivery import dkim_signing
from referral_engine.delivery.channels import SendFailed
from referral_engine.delivery.dkim_signing import DkimConfigError, DkimSigner
from referral_engine.delivery.providers import Providers
from referral_engine.delivery.smtp import SmtpConfig, SmtpSender
from referral_engine.settings import ProviderSettings
from tests.agency import Agency, bind
from tests.conftest import run_cli
from tests.delivery.test_smtp import ask_message
from tests.smtp_server import SmtpServer

SELECTOR = "rk2026"
DOMAIN = "agency.example"
MAIL_FROM = f"Lakeside Insurance <asks@{DOMAIN}>"
DnsFunc = Callable[..., bytes | None]


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "dkim.pem"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def published(key: rsa.RSAPrivateKey, *, selector: str = SELECTOR, domain: str = DOMAIN) -> DnsFunc:
    """DNS as the receiver sees it: the TXT record at SELECTOR._domainkey.DOMAIN only."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    name = f"{selector}._domainkey.{domain}.".encode()

    def dnsfunc(query: bytes, timeout: float = 5) -> bytes | None:
        return record if query == name else None

    return dnsfunc


def pem(label: str, body: bytes) -> bytes:
    return f"-----BEGIN {label}-----\n".encode() + body + f"\n-----END {label}-----\n".encode()


def env(key_file: Path, **changes: str) -> ProviderSettings:
    values = {
        "dkim_selector": SELECTOR,
        "dkim_key_file": str(key_file),
        "mail_from": MAIL_FROM,
        **changes,
    }
    return ProviderSettings(**values)  # type: ignore[arg-type]


def signer(key_file: Path, **changes: str) -> DkimSigner:
    found = DkimSigner.from_settings(env(key_file, **changes))
    assert found is not None
    return found


def signature_header(content: bytes) -> re.Match[bytes]:
    """The DKIM-Signature header field, with its folded lines."""
    match = re.search(rb"^DKIM-Signature:(.*?)\r\n(?![ \t])", content, re.DOTALL | re.MULTILINE)
    assert match, "no DKIM-Signature header"
    return match


def signature_tags(content: bytes) -> dict[str, str]:
    """The DKIM-Signature header's tags, unfolded."""
    value = re.sub(r"\s+", "", signature_header(content).group(1).decode())
    return dict(tag.split("=", 1) for tag in value.split(";") if tag)


def sent_through(server: SmtpServer, dkim_signer: DkimSigner, message: EmailMessage) -> bytes:
    SmtpSender(
        SmtpConfig.from_url(server.url), local_hostname="client.test", dkim=dkim_signer
    ).send(message)
    [envelope] = server.envelopes
    return envelope.content


def ask_from_agency() -> EmailMessage:
    return ask_message(
        mail_from=MAIL_FROM,
        reply_to=f"asks+q3Zk@{DOMAIN}",
        unsubscribe_mailto=f"asks@{DOMAIN}?subject=unsubscribe",
        message_id_domain=DOMAIN,
    )


# -- the signature on the wire --------------------------------------------------------------


def test_the_bytes_the_server_received_verify_against_the_published_key(
    smtp_server: SmtpServer, key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    content = sent_through(smtp_server, signer(key_file), ask_from_agency())
    assert dkim.verify(content, dnsfunc=published(rsa_key))


def test_the_signature_covers_both_unsubscribe_headers_and_the_identity_headers(
    smtp_server: SmtpServer, key_file: Path
) -> None:
    tags = signature_tags(sent_through(smtp_server, signer(key_file), ask_from_agency()))
    signed = tags["h"].lower().split(":")
    for header in (
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "reply-to",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ):
        assert header in signed, f"{header} is not in h="
    assert (tags["a"], tags["c"], tags["s"], tags["d"]) == (
        "rsa-sha256",
        "relaxed/relaxed",
        SELECTOR,
        DOMAIN,
    )


def test_a_changed_list_unsubscribe_header_fails_verification(
    smtp_server: SmtpServer, key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    content = sent_through(smtp_server, signer(key_file), ask_from_agency())
    tampered = content.replace(b"/u/q3Zk", b"/u/evil", 1)
    assert tampered != content
    assert not dkim.verify(tampered, dnsfunc=published(rsa_key))


def test_a_changed_one_click_header_fails_verification(
    smtp_server: SmtpServer, key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    content = sent_through(smtp_server, signer(key_file), ask_from_agency())
    tampered = content.replace(
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        b"List-Unsubscribe-Post: List-Unsubscribe=Two-Clicks",
    )
    assert tampered != content
    assert not dkim.verify(tampered, dnsfunc=published(rsa_key))


def test_a_second_list_unsubscribe_header_added_on_top_fails_verification(
    smtp_server: SmtpServer, key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    content = sent_through(smtp_server, signer(key_file), ask_from_agency())
    end_of_signature = signature_header(content).end()
    injected = b"List-Unsubscribe: <https://evil.example/u/x>\r\n"
    tampered = content[:end_of_signature] + injected + content[end_of_signature:]
    assert not dkim.verify(tampered, dnsfunc=published(rsa_key))


def test_a_configured_dkim_domain_is_the_signing_domain(
    smtp_server: SmtpServer, key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    content = sent_through(
        smtp_server, signer(key_file, dkim_domain="Mail.Agency.Example"), ask_from_agency()
    )
    assert signature_tags(content)["d"] == "mail.agency.example"
    assert dkim.verify(content, dnsfunc=published(rsa_key, domain="mail.agency.example"))
    assert not dkim.verify(content, dnsfunc=published(rsa_key))


def test_a_message_composed_with_the_default_policy_is_signed_as_sent(
    smtp_server: SmtpServer, key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    # Thank-yous, updates, digests and notifications are built this way (LF line ends).
    message = EmailMessage()
    message["From"] = MAIL_FROM
    message["To"] = "lee@example.com"
    message["Bcc"] = "audit@agency.example"
    message["Subject"] = "Thank you, Dana — Lee is in good hands"
    message["Message-ID"] = f"<message-7@{DOMAIN}>"
    message.set_content("Thank you for thinking of us.\n\n--\nLakeside Insurance\n")
    content = sent_through(smtp_server, signer(key_file), message)
    assert dkim.verify(content, dnsfunc=published(rsa_key))
    assert b"audit@agency.example" not in content
    assert smtp_server.envelopes[0].rcpt_tos == ("lee@example.com", "audit@agency.example")


def test_without_dkim_settings_nothing_is_signed(smtp_server: SmtpServer) -> None:
    assert DkimSigner.from_settings(ProviderSettings()) is None
    SmtpSender.from_url(smtp_server.url).send(ask_from_agency())
    assert b"DKIM-Signature" not in smtp_server.envelopes[0].content


# -- through the real sender -------------------------------------------------------------


@pytest.fixture
def signing_agency(
    agency: Agency, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer, key_file: Path
) -> Agency:
    for name, value in {
        "REFERRAL_SMTP_URL": smtp_server.url,
        "REFERRAL_MAIL_FROM": MAIL_FROM,
        "REFERRAL_PUBLIC_URL": "https://refer.agency.example",
        "REFERRAL_DKIM_SELECTOR": SELECTOR,
        "REFERRAL_DKIM_KEY_FILE": str(key_file),
    }.items():
        monkeypatch.setenv(name, value)
    agency.configure('[agency]\nname = "Lakeside Insurance"\npostal_address = "200 W Lake St"\n')
    return agency


def test_an_ask_sent_by_the_worker_is_signed_over_its_unsubscribe_headers(
    signing_agency: Agency, smtp_server: SmtpServer, rsa_key: rsa.RSAPrivateKey
) -> None:
    signing_agency.feed(bind(client__preferred_channel="email"), now="2026-11-25T22:00:00Z")
    signing_agency.tick("2026-11-25T23:00:00Z")
    signing_agency.tick("2026-12-01T16:00:00Z")
    [envelope] = smtp_server.envelopes
    assert b"\r\nList-Unsubscribe: <https://refer.agency.example/u/" in envelope.content
    assert dkim.verify(envelope.content, dnsfunc=published(rsa_key))
    signed = signature_tags(envelope.content)["h"].split(":")
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= set(signed)
    assert signing_agency.only_ask()["status"] == "sent"


def test_a_bad_key_file_stops_the_command_with_exit_2(
    signing_agency: Agency, cli: CliRunner, key_file: Path, smtp_server: SmtpServer
) -> None:
    key_file.write_bytes(pem("PRIVATE KEY", b"c2VjcmV0LWtleS1ieXRlcw=="))
    code, out, err = run_cli(cli, "--db", signing_agency.url, "tick")
    assert code == 2, out + err
    assert "REFERRAL_DKIM_KEY_FILE" in err and str(key_file) in err
    assert "c2VjcmV0" not in out + err
    assert smtp_server.envelopes == []


# -- configuration ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dkim_selector": ""}, "REFERRAL_DKIM_SELECTOR is unset"),
        ({"dkim_key_file": ""}, "REFERRAL_DKIM_KEY_FILE is unset"),
        ({"dkim_selector": "rk 2026"}, "REFERRAL_DKIM_SELECTOR .* not a DNS name"),
        ({"dkim_domain": "agency..example"}, "REFERRAL_DKIM_DOMAIN .* not a DNS name"),
        ({"dkim_key_file": "/nonexistent/dkim.pem"}, "cannot read /nonexistent/dkim.pem"),
    ],
)
def test_dkim_settings_that_cannot_work_are_refused_by_name(
    key_file: Path, changes: dict[str, str], message: str
) -> None:
    with pytest.raises(DkimConfigError, match=message):
        DkimSigner.from_settings(env(key_file, **changes))


@pytest.mark.parametrize(
    "content",
    [
        b"not a key",
        pem("PUBLIC KEY", b"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"),
        pem("PRIVATE KEY", b"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
    ],
    ids=["text", "public-key", "truncated"],
)
def test_a_file_that_is_not_an_rsa_private_key_is_refused_without_quoting_it(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "dkim.pem"
    path.write_bytes(content)
    with pytest.raises(DkimConfigError, match="not an unencrypted PEM RSA private key") as error:
        DkimSigner.from_settings(env(path))
    assert "MIIE" not in str(error.value) and "MFkw" not in str(error.value)
    assert error.value.__cause__ is None


def test_a_key_shorter_than_receivers_accept_is_refused(
    key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # cryptography will not make a key under 1024 bits: raise the bar over ours instead.
    monkeypatch.setattr(dkim_signing, "MIN_KEY_BITS", 4096)
    with pytest.raises(DkimConfigError, match="has 2048 bits; receivers need at least 4096"):
        DkimSigner.from_settings(env(key_file))


def test_a_key_saved_with_crlf_line_ends_loads(
    tmp_path: Path, key_file: Path, rsa_key: rsa.RSAPrivateKey, smtp_server: SmtpServer
) -> None:
    crlf = tmp_path / "dkim-crlf.pem"
    crlf.write_bytes(key_file.read_bytes().replace(b"\n", b"\r\n"))
    content = sent_through(smtp_server, signer(crlf), ask_from_agency())
    assert dkim.verify(content, dnsfunc=published(rsa_key))


def test_a_key_file_gone_while_running_holds_email_back_rather_than_send_it_unsigned(
    key_file: Path,
) -> None:
    providers = Providers.from_settings(env(key_file, smtp_url="smtp://127.0.0.1:2525"))
    key_file.unlink()
    with pytest.raises(SendFailed) as failure:
        providers.email_sender()
    assert failure.value.transient
    assert "REFERRAL_DKIM_KEY_FILE" in failure.value.reason


def test_the_key_is_not_in_the_signers_repr(key_file: Path) -> None:
    assert "PRIVATE" not in repr(signer(key_file))
