"""Composing the ask email: headers, both parts, the footer, and what compose refuses."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import cast

import pytest

from referral_engine.delivery.email import AskEmail, NoPostalAddress, compose, message_id_for

NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
TOKEN = "q3Zk_8vR-2mXw9LpTt4aBc"
LINK = f"https://referrals.ortiz-insurance.example/r/{TOKEN}"
UNSUBSCRIBE = f"https://referrals.ortiz-insurance.example/u/{TOKEN}"

ASK = AskEmail(
    to="Dana Reyes <dana@example.com>",
    mail_from="Sam Ortiz <sam@ortiz-insurance.example>",
    reply_to=f"reply+{TOKEN}@replies.ortiz-insurance.example",
    subject="Thanks for trusting us with your auto policy",
    body=(
        "Hi Dana,\n\n"
        "Thanks for trusting us with your auto policy.\n"
        f"Know someone who should hear from us? {LINK}\n\n"
        "Sam Ortiz\nOrtiz Insurance"
    ),
    unsubscribe_url=UNSUBSCRIBE,
    unsubscribe_mailto=f"unsubscribe+{TOKEN}@replies.ortiz-insurance.example",
    postal_address="100 Main St\nSpringfield, IL 62701",
    agency_name="Ortiz Insurance",
    message_id_domain="ortiz-insurance.example",
    ask_token=TOKEN,
    link=LINK,
)


def wire(ask: AskEmail = ASK) -> EmailMessage:
    """The composed message as a receiver parses it from the bytes on the wire."""
    raw = compose(ask, now=NOW).as_bytes()
    return cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))


def text_part(message: EmailMessage) -> str:
    return _part(message, "plain")


def html_part(message: EmailMessage) -> str:
    return _part(message, "html")


def _part(message: EmailMessage, subtype: str) -> str:
    """A part's decoded text with the wire's CRLF line ends as LF."""
    part = message.get_body((subtype,))
    assert part is not None
    return str(cast(EmailMessage, part).get_content()).replace("\r\n", "\n")


def test_message_id_is_the_same_for_every_retry_of_an_ask() -> None:
    assert message_id_for(TOKEN, "ortiz-insurance.example") == (
        f"<ask-{TOKEN}@ortiz-insurance.example>"
    )
    assert message_id_for(TOKEN, "a.example") == message_id_for(TOKEN, "a.example")
    assert (
        wire()["Message-ID"]
        == wire()["Message-ID"]
        == message_id_for(TOKEN, "ortiz-insurance.example")
    )


@pytest.mark.parametrize(
    ("token", "domain"),
    [("a b", "x.example"), ("a>b", "x.example"), ("ok", "x .example"), ("", "x")],
)
def test_message_id_refuses_tokens_and_domains_that_would_break_the_header(
    token: str, domain: str
) -> None:
    with pytest.raises(ValueError):
        message_id_for(token, domain)


def test_headers_carry_sender_recipient_reply_address_and_date() -> None:
    message = wire()
    assert message["From"] == "Sam Ortiz <sam@ortiz-insurance.example>"
    assert message["To"] == "Dana Reyes <dana@example.com>"
    assert message["Reply-To"] == f"reply+{TOKEN}@replies.ortiz-insurance.example"
    assert message["Subject"] == "Thanks for trusting us with your auto policy"
    assert message["Date"].datetime == NOW
    assert message["X-Referral-Ask"] == TOKEN


def test_date_keeps_the_offset_of_now() -> None:
    chicago = NOW.astimezone(timezone(timedelta(hours=-6)))
    message = compose(ASK, now=chicago)
    assert message["Date"].endswith("-0600")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compose(ASK, now=NOW.replace(tzinfo=None))


def test_list_unsubscribe_names_the_https_and_mailto_addresses_literally() -> None:
    message = wire()
    assert message["List-Unsubscribe"] == (
        f"<{UNSUBSCRIBE}>, <mailto:unsubscribe+{TOKEN}@replies.ortiz-insurance.example>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_long_unsubscribe_urls_are_folded_between_uris_never_encoded() -> None:
    long_token = "x" * 40
    ask = replace(
        ASK,
        unsubscribe_url=f"https://referrals.a-rather-long-agency-name.example/u/{long_token}",
        unsubscribe_mailto=f"mailto:unsubscribe+{long_token}@a-rather-long-agency-name.example",
    )
    raw = compose(ask, now=NOW).as_bytes()
    header = raw.split(b"List-Unsubscribe:")[1].split(b"List-Unsubscribe-Post")[0]
    assert b"=?" not in header
    assert wire(ask)["List-Unsubscribe"] == f"<{ask.unsubscribe_url}>, <{ask.unsubscribe_mailto}>"


def test_auto_submitted_is_not_set_on_a_personal_message() -> None:
    assert "Auto-Submitted" not in wire()


def test_message_is_plain_text_and_html_alternatives() -> None:
    message = wire()
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_plain_part_is_the_approved_body_then_the_footer() -> None:
    assert text_part(wire()) == (
        f"{ASK.body}\n\n"
        "Ortiz Insurance\n100 Main St\nSpringfield, IL 62701\n"
        f"Unsubscribe: {UNSUBSCRIBE}\n"
    )


def test_html_part_has_paragraphs_line_breaks_and_the_footer() -> None:
    html = html_part(wire())
    assert "<p>Hi Dana,</p>" in html
    assert "Thanks for trusting us with your auto policy.<br>" in html
    assert "100 Main St<br>\nSpringfield, IL 62701" in html
    assert f'<a href="{UNSUBSCRIBE}">Unsubscribe</a>' in html


def test_html_part_escapes_markup_in_the_body() -> None:
    ask = replace(ASK, body="Hi <script>alert('x')</script> & welcome")
    html = html_part(wire(ask))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; welcome" in html


def test_only_the_tracked_link_is_clickable() -> None:
    ask = replace(
        ASK,
        body=f"Tell us here: {LINK}. Or see https://evil.example/steal and {LINK}.evil.example",
    )
    html = html_part(wire(ask))
    assert f'<a href="{LINK}">{LINK}</a>.' in html
    assert 'href="https://evil.example' not in html
    assert html.count("<a href=") == 2  # the tracked link and the unsubscribe link


def test_without_a_tracked_link_no_body_url_is_clickable() -> None:
    html = html_part(wire(replace(ASK, link=None)))
    assert html.count("<a href=") == 1
    assert LINK in html


def test_non_ascii_names_and_subject_are_encoded_and_survive() -> None:
    ask = replace(
        ASK,
        to="Zoë Ångström <zoe@example.com>",
        subject="Merci, Zoë — one quick question",
        body="Hi Zoë,\n\nThanks!",
        agency_name="Ortiz & Söhne",
    )
    raw = compose(ask, now=NOW).as_bytes()
    assert raw.isascii()
    message = wire(ask)
    assert message["To"] == "Zoë Ångström <zoe@example.com>"
    assert message["Subject"] == "Merci, Zoë — one quick question"
    assert text_part(message).startswith("Hi Zoë,")
    assert "Ortiz &amp; Söhne" in html_part(message)


def test_a_bare_sender_address_is_shown_with_the_agency_name() -> None:
    message = wire(replace(ASK, mail_from="asks@ortiz-insurance.example"))
    assert message["From"] == "Ortiz Insurance <asks@ortiz-insurance.example>"


@pytest.mark.parametrize("postal_address", ["", "   ", "\n"])
def test_no_email_without_the_agencys_postal_address(postal_address: str) -> None:
    with pytest.raises(NoPostalAddress, match="postal address is unset"):
        compose(replace(ASK, postal_address=postal_address), now=NOW)


@pytest.mark.parametrize(
    "field",
    ["to", "mail_from", "reply_to", "subject", "agency_name", "unsubscribe_url"],
)
@pytest.mark.parametrize("injection", ["\r\nBcc: victim@example.com", "\nBcc: x@example.com"])
def test_line_breaks_in_header_values_are_refused(field: str, injection: str) -> None:
    value = getattr(ASK, field) + injection
    with pytest.raises(ValueError, match="line break"):
        compose(replace(ASK, **{field: value}), now=NOW)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "not an address"),
        ("to", "a@example.com, b@example.com"),
        ("reply_to", ""),
        ("unsubscribe_url", "javascript:alert(1)"),
        ("unsubscribe_url", "https://x.example/u/a b"),
        ("unsubscribe_mailto", "mailto:"),
    ],
)
def test_malformed_addresses_and_urls_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValueError):
        compose(replace(ASK, **{field: value}), now=NOW)
