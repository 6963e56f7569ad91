"""The SMTP adapter against a real SMTP server on loopback (see tests/smtp_server.py)."""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from referral_engine.delivery.channels import EmailSender, SendFailed
from referral_engine.delivery.email import AskEmail, compose
from referral_engine.delivery.smtp import SmtpConfig, SmtpSender, classify
from tests.agency import Agency, bind, detail
from tests.smtp_server import HOST, Certificate, Login, SmtpServer, free_port

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
TOKEN = "q3Zk_8vR-2mXw9LpTt4aBc"
UNSUBSCRIBE = f"https://referrals.ortiz-insurance.example/u/{TOKEN}"


CREDENTIALS = ("agency", "s3cret pass/word")


@pytest.fixture
def smtp_starttls_server(smtp_certificate: Certificate) -> Iterator[SmtpServer]:
    """STARTTLS offered, AUTH required."""
    with SmtpServer(
        tls="starttls", certificate=smtp_certificate, credentials=CREDENTIALS
    ) as server:
        yield server


@pytest.fixture
def smtp_login_server() -> Iterator[SmtpServer]:
    """AUTH required, and no STARTTLS on offer: a login here would cross in clear text."""
    with SmtpServer(credentials=CREDENTIALS) as server:
        yield server


@pytest.fixture
def smtps_server(smtp_certificate: Certificate) -> Iterator[SmtpServer]:
    """Implicit TLS from the first byte."""
    with SmtpServer(tls="implicit", certificate=smtp_certificate) as server:
        yield server


def ask_message(**changes: str) -> EmailMessage:
    fields = {
        "to": "Zoë Reyes <zoe@example.com>",
        "mail_from": "Sam Ortiz <sam@ortiz-insurance.example>",
        "reply_to": f"reply+{TOKEN}@replies.ortiz-insurance.example",
        "subject": "Thanks for trusting us with your auto policy",
        "body": "Hi Zoë,\n\nThanks <script>alert(1)</script> for trusting us.\n\nSam",
        "unsubscribe_url": UNSUBSCRIBE,
        "unsubscribe_mailto": f"unsubscribe+{TOKEN}@replies.ortiz-insurance.example",
        "postal_address": "100 Main St, Springfield, IL 62701",
        "agency_name": "Ortiz Insurance",
        "message_id_domain": "ortiz-insurance.example",
        "ask_token": TOKEN,
        **changes,
    }
    return compose(AskEmail(**fields), now=NOW)


def sender(server: SmtpServer, url: str | None = None) -> SmtpSender:
    return SmtpSender(
        SmtpConfig.from_url(url or server.url),
        ssl_context=server.client_ssl_context,
        local_hostname="client.test",
    )


def send_failure(server: SmtpServer, url: str | None = None) -> SendFailed:
    with pytest.raises(SendFailed) as failure:
        sender(server, url).send(ask_message())
    return failure.value


# -- delivery --------------------------------------------------------------------------


def test_smtp_sender_is_an_email_sender(smtp_server: SmtpServer) -> None:
    channel: EmailSender = sender(smtp_server)
    assert channel.send(ask_message()).provider_id == f"<ask-{TOKEN}@ortiz-insurance.example>"


def test_the_ask_arrives_with_its_envelope(smtp_server: SmtpServer) -> None:
    sender(smtp_server).send(ask_message())
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "sam@ortiz-insurance.example"
    assert envelope.rcpt_tos == ("zoe@example.com",)


def test_the_ask_arrives_with_the_headers_mail_needs(smtp_server: SmtpServer) -> None:
    sender(smtp_server).send(ask_message())
    [message] = smtp_server.messages
    assert message["Message-ID"] == f"<ask-{TOKEN}@ortiz-insurance.example>"
    assert message["Reply-To"] == f"reply+{TOKEN}@replies.ortiz-insurance.example"
    assert message["To"] == "Zoë Reyes <zoe@example.com>"
    unsubscribe = message["List-Unsubscribe"]
    assert f"<{UNSUBSCRIBE}>" in unsubscribe
    assert f"<mailto:unsubscribe+{TOKEN}@replies.ortiz-insurance.example>" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Auto-Submitted" not in message


def test_the_ask_arrives_with_the_postal_address_and_escaped_html(
    smtp_server: SmtpServer,
) -> None:
    sender(smtp_server).send(ask_message())
    [message] = smtp_server.messages
    plain, html = (part.get_content() for part in message.iter_parts())
    assert "100 Main St, Springfield, IL 62701" in plain
    assert "100 Main St, Springfield, IL 62701" in html
    assert "<script>" in plain
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_retry_of_the_same_ask_carries_the_same_message_id(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next("451 4.3.0 try again later")
    with pytest.raises(SendFailed):
        sender(smtp_server).send(ask_message())
    sent = sender(smtp_server).send(ask_message())
    [message] = smtp_server.messages
    assert message["Message-ID"] == sent.provider_id


def test_starttls_with_login(smtp_starttls_server: SmtpServer) -> None:
    assert smtp_starttls_server.url.startswith("smtp://agency:s3cret%20pass%2Fword@")
    url = smtp_starttls_server.url + "?starttls=require"
    sent = sender(smtp_starttls_server, url).send(ask_message())
    assert sent.provider_id == f"<ask-{TOKEN}@ortiz-insurance.example>"
    assert len(smtp_starttls_server.messages) == 1


def test_smtps_implicit_tls(smtps_server: SmtpServer) -> None:
    assert smtps_server.url.startswith("smtps://")
    sender(smtps_server).send(ask_message())
    assert smtps_server.messages[0]["Subject"] == "Thanks for trusting us with your auto policy"


def test_an_untrusted_certificate_is_a_transient_failure(smtps_server: SmtpServer) -> None:
    untrusting = SmtpSender(SmtpConfig.from_url(smtps_server.url), local_hostname="client.test")
    with pytest.raises(SendFailed) as failure:
        untrusting.send(ask_message())
    assert failure.value.transient
    assert "TLS" in failure.value.reason
    assert smtps_server.messages == []


def test_a_message_without_message_id_is_a_caller_bug(smtp_server: SmtpServer) -> None:
    message = ask_message()
    del message["Message-ID"]
    with pytest.raises(ValueError, match="Message-ID"):
        sender(smtp_server).send(message)


# -- failures ----------------------------------------------------------------------------


def test_451_is_a_transient_failure_with_the_servers_text(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next("451 4.3.0 try again later")
    failure = send_failure(smtp_server)
    assert (failure.transient, failure.code) == (True, "451")
    assert "try again later" in failure.reason
    assert smtp_server.messages == []


def test_after_a_451_the_next_send_goes_through(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next("451 4.3.0 try again later", times=2)
    for _ in range(2):
        assert send_failure(smtp_server).transient
    sender(smtp_server).send(ask_message())
    assert len(smtp_server.messages) == 1


def test_550_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    smtp_server.fail_always("550 5.7.1 message refused")
    failure = send_failure(smtp_server)
    assert (failure.transient, failure.code) == (False, "550")
    assert "message refused" in failure.reason


@pytest.mark.parametrize(
    ("reply", "transient", "code"),
    [
        ("450 4.2.0 mailbox busy", True, "450"),
        ("550 5.1.1 <zoe@example.com>: user unknown", False, "550"),
    ],
)
def test_a_refused_recipient_is_classified_by_its_code_without_the_address(
    smtp_server: SmtpServer, reply: str, transient: bool, code: str
) -> None:
    smtp_server.fail_always(reply, at="RCPT")
    failure = send_failure(smtp_server)
    assert (failure.transient, failure.code) == (transient, code)
    assert "zoe@example.com" not in failure.reason


def test_a_closed_port_is_a_transient_failure() -> None:
    port = free_port()
    with pytest.raises(SendFailed) as failure:
        SmtpSender.from_url(f"smtp://{HOST}:{port}?timeout=5").send(ask_message())
    assert failure.value.transient
    assert failure.value.code is None


def test_a_server_that_never_answers_times_out_as_a_transient_failure() -> None:
    with socket.socket() as silent:
        silent.bind((HOST, 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(SendFailed) as failure:
            SmtpSender.from_url(f"smtp://{HOST}:{port}?timeout=0.2").send(ask_message())
    assert failure.value.transient
    assert "timed out" in failure.value.reason


def test_a_wrong_password_is_a_permanent_configuration_failure(
    smtp_starttls_server: SmtpServer,
) -> None:
    url = f"smtp://agency:wrong@{HOST}:{smtp_starttls_server.port}"
    failure = send_failure(smtp_starttls_server, url)
    assert (failure.transient, failure.code) == (False, "535")
    assert "REFERRAL_SMTP_URL" in failure.reason
    assert smtp_starttls_server.messages == []


def test_required_starttls_against_a_server_without_tls_sends_nothing(
    smtp_server: SmtpServer,
) -> None:
    failure = send_failure(smtp_server, smtp_server.url + "?starttls=require")
    assert not failure.transient
    assert "STARTTLS" in failure.reason
    assert smtp_server.messages == []


# -- credentials never cross in clear text ----------------------------------------------


def test_credentials_are_not_sent_to_a_server_that_offers_no_starttls(
    smtp_login_server: SmtpServer,
) -> None:
    failure = send_failure(smtp_login_server)
    assert smtp_login_server.logins == [], "AUTH was never attempted"
    assert smtp_login_server.envelopes == []
    assert not failure.transient
    assert "clear text" in failure.reason
    assert "?starttls=never" in failure.reason


def test_starttls_never_logs_in_in_clear_text_as_the_url_says(
    smtp_login_server: SmtpServer,
) -> None:
    sender(smtp_login_server, smtp_login_server.url + "?starttls=never").send(ask_message())
    assert smtp_login_server.logins == [Login("agency", tls=False, accepted=True)]
    assert len(smtp_login_server.envelopes) == 1


def test_offered_starttls_is_used_before_the_login(smtp_starttls_server: SmtpServer) -> None:
    sender(smtp_starttls_server).send(ask_message())
    assert smtp_starttls_server.logins == [Login("agency", tls=True, accepted=True)]
    [envelope] = smtp_starttls_server.envelopes
    assert envelope.tls


def test_smtps_logs_in_over_tls(smtp_certificate: Certificate) -> None:
    with SmtpServer(
        tls="implicit", certificate=smtp_certificate, credentials=CREDENTIALS
    ) as server:
        sender(server).send(ask_message())
        assert server.logins == [Login("agency", tls=True, accepted=True)]


def test_starttls_never_does_not_upgrade_even_when_offered(
    smtp_starttls_server: SmtpServer,
) -> None:
    sender(smtp_starttls_server, smtp_starttls_server.url + "?starttls=never").send(ask_message())
    assert smtp_starttls_server.logins == [Login("agency", tls=False, accepted=True)]


def test_a_starttls_certificate_that_does_not_verify_stops_the_send_before_the_login(
    smtp_starttls_server: SmtpServer,
) -> None:
    untrusting = SmtpSender(
        SmtpConfig.from_url(smtp_starttls_server.url), local_hostname="client.test"
    )
    with pytest.raises(SendFailed) as failure:
        untrusting.send(ask_message())
    assert "TLS" in failure.value.reason
    assert smtp_starttls_server.logins == []
    assert smtp_starttls_server.envelopes == []


def test_ssl_cert_file_names_the_ca_that_signs_the_servers_certificate(
    smtp_starttls_server: SmtpServer,
    smtp_certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_certificate.cert_path))
    SmtpSender.from_url(smtp_starttls_server.url).send(ask_message())
    assert smtp_starttls_server.logins == [Login("agency", tls=True, accepted=True)]


def test_without_tls_required_a_server_without_tls_gets_the_message(
    smtp_server: SmtpServer,
) -> None:
    sender(smtp_server).send(ask_message())
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(
    ("exc", "transient", "code"),
    [
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True, None),
        (ConnectionResetError(104, "Connection reset by peer"), True, None),
        (TimeoutError("timed out"), True, None),
        (OSError(113, "No route to host"), True, None),
        (smtplib.SMTPAuthenticationError(454, b"4.7.0 temporary auth failure"), True, "454"),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 sender not allowed", "x@y.example"), False, "553"),
        (smtplib.SMTPConnectError(421, b"4.7.0 too many connections"), True, "421"),
        (smtplib.SMTPNotSupportedError("SMTPUTF8 not supported by server"), False, None),
        (
            smtplib.SMTPRecipientsRefused(
                {"a@x.example": (450, b"busy"), "b@x.example": (550, b"no")}
            ),
            False,
            "450,550",
        ),
    ],
)
def test_classification_of_smtp_errors(exc: Exception, transient: bool, code: str | None) -> None:
    failure = classify(exc)
    assert failure is not None
    assert (failure.transient, failure.code) == (transient, code)


def test_errors_that_are_not_about_delivery_are_not_classified() -> None:
    assert classify(KeyError("bug")) is None


# -- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", SmtpConfig(host="mail.example", port=25)),
        ("smtp://mail.example:587", SmtpConfig(host="mail.example", port=587)),
        ("SMTP://Mail.Example:2525/", SmtpConfig(host="mail.example", port=2525)),
        ("smtps://mail.example", SmtpConfig(host="mail.example", port=465, implicit_tls=True)),
        (
            "smtps://mail.example:2465",
            SmtpConfig(host="mail.example", port=2465, implicit_tls=True),
        ),
        (
            "smtp://apikey:p%40ss%3Aw%2Fd@mail.example:587",
            SmtpConfig(host="mail.example", port=587, username="apikey", password="p@ss:w/d"),
        ),
        (
            "smtp://user%40agency.example:pw@mail.example",
            SmtpConfig(host="mail.example", port=25, username="user@agency.example", password="pw"),
        ),
        (
            "smtp://mail.example:587?starttls=require",
            SmtpConfig(host="mail.example", port=587, starttls="require"),
        ),
        (
            "smtp://u:p@mail.example?starttls=never",
            SmtpConfig(host="mail.example", port=25, starttls="never", username="u", password="p"),
        ),
        (
            "smtp://mail.example?timeout=2.5",
            SmtpConfig(host="mail.example", port=25, timeout=2.5),
        ),
        ("smtp://[::1]:25", SmtpConfig(host="::1", port=25)),
    ],
)
def test_smtp_url_is_parsed(url: str, expected: SmtpConfig) -> None:
    assert SmtpConfig.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example", "scheme"),
        ("mail.example:25", "scheme"),
        ("", "scheme"),
        ("smtp://", "no host"),
        ("smtp://:25", "no host"),
        ("smtp://user:pw@:25", "no host"),
        ("smtp://mail.example:port", "port"),
        ("smtp://mail.example:70000", "port"),
        ("smtp://mail.example:0", "port"),
        ("smtp://mail.example/relay", "path"),
        ("smtp://user@mail.example", "no password"),
        ("smtp://mail.example?starttls=maybe", "starttls"),
        ("smtps://mail.example?starttls=require", "smtp:// only"),
        ("smtps://u:p@mail.example?starttls=never", "smtp:// only"),
        ("smtp://mail.example?timeout=soon", "timeout"),
        ("smtp://mail.example?timeout=0", "timeout"),
        ("smtp://mail.example?tls=on", "unknown option"),
    ],
)
def test_a_bad_smtp_url_is_refused_with_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SmtpConfig.from_url(url)


def test_the_password_is_not_in_the_configs_repr() -> None:
    assert "hunter2" not in repr(SmtpConfig.from_url("smtp://u:hunter2@mail.example"))


# -- what the operator sees -------------------------------------------------------------


def test_an_ask_refused_a_clear_text_login_fails_once_and_says_why(
    agency: Agency,
    smtp_login_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("REFERRAL_SMTP_URL", smtp_login_server.url)
    monkeypatch.setenv("REFERRAL_MAIL_FROM", "Lakeside Insurance <asks@agency.example>")
    agency.configure('[agency]\npostal_address = "200 W Lake St, Chicago, IL 60606"\n')
    agency.feed(bind(client__preferred_channel="email"), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    with caplog.at_level(logging.WARNING, logger="referral_engine.delivery.smtp"):
        printed = agency.tick("2026-12-01T16:00:00Z")
    agency.tick("2026-12-02T16:00:00Z")
    ask = agency.only_ask()
    assert ask["status"] == "failed"
    assert "permanent failure" in detail(ask, "delivery_failed")
    assert "clear text" in detail(ask, "delivery_failed")
    assert "send:failed: 1" in printed
    assert "clear text" in caplog.text
    assert smtp_login_server.logins == [] and smtp_login_server.envelopes == []
