"""Reading replies over IMAP, against the real IMAP server in tests/imap_server.py."""

from __future__ import annotations

import imaplib
import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest

from referral_engine.replies.imap import ImapConfig, MailboxError, fetch_unseen, mark_seen
from tests import imap_server as imap_testing
from tests.imap_server import ImapServer, SelfSignedTls

imap_server = imap_testing.imap_server
tls = imap_testing.tls

PASSWORD = 'pa ss"w\\ord:/@%'


def reply(number: int) -> bytes:
    return (
        f"From: client{number}@example.com\r\n"
        f"Message-ID: <reply-{number}@example.com>\r\n"
        f"Subject: Re: a quick favour\r\n\r\n"
        f"Happy to, here is my neighbour's number ({number}).\r\n"
    ).encode()


def config_for(server: ImapServer, **changes: object) -> ImapConfig:
    return replace(ImapConfig.from_url(server.url), **changes)  # type: ignore[arg-type]


@pytest.fixture
def config(imap_server: ImapServer) -> ImapConfig:
    return ImapConfig.from_url(imap_server.url)


@pytest.fixture
def refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        yield int(listener.getsockname()[1])


# -- ImapConfig.from_url -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imap://u:s3cret@mail.example/INBOX",
            ImapConfig("mail.example", 143, "u", "s3cret", ssl=False),
        ),
        (
            "imaps://u:s3cret@mail.example",
            ImapConfig("mail.example", 993, "u", "s3cret", ssl=True),
        ),
        (
            "IMAPS://u:s3cret@Mail.Example:1993/Replies/",
            ImapConfig("mail.example", 1993, "u", "s3cret", ssl=True, mailbox="Replies"),
        ),
        (
            "imap://replies%40agency.example:p%40ss%3Aw%2Fd%20x@mail.example:1143/",
            ImapConfig("mail.example", 1143, "replies@agency.example", "p@ss:w/d x", ssl=False),
        ),
        (
            "imap://u:s3cret@mail.example/Clients/Replies%20Q3?starttls=1",
            ImapConfig(
                "mail.example",
                143,
                "u",
                "s3cret",
                ssl=False,
                mailbox="Clients/Replies Q3",
                starttls=True,
            ),
        ),
        (
            "imap://u:s3cret@mail.example/Entw%C3%BCrfe?starttls=0&timeout=5",
            ImapConfig("mail.example", 143, "u", "s3cret", False, "Entwürfe", timeout=5),
        ),
        (
            "imaps://u:s3cret@[::1]/INBOX",
            ImapConfig("::1", 993, "u", "s3cret", ssl=True),
        ),
    ],
)
def test_from_url_reads_scheme_host_port_credentials_and_mailbox(
    url: str, expected: ImapConfig
) -> None:
    assert ImapConfig.from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("http://u:s3cret@mail.example/INBOX", "scheme must be imap:// or imaps://"),
        ("mail.example", "scheme must be imap:// or imaps://"),
        ("imap://u:s3cret@/INBOX", "no host"),
        ("imap://mail.example/INBOX", "needs a user and a password"),
        ("imap://u@mail.example/INBOX", "needs a user and a password"),
        ("imap://u:@mail.example/INBOX", "needs a user and a password"),
        ("imap://:s3cret@mail.example/INBOX", "needs a user and a password"),
        ("imap://u:s3cret@mail.example:99999/INBOX", "port must be a number"),
        ("imap://u:s3cret@mail.example:imap/INBOX", "port must be a number"),
        ("imap://u:s3cret@mail.example:0/INBOX", "port must be a number"),
        ("imaps://u:s3cret@mail.example/INBOX?starttls=1", "starttls applies to imap:// only"),
        ("imap://u:s3cret@mail.example/INBOX?starttls=maybe", "starttls must be 1 or 0"),
        ("imap://u:s3cret@mail.example/INBOX?tls=1", "unknown option(s): tls"),
        ("imap://u:s3cret@mail.example/INBOX?timeout=0", "positive number of seconds"),
        ("imap://u:s3cret@mail.example/INBOX?timeout=soon", "number of seconds"),
        ("imap://u:s3cret@mail.example/INBOX#top", "no #fragment"),
        ("imap://u:s3cr%C3%A9t@mail.example/INBOX", "password must be non-empty printable ASCII"),
        ("imap://u:s3cret%0D%0A@mail.example/INBOX", "password must be non-empty printable ASCII"),
    ],
)
def test_from_url_rejects_bad_urls_without_echoing_the_password(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="IMAP|starttls") as raised:
        ImapConfig.from_url(url)
    assert complaint in str(raised.value)
    assert "s3cr" not in str(raised.value)


def test_config_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(ImapConfig.from_url("imaps://u:s3cret@mail.example"))


# -- fetch_unseen and mark_seen ----------------------------------------------------------


def test_fetch_returns_the_unseen_messages_oldest_first(
    imap_server: ImapServer,
    config: ImapConfig,
) -> None:
    first = imap_server.deliver(reply(1))
    imap_server.deliver(reply(2), seen=True)
    third = imap_server.deliver(reply(3))

    assert fetch_unseen(config) == [(first, reply(1)), (third, reply(3))]


def test_fetching_does_not_mark_messages_seen(
    imap_server: ImapServer,
    config: ImapConfig,
) -> None:
    uid = imap_server.deliver(reply(1))

    assert [uid for uid, _ in fetch_unseen(config)] == [uid]
    assert [uid for uid, _ in fetch_unseen(config)] == [uid]
    assert not imap_server.seen(uid)
    assert any(line.startswith("EXAMINE") for line in imap_server.commands)
    assert any(line.endswith("(BODY.PEEK[])") for line in imap_server.commands)


def test_mark_seen_marks_the_messages_and_the_next_fetch_returns_nothing_new(
    imap_server: ImapServer,
    config: ImapConfig,
) -> None:
    uids = [imap_server.deliver(reply(n)) for n in range(1, 5)]

    mark_seen(config, [uid for uid, _ in fetch_unseen(config)])

    assert all(imap_server.seen(uid) for uid in uids)
    assert fetch_unseen(config) == []
    later = imap_server.deliver(reply(5))
    assert fetch_unseen(config) == [(later, reply(5))]


def test_mark_seen_touches_only_the_given_uids(
    imap_server: ImapServer,
    config: ImapConfig,
) -> None:
    uids = [imap_server.deliver(reply(n)) for n in range(1, 7)]

    mark_seen(config, [uids[0], uids[2], uids[3], uids[4]])

    assert [imap_server.seen(uid) for uid in uids] == [True, False, True, True, True, False]
    assert "UID STORE 1,3:5 +FLAGS (\\Seen)" in imap_server.commands


def test_mark_seen_with_no_uids_does_not_connect(refused_port: int) -> None:
    mark_seen(ImapConfig("127.0.0.1", refused_port, "u", "p", ssl=False), [])


def test_mark_seen_rejects_a_uid_that_is_not_a_number(config: ImapConfig) -> None:
    with pytest.raises(ValueError, match="not an IMAP UID"):
        mark_seen(config, ["1:*"])


def test_limit_returns_only_the_oldest_unseen_messages(
    imap_server: ImapServer,
    config: ImapConfig,
) -> None:
    uids = [imap_server.deliver(reply(n)) for n in range(1, 6)]

    fetched = fetch_unseen(config, limit=2)

    assert [uid for uid, _ in fetched] == uids[:2]
    mark_seen(config, [uid for uid, _ in fetched])
    assert [uid for uid, _ in fetch_unseen(config, limit=2)] == uids[2:4]


def test_a_limit_below_one_is_refused(config: ImapConfig) -> None:
    with pytest.raises(ValueError, match="limit"):
        fetch_unseen(config, limit=0)


def test_literal_framing_keeps_non_ascii_and_a_line_that_is_just_a_parenthesis(
    imap_server: ImapServer,
    config: ImapConfig,
) -> None:
    tricky = (
        "From: Zoë Müller <zoe@example.com>\r\n"
        "Subject: =?utf-8?q?R=C3=A9ponse?=\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bien sûr — voici le numéro de ma sœur 🙂\r\n"
        ")\r\n"
        "* 1 FETCH (UID 99 BODY[] {3}\r\n"
        ")"
    ).encode()
    uid = imap_server.deliver(tricky)
    after = imap_server.deliver(reply(2))

    assert fetch_unseen(config) == [(uid, tricky), (after, reply(2))]


@pytest.mark.parametrize("mailbox", ["Client Replies", "Réponses & Suivis", 'Say "hi"'])
def test_fetch_reads_a_mailbox_whose_name_needs_quoting_or_encoding(
    imap_server: ImapServer,
    config: ImapConfig,
    mailbox: str,
) -> None:
    imap_server.create_mailbox(mailbox)
    uid = imap_server.deliver(reply(1), mailbox=mailbox)
    imap_server.deliver(reply(2))

    assert fetch_unseen(replace(config, mailbox=mailbox)) == [(uid, reply(1))]
    mark_seen(replace(config, mailbox=mailbox), [uid])
    assert imap_server.seen(uid, mailbox=mailbox)


# -- failures ----------------------------------------------------------------------------


def test_a_wrong_password_raises_a_login_error_without_the_password(
    imap_server: ImapServer,
) -> None:
    config = config_for(imap_server, password="not-the-password")

    with pytest.raises(MailboxError) as raised:
        fetch_unseen(config)

    assert raised.value.kind == "login"
    assert "refused the login for user 'replies@agency.example'" in str(raised.value)
    assert "AUTHENTICATIONFAILED" in str(raised.value)
    assert "not-the-password" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert imap_server.commands[-1] == "LOGOUT"


def test_a_missing_mailbox_raises_a_mailbox_error_naming_it(
    imap_server: ImapServer,
) -> None:
    config = config_for(imap_server, mailbox="Replies")

    with pytest.raises(MailboxError, match="mailbox 'Replies' is missing") as raised:
        fetch_unseen(config)

    assert raised.value.kind == "mailbox"
    assert PASSWORD not in str(raised.value)
    assert imap_server.commands[-1] == "LOGOUT"


def test_a_refused_connection_raises_a_connection_error(refused_port: int) -> None:
    config = ImapConfig("127.0.0.1", refused_port, "u", "s3cret", ssl=False)

    with pytest.raises(MailboxError, match="cannot connect to IMAP server 127.0.0.1") as raised:
        fetch_unseen(config)

    assert raised.value.kind == "connection"


def test_a_server_that_never_answers_times_out(silent_port: int) -> None:
    config = ImapConfig("127.0.0.1", silent_port, "u", "s3cret", ssl=False, timeout=0.2)

    with pytest.raises(MailboxError, match="timed out") as raised:
        mark_seen(config, ["1"])

    assert raised.value.kind == "connection"


# -- TLS ---------------------------------------------------------------------------------


def test_imaps_reads_and_marks_over_tls(tls: SelfSignedTls) -> None:
    with ImapServer("u", PASSWORD, ssl_context=tls.server_context) as server:
        uid = server.deliver(reply(1))
        config = ImapConfig.from_url(server.url)
        assert config.ssl

        assert fetch_unseen(config, ssl_context=tls.client_context) == [(uid, reply(1))]
        mark_seen(config, [uid], ssl_context=tls.client_context)
        assert server.seen(uid)


def test_imaps_refuses_a_certificate_it_does_not_trust(tls: SelfSignedTls) -> None:
    with ImapServer("u", PASSWORD, ssl_context=tls.server_context) as server:
        server.deliver(reply(1))

        with pytest.raises(MailboxError, match="TLS with IMAP server") as raised:
            fetch_unseen(ImapConfig.from_url(server.url))

        assert raised.value.kind == "tls"
        assert server.commands == []


def test_starttls_upgrades_the_connection_before_logging_in(tls: SelfSignedTls) -> None:
    with ImapServer("u", PASSWORD, ssl_context=tls.server_context, starttls=True) as server:
        uid = server.deliver(reply(1))
        config = ImapConfig.from_url(server.url)
        assert config.starttls

        assert fetch_unseen(config, ssl_context=tls.client_context) == [(uid, reply(1))]
        assert server.commands[:4] == ["CAPABILITY", "STARTTLS", "CAPABILITY", "LOGIN"]


def test_starttls_refuses_to_log_in_when_the_server_does_not_offer_it(
    imap_server: ImapServer,
) -> None:
    config = config_for(imap_server, starttls=True)

    with pytest.raises(MailboxError, match="does not offer STARTTLS") as raised:
        fetch_unseen(config)

    assert raised.value.kind == "tls"
    assert "LOGIN" not in imap_server.commands


# -- the test server itself, as imaplib sees it ------------------------------------------


@pytest.fixture
def client(imap_server: ImapServer) -> Iterator[imaplib.IMAP4]:
    connection = imaplib.IMAP4("127.0.0.1", imap_server.port, timeout=5)
    connection.login('"replies@agency.example"', PASSWORD)
    yield connection
    connection.logout()


def test_server_rfc822_marks_seen_and_body_peek_does_not(
    imap_server: ImapServer,
    client: imaplib.IMAP4,
) -> None:
    peeked, read = imap_server.deliver(reply(1)), imap_server.deliver(reply(2))
    client.select("INBOX")

    client.uid("FETCH", peeked, "(BODY.PEEK[])")
    typ, data = client.uid("FETCH", read, "(RFC822)")

    assert typ == "OK" and data[0][1] == reply(2)
    assert (imap_server.seen(peeked), imap_server.seen(read)) == (False, True)


def test_server_examine_is_read_only(
    imap_server: ImapServer,
    client: imaplib.IMAP4,
) -> None:
    uid = imap_server.deliver(reply(1))
    client.select("INBOX", readonly=True)

    client.uid("FETCH", uid, "(RFC822)")
    typ, _ = client.uid("STORE", uid, "+FLAGS", "(\\Seen)")

    assert typ == "NO"
    assert not imap_server.seen(uid)


def test_server_understands_sequence_sets(
    imap_server: ImapServer,
    client: imaplib.IMAP4,
) -> None:
    for n in range(1, 7):
        imap_server.deliver(reply(n))
    client.select("INBOX")

    client.store("1,3:4,6:*", "+FLAGS.SILENT", "(\\Seen)")

    assert client.uid("SEARCH", "UNSEEN") == ("OK", [b"2 5"])
    assert client.search(None, "ALL") == ("OK", [b"1 2 3 4 5 6"])


def test_server_answers_unknown_commands_with_bad(client: imaplib.IMAP4) -> None:
    with pytest.raises(imaplib.IMAP4.error, match="unknown command"):
        client.xatom("XYZZY")
