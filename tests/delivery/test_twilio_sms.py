"""The Twilio SMS adapter, through the real ``twilio`` client against a local Twilio double."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from referral_engine import clock
from referral_engine.delivery.channels import SendFailed
from referral_engine.delivery.twilio_sms import ApiBaseHttpClient, TwilioSms, validate_signature
from tests.twilio_double import TwilioDouble

FROM = "+13125550100"
TO = "+13125550123"
SERVICE_SID = "MG" + "a1" * 16
CALLBACK = "https://agency.example/hooks/twilio/status"
BODY = "Dana, glad the new policy is in place. Know anyone who'd like the same care? r.ex/a1"


def sms_for(double: TwilioDouble, *, from_: str = FROM, auth_token: str | None = None) -> TwilioSms:
    return TwilioSms(
        account_sid=double.account_sid,
        auth_token=auth_token or double.auth_token,
        from_=from_,
        api_base=double.base_url,
    )


@pytest.fixture
def sms(twilio_double: TwilioDouble) -> TwilioSms:
    return sms_for(twilio_double)


def failure_of(sms: TwilioSms) -> SendFailed:
    with pytest.raises(SendFailed) as raised:
        sms.send(to=TO, body=BODY, status_callback=CALLBACK)
    return raised.value


def test_send_posts_to_from_body_and_status_callback_and_returns_the_sid(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    sent = sms.send(to=TO, body=BODY, status_callback=CALLBACK)

    [message] = twilio_double.messages
    assert (message["to"], message["from"], message["body"]) == (TO, FROM, BODY)
    assert message["status_callback"] == CALLBACK
    assert sent.provider_id == message["sid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.provider_id)
    assert sent.detail == "queued"


def test_send_authenticates_with_basic_auth_as_the_account(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    sms.send(to=TO, body=BODY, status_callback=CALLBACK)

    [request] = twilio_double.requests
    assert (request.method, request.path) == (
        "POST",
        f"/2010-04-01/Accounts/{twilio_double.account_sid}/Messages.json",
    )
    assert (request.username, request.password) == (
        twilio_double.account_sid,
        twilio_double.auth_token,
    )
    assert request.params == {"To": TO, "From": FROM, "Body": BODY, "StatusCallback": CALLBACK}


def test_a_messaging_service_sid_goes_as_messaging_service_sid_not_from(
    twilio_double: TwilioDouble,
) -> None:
    sms_for(twilio_double, from_=SERVICE_SID).send(to=TO, body=BODY, status_callback=None)

    [request] = twilio_double.requests
    assert request.params == {"To": TO, "MessagingServiceSid": SERVICE_SID, "Body": BODY}
    [message] = twilio_double.messages
    assert (message["from"], message["messaging_service_sid"]) == (None, SERVICE_SID)


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (429, 20429, True),
        (500, 20500, True),
        (503, 20503, True),
        (400, 21611, True),  # the sender's queue is full: it drains
        (400, 21610, False),  # recipient replied STOP
        (400, 21211, False),  # invalid 'To' number
        (400, 21614, False),  # not a mobile number
        (400, 21408, False),  # region not enabled
        (400, 30006, False),  # landline or unreachable carrier
        (403, 20403, False),
    ],
)
def test_twilio_refusals_are_transient_or_permanent_with_twilio_s_code(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
    status: int,
    code: int,
    transient: bool,
) -> None:
    twilio_double.fail_next(status, code, "Twilio says no")

    failure = failure_of(sms)

    assert (failure.transient, failure.code) == (transient, str(code))
    assert "Twilio says no" in failure.reason


def test_an_error_without_a_twilio_code_carries_no_code(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    twilio_double.fail_next(502, 502, "Bad Gateway")

    failure = failure_of(sms)

    assert (failure.transient, failure.code) == (True, None)


def test_a_wrong_auth_token_is_refused_for_good_with_code_20003(
    twilio_double: TwilioDouble,
) -> None:
    failure = failure_of(sms_for(twilio_double, auth_token="not-the-token"))

    assert (failure.transient, failure.code) == (False, "20003")
    assert twilio_double.messages == []


def test_a_stopped_twilio_refusing_connections_is_transient(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    twilio_double.stop()

    failure = failure_of(sms)

    assert failure.transient
    assert failure.code is None


def test_a_closed_port_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sms = TwilioSms(
        account_sid="AC" + "0" * 32,
        auth_token="t" * 32,
        from_=FROM,
        api_base=f"http://127.0.0.1:{port}",
    )

    assert failure_of(sms).transient


def test_a_text_accepted_before_the_answer_was_lost_is_reported_sent_not_retried(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    twilio_double.drop_next()

    sent = sms.send(to=TO, body=BODY, status_callback=CALLBACK)

    [message] = twilio_double.messages
    assert sent.provider_id == message["sid"]


def test_fetch_status_reads_the_status_twilio_holds_now(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    sid = sms.send(to=TO, body=BODY, status_callback=CALLBACK).provider_id
    assert sms.fetch_status(sid) == "queued"

    twilio_double.set_status(sid, "delivered")

    assert sms.fetch_status(sid) == "delivered"


def test_fetch_status_of_a_message_twilio_does_not_know_is_none(sms: TwilioSms) -> None:
    assert sms.fetch_status("SM" + "0" * 32) is None


def test_fetch_status_that_cannot_ask_twilio_raises_transient(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    twilio_double.fail_next(503, 20503, "Service unavailable")

    with pytest.raises(SendFailed) as raised:
        sms.fetch_status("SM" + "0" * 32)

    assert raised.value.transient


def test_find_sent_finds_a_text_still_queued_by_a_marker_in_its_body(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    since = clock.wall()
    sms.send(to="+13125550999", body="someone else r.ex/a1", status_callback=None)
    sid = sms.send(to=TO, body=BODY, status_callback=CALLBACK).provider_id

    assert sms.find_sent(TO, "r.ex/a1", since) == sid
    assert sms.find_sent(TO, BODY, since) == sid


def test_find_sent_ignores_other_recipients_and_other_bodies(sms: TwilioSms) -> None:
    since = clock.wall()
    sms.send(to=TO, body=BODY, status_callback=CALLBACK)

    assert sms.find_sent("+13125550999", "r.ex/a1", since) is None
    assert sms.find_sent(TO, "r.ex/zz", since) is None


def test_find_sent_ignores_texts_created_before_since(sms: TwilioSms) -> None:
    sms.send(to=TO, body=BODY, status_callback=CALLBACK)

    assert sms.find_sent(TO, BODY, clock.wall() + timedelta(hours=1)) is None


def test_find_sent_that_cannot_ask_twilio_raises_instead_of_answering_none(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    twilio_double.fail_next(429, 20429, "Too Many Requests")

    with pytest.raises(SendFailed) as raised:
        sms.find_sent(TO, BODY, clock.wall())

    assert (raised.value.transient, raised.value.code) == (True, "20429")


def test_the_double_pages_like_twilio_and_the_client_follows_next_page_through_api_base(
    twilio_double: TwilioDouble,
) -> None:
    sms = sms_for(twilio_double)
    sids = [sms.send(to=TO, body=f"text {n}", status_callback=None).provider_id for n in range(5)]
    client = Client(
        twilio_double.account_sid,
        twilio_double.auth_token,
        http_client=ApiBaseHttpClient(twilio_double.base_url),
    )

    listed = [m.sid for m in client.messages.list(to=TO, page_size=2)]

    assert listed == list(reversed(sids))
    pages = [r for r in twilio_double.requests if r.method == "GET"]
    assert [r.params.get("Page", "0") for r in pages] == ["0", "1", "2"]


def test_the_double_filters_date_sent_like_twilio_skipping_unsent_texts(
    sms: TwilioSms,
    twilio_double: TwilioDouble,
) -> None:
    since = clock.wall() - timedelta(minutes=1)
    queued = sms.send(to=TO, body="queued", status_callback=None).provider_id
    delivered = sms.send(to=TO, body="delivered", status_callback=None).provider_id
    twilio_double.set_status(delivered, "delivered")
    client = Client(
        twilio_double.account_sid,
        twilio_double.auth_token,
        http_client=ApiBaseHttpClient(twilio_double.base_url),
    )

    listed = [m.sid for m in client.messages.list(to=TO, date_sent_after=since)]

    assert listed == [delivered]
    assert queued not in listed


def test_validate_signature_accepts_twilio_s_own_signature() -> None:
    url = "https://agency.example/hooks/twilio/sms"
    params = {"From": TO, "To": FROM, "Body": "Yes, my neighbor Sam", "MessageSid": "SM" + "1" * 32}
    signature = RequestValidator("secret-token").compute_signature(url, params)

    assert validate_signature(url, params, signature, "secret-token")


@pytest.mark.parametrize(
    ("signature_token", "checked_token", "tamper"),
    [
        ("other-token", "secret-token", False),  # signed with another account's token
        ("secret-token", "secret-token", True),  # body changed after signing
        ("", "", False),  # no token configured: never valid
    ],
)
def test_validate_signature_refuses_a_forged_signature(
    signature_token: str, checked_token: str, tamper: bool
) -> None:
    url = "https://agency.example/hooks/twilio/sms"
    params = {"From": TO, "Body": "STOP"}
    signature = RequestValidator(signature_token).compute_signature(url, params)
    if tamper:
        params = {**params, "Body": "START"}

    assert not validate_signature(url, params, signature, checked_token)


def test_an_empty_signature_is_never_valid() -> None:
    assert not validate_signature("https://agency.example/hooks/twilio/sms", {}, "", "token")


def test_twilio_sms_refuses_missing_credentials_rather_than_reading_twilio_env() -> None:
    with pytest.raises(ValueError, match="account_sid, auth_token and from_"):
        TwilioSms(account_sid="", auth_token="token", from_=FROM)
