"""Revocation by any reasonable means (FCC 24-24): the wording read as "stop messaging me",
the same words in another sense left alone, and which channels a revocation covers."""

from __future__ import annotations

import pytest

from referral_engine.replies.classify import ReplyClass, classify
from referral_engine.replies.opt_out import asks_to_stop, keyword, normalize, revoked_channels


@pytest.mark.parametrize(
    "text",
    [
        # the seven words, anywhere they revoke
        "Cancel these messages",
        "please end these texts",
        "revoke my consent",
        "I want to opt out",
        "quit sending",
        # misspelled
        "stpo",
        "unsubscibe",
        "opt oot",
        "stop txting me",
        "remvoe me",
        # Spanish
        "No más",
        "no mas mensajes",
        "basta",
        "cancelar",
        "alto",
        "ya no me manden mensajes",
        # plain
        "no more texts",
        "take me off",
        "don't contact me again",
        "lose my number",
        "I'm not interested, stop",
    ],
)
def test_wording_that_asks_us_to_stop_is_an_opt_out(text: str) -> None:
    assert asks_to_stop(text) or keyword(text) == "opt_out"
    assert classify(text).kind == ReplyClass.opt_out


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I'll stop by Tuesday", ReplyClass.neutral),
        ("we had to cancel the old policy — my neighbor Jim needs a quote", ReplyClass.hot),
        ("the end of the month works", ReplyClass.neutral),
        ("can't stop thinking how easy this was", ReplyClass.neutral),
        ("quit my job, need new coverage", ReplyClass.neutral),
        ("Take me off the auto policy, my son has his own now", ReplyClass.neutral),
        ("Don't stop sending me the tips, they're great", ReplyClass.neutral),
    ],
)
def test_the_words_in_another_sense_stay_what_they_are(text: str, kind: ReplyClass) -> None:
    assert asks_to_stop(text) is None
    assert classify(text).kind == kind


@pytest.mark.parametrize("word", ["REVOKE", "optout", "Stop.", "STOPALL"])
def test_twilios_opt_out_keywords_are_keywords(word: str) -> None:
    assert keyword(word) == "opt_out"


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Stpo txting me pls", "stop texting me please"),
        ("unsubscibe", "unsubscribe"),
        ("opt oot", "opt out"),
        ("remvoe me", "remove me"),
        ("STOOOOP", "stop"),
        ("No más", "no mas"),
    ],
)
def test_misspellings_are_read_as_the_word_they_miss(written: str, read: str) -> None:
    assert normalize(written) == read


@pytest.mark.parametrize("word", ["step", "shop", "quite", "cancer", "testing", "and"])
def test_real_words_next_to_a_keyword_are_not_corrected(word: str) -> None:
    assert normalize(word) == word


@pytest.mark.parametrize(
    ("text", "arrived_on", "channels"),
    [
        ("STOP", "sms", {"sms"}),
        ("no more texts please", "sms", {"sms"}),
        ("remove me", "email", {"email"}),
        ("stop emailing me", "email", {"email"}),
        ("stop emailing me", "sms", {"email"}),
        ("no more texts please", "email", {"sms"}),
        ("Stop all messages", "sms", {"sms", "email"}),
        ("STOPALL", "sms", {"sms", "email"}),
        ("don't contact me at all", "email", {"sms", "email"}),
        ("Stop all texts and emails", "sms", {"sms", "email"}),
        ("unsubscribe me from everything", "sms", {"sms", "email"}),
        ("Remove me from all future emails.", "email", {"email"}),
        ("Stop texting me. My cousin's email is rosa@example.com", "sms", {"sms"}),
    ],
)
def test_a_revocation_covers_the_channels_it_names_else_the_one_it_came_on(
    text: str, arrived_on: str, channels: set[str]
) -> None:
    assert revoked_channels(text, arrived_on=arrived_on) == channels


def test_a_reply_that_says_stop_and_names_a_referral_is_an_opt_out_that_keeps_the_referral() -> (
    None
):
    reading = classify(
        "Stop texting me. My cousin Rosa Diaz 312-555-0133 wants a home quote though"
    )
    assert reading.kind == ReplyClass.opt_out
    assert reading.offers_referral
    assert [(p.first_name, p.mobile) for p in reading.prospects] == [("Rosa", "+13125550133")]


def test_a_plain_opt_out_names_nobody() -> None:
    reading = classify("no more texts please")
    assert reading.kind == ReplyClass.opt_out
    assert not reading.offers_referral and reading.prospects == ()
