"""Reading replies: the class, the reason, the people named; over the labeled set and by rule."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from referral_engine.replies import classify as entry
from referral_engine.replies.classify import (
    Prospect,
    ReplyClass,
    classify,
    extract_prospects,
    is_auto_reply,
    keyword,
    strip_quoted,
)
from referral_engine.replies.quality import (
    LABELED_AGENCY_DOMAINS,
    by_split,
    format_splits,
    load,
    newest_split,
    predict,
    quality,
    scores,
    split_of,
)

LABELED = load(Path(__file__).parent.parent / "data" / "replies.jsonl")
AGENCY = ("agency.example.com",)
# The newest batch is measured, not tuned on (until the next batch is written and this one
# becomes fair game). Its rows that read right today are plain tests, so a regression fails.
# The rows it misses today are listed below by test id, with what they read as, and are
# strict xfails: a rule change that fixes one makes it XPASS, which fails the run and says
# to delete its line here. The lists are written down, not computed from today's classifier
# at collection: a computed list would agree with any classifier, and no test could fail.
UNTUNED = newest_split(LABELED)
MISREAD_TODAY = {
    "314-Honestly_the_last_thing_I_want_to_do_rig": "interested",
    "315-Your_billing_department_sent_my_account": "neutral",
    "316-i_asked_3_weeks_ago_to_update_my_mailing": "neutral",
    "317-Third_person_I_ve_talked_to_at_your_offi": "neutral",
    "319-Sorry_but_no_the_way_Linda_spoke_to_my": "neutral",
    "320-I_pay_you_guys_almost_3k_a_year_and_I_c": "neutral",
    "322-Hi_I_d_appreciate_it_if_you_stopped_as": "neutral",
    "323-How_is_it_that_my_agent_changed_and_I_fo": "neutral",
    "326-My_mother_in_law_is_unhappy_with_her_hom": "complaint",
    "330-Can_my_son_call_you_He_s_22_and_just_bo": "neutral",
    "332-Sure_what_kind_of_insurance_do_you_need": "neutral",
    "335-Absolutely_I_always_tell_people_about_y": "neutral",
}
PROSPECTS_MISSED_TODAY = {
    "331-a_guy_I_work_with_Marcus_got_a_crazy_q": "the mobile but not the name Marcus",
}


def labeled(label: str, misses: Mapping[str, str] = MISREAD_TODAY) -> list[Any]:
    """The labeled rows of one class, each with a readable test id; a row in ``misses``
    is a strict xfail."""
    params = []
    for number, row in enumerate(LABELED):
        if row["label"] != label:
            continue
        test_id = _test_id(number, row)
        marks = []
        if test_id in misses:
            reason = f"{UNTUNED} is measured, not tuned on; today it gives {misses[test_id]}"
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        params.append(pytest.param(row, id=test_id, marks=marks))
    return params


def _test_id(number: int, row: dict[str, Any]) -> str:
    return f"{number:03d}-{_slug(row['text'])}"


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text[:40]).strip("_")


# --- the labeled set, class by class ---------------------------------------------------


@pytest.mark.parametrize("row", labeled("hot"))
def test_a_reply_offering_someone_reads_as_hot(row: dict[str, Any]) -> None:
    assert predict(row) == ReplyClass.hot


@pytest.mark.parametrize("row", labeled("interested"))
def test_a_reply_open_to_referring_but_naming_nobody_yet_reads_as_interested(
    row: dict[str, Any],
) -> None:
    assert predict(row) == ReplyClass.interested


@pytest.mark.parametrize("row", labeled("complaint"))
def test_an_unhappy_reply_reads_as_a_complaint(row: dict[str, Any]) -> None:
    assert predict(row) == ReplyClass.complaint


@pytest.mark.parametrize("row", labeled("opt_out"))
def test_a_stop_keyword_or_unsubscribe_wording_reads_as_opt_out(row: dict[str, Any]) -> None:
    assert predict(row) == ReplyClass.opt_out


@pytest.mark.parametrize("row", labeled("auto_reply"))
def test_a_machine_written_reply_reads_as_auto_reply(row: dict[str, Any]) -> None:
    assert predict(row) == ReplyClass.auto_reply


@pytest.mark.parametrize("row", labeled("neutral"))
def test_a_reply_with_nothing_to_act_on_reads_as_neutral(row: dict[str, Any]) -> None:
    assert predict(row) == ReplyClass.neutral


@pytest.mark.parametrize(
    "row",
    [
        p
        for p in labeled("hot", PROSPECTS_MISSED_TODAY)
        + labeled("complaint", PROSPECTS_MISSED_TODAY)
        if p.values[0].get("prospects")
    ],
)
def test_the_people_a_labeled_reply_names_are_extracted(row: dict[str, Any]) -> None:
    reading = classify(
        row["text"],
        headers=row.get("headers"),
        client_name=row.get("client_name"),
        agency_domains=LABELED_AGENCY_DOMAINS,
    )
    found = [{k: v for k, v in vars(p).items() if v is not None} for p in reading.prospects]
    for expected in row["prospects"]:
        assert any(expected.items() <= person.items() for person in found), (expected, found)


def test_the_labeled_set_is_big_and_varied_enough_to_mean_something() -> None:
    counts = {kind: sum(row["label"] == kind for row in LABELED) for kind in ReplyClass}
    assert len(LABELED) >= 100
    assert counts["hot"] >= 25 and counts["complaint"] >= 12 and counts["opt_out"] >= 10
    assert counts["auto_reply"] >= 10 and counts["interested"] >= 15 and counts["neutral"] >= 15
    held_out = sum(row.get("split", "dev") != "dev" for row in LABELED)
    assert held_out >= len(LABELED) // 5


def test_hot_and_complaint_precision_is_at_least_0_9_over_the_whole_labeled_set() -> None:
    # Precision is the promise: "hot" means call now, "complaint" means a person repairs the
    # relationship. It is held here over the whole set (hot 1.00, complaint 0.98), not promised
    # for unseen wording: on the untuned holdout_7 complaint precision measured 0.67 (2 of 3);
    # see referral_engine/replies/quality.py.
    result = quality(LABELED)
    for kind in ("hot", "complaint"):
        assert result[kind]["precision"] >= 0.9, (kind, result[kind])


def test_hot_and_complaint_precision_and_recall_are_at_least_0_9_over_the_tuned_splits() -> None:
    # Recall on the untuned batch is what a fresh batch measures; the split report shows it.
    result = quality([row for row in LABELED if split_of(row) != UNTUNED])
    for kind in ("hot", "complaint"):
        assert result[kind]["precision"] >= 0.9, (kind, result[kind])
        assert result[kind]["recall"] >= 0.9, (kind, result[kind])


def test_each_split_is_reported_and_none_reads_worse_than_the_first_holdouts_did() -> None:
    # 0.6: below the 0.62-0.74 the first five held-out batches scored before any tuning.
    report = by_split(LABELED)
    table = format_splits(report)
    print(f"\nreply quality by split (untuned: {UNTUNED})\n{table}")
    assert {q.split for q in report} == {split_of(row) for row in LABELED}
    assert all(q.accuracy >= 0.6 for q in report), table


def test_the_expected_misses_are_rows_of_the_untuned_batch() -> None:
    # Once a newer batch is written, this one is tuned on: its misses are then fixed, not
    # carried over as xfails (and a misspelt id would mark nothing).
    untuned = {_test_id(n, row) for n, row in enumerate(LABELED) if split_of(row) == UNTUNED}
    assert set(MISREAD_TODAY) <= untuned, set(MISREAD_TODAY) - untuned
    assert set(PROSPECTS_MISSED_TODAY) <= untuned, set(PROSPECTS_MISSED_TODAY) - untuned


def test_the_newest_holdout_is_the_untuned_one() -> None:
    rows = [{"split": "dev"}, {"split": "holdout_2"}, {"split": "holdout_10"}, {}]
    assert newest_split(rows) == "holdout_10"
    assert newest_split([{"split": "dev"}]) is None


def test_scores_are_computed_from_the_confusion_matrix() -> None:
    counts = {
        "hot": {"hot": 8, "neutral": 2},
        "neutral": {"hot": 2, "neutral": 6},
    }
    result = scores(counts)
    assert result["hot"]["precision"] == pytest.approx(0.8)
    assert result["hot"]["recall"] == pytest.approx(0.8)
    assert result["neutral"]["recall"] == pytest.approx(0.75)
    assert result["neutral"]["support"] == 8


# --- the public entry -------------------------------------------------------------------


def test_the_classify_module_still_exports_everything_it_did_before_the_split() -> None:
    names = {
        "ReplyClass",
        "Prospect",
        "Reading",
        "strip_quoted",
        "is_auto_reply",
        "OPT_OUT_WORDS",
        "OPT_IN_WORDS",
        "HELP_WORDS",
        "keyword",
        "extract_prospects",
        "classify",
    }
    assert names <= set(entry.__all__)
    assert all(hasattr(entry, name) for name in names)


# --- complaints in wording the labeled set does not hold -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Your website has been down for three days and I can't pay my bill",
        "Why does it take two weeks to get a simple certificate from you?",
        "I've been with you for 12 years and this is how you treat me?",
        "I'm switching to a company that answers the phone",
        "I'm switching to Geico at renewal",
        "you texted my work phone during a meeting. please be more careful",
        "Not cool that my rates went up right after an accident that wasn't my fault",
        "I'm disappointed nobody reached out when my husband passed",
        "Nobody ever called me back about my windshield. Not sending anyone your way.",
        "ugh, yet another email asking for stuff",
    ],
)
def test_a_grievance_in_new_wording_reads_as_a_complaint(text: str) -> None:
    assert classify(text).kind == ReplyClass.complaint


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("My coworker got hit with a huge fee by his carrier and wants to switch", "hot"),
        ("my brother's premium keeps going up, can he call you?", "hot"),
        ("Her agent hung up on her twice, she's done with them. Jenna Park 312-555-0112", "hot"),
        ("Sure, I'll send another text with her email. My aunt needs renters insurance", "hot"),
        ("My cousin lost everything in an awful fire and needs a homeowners policy", "hot"),
        ("Did my rate go up this year? Just curious", "neutral"),
        ("Is there a late fee if I pay on Friday?", "neutral"),
        ("Bad day to ask lol, I'm slammed", "neutral"),
        ("I'm in the hospital this week, terrible timing, will reply later", "neutral"),
        ("No complaints here, just don't know anyone", "neutral"),
        ("Not bad at all, thanks for checking in", "neutral"),
        ("I'm done with the paperwork, sent it back yesterday", "neutral"),
        ("Thanks for fixing the mistake on my ID cards so fast!", "neutral"),
    ],
)
def test_complaint_words_about_someone_else_or_negated_or_asked_are_not_a_complaint(
    text: str, kind: str
) -> None:
    assert classify(text).kind == kind


# --- the order of the questions ----------------------------------------------------------


def test_an_out_of_office_naming_a_colleague_is_an_auto_reply_and_names_no_prospect() -> None:
    reading = classify(
        "I am out of the office until Monday. For urgent matters call Rachel Green "
        "at 312-555-0190.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert reading.kind == ReplyClass.auto_reply
    assert reading.prospects == ()


def test_stop_wins_over_a_complaint_in_the_same_message() -> None:
    assert classify("Stop texting me, this is spam").kind == ReplyClass.opt_out


def test_a_reply_that_complains_and_names_someone_is_a_complaint_that_keeps_the_name() -> None:
    reading = classify(
        "My neighbor Maria Lopez asked about you but after how my claim was handled I can't "
        "recommend you."
    )
    assert reading.kind == ReplyClass.complaint
    assert [p.first_name for p in reading.prospects] == ["Maria"]


def test_negative_words_about_someone_elses_agent_are_the_referral_not_a_complaint() -> None:
    reading = classify("my neighbor Maria Lopez hates her agent, terrible service. 312-555-0142")
    assert reading.kind == ReplyClass.hot


def test_a_hot_reply_explains_whom_it_names() -> None:
    reading = classify("my neighbor Maria Lopez needs a quote, 312-555-0100")
    assert reading.why == "gives contact details: Maria Lopez, +1 312 555 0100"


def test_saying_yes_to_introducing_someone_is_hot_without_a_name() -> None:
    reading = classify("yes! my coworker needs renters insurance, have them call you?")
    assert reading.kind == ReplyClass.hot
    assert reading.prospects == ()


def test_a_hedged_offer_is_interested_not_hot() -> None:
    assert classify("my brother might, I'll check").kind == ReplyClass.interested


def test_a_question_about_their_own_policy_is_neutral() -> None:
    text = "my son turns 16 next month and we need to add him to our policy"
    assert classify(text).kind == ReplyClass.neutral


def test_sentiment_is_the_vader_compound_score() -> None:
    assert classify("This is terrible, awful service").sentiment < -0.5
    assert classify("Thank you so much, you were wonderful!").sentiment > 0.5


# --- carrier keywords ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["STOP", "stop.", "Stop ", " unsubscribe!", "CANCEL", "End", "quit"]
)
def test_a_whole_message_opt_out_keyword_is_an_opt_out(text: str) -> None:
    assert keyword(text) == "opt_out"
    assert classify(text).kind == ReplyClass.opt_out


def test_please_stop_is_not_a_keyword_but_is_an_opt_out_by_its_wording() -> None:
    assert keyword("please stop") is None
    assert classify("please stop").kind == ReplyClass.opt_out


def test_stop_by_the_office_is_not_an_opt_out() -> None:
    assert classify("Please stop by the office Monday with the title").kind == ReplyClass.neutral


@pytest.mark.parametrize("text", ["START", "unstop", "Start."])
def test_start_and_unstop_opt_back_in(text: str) -> None:
    assert keyword(text) == "opt_in"


def test_yes_opts_in_only_when_an_opt_in_was_asked_for() -> None:
    assert keyword("YES") is None
    assert keyword("Yes!", expecting_opt_in=True) == "opt_in"


def test_yes_to_the_ask_reads_as_interested() -> None:
    assert classify("Yes").kind == ReplyClass.interested


@pytest.mark.parametrize("text", ["HELP", "help?", "Info"])
def test_help_and_info_ask_for_help(text: str) -> None:
    assert keyword(text) == "help"


def test_a_keyword_inside_a_sentence_is_not_a_keyword() -> None:
    assert keyword("I will stop by") is None


# --- prospects -------------------------------------------------------------------------------


def test_a_name_and_the_phone_beside_it_make_one_prospect_in_e164() -> None:
    assert extract_prospects("Tom Reed (312) 555-0100 needs commercial auto") == (
        Prospect(first_name="Tom", last_name="Reed", mobile="+13125550100"),
    )


def test_each_name_gets_the_contact_details_closest_to_it() -> None:
    prospects = extract_prospects(
        "my sister Ana Diaz 312-555-0111 and my neighbor Jim Park jim.park@example.com"
    )
    assert prospects == (
        Prospect(first_name="Ana", last_name="Diaz", mobile="+13125550111"),
        Prospect(first_name="Jim", last_name="Park", email="jim.park@example.com"),
    )


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("my neighbor Maria Lopez just bought a house", "Maria", "Lopez"),
        ("talk to Jim at the body shop", "Jim", None),
        ("reach out to Dana Kim about it", "Dana", "Kim"),
        ("her name is Priya Shah", "Priya", "Shah"),
        ("my brother-in-law, Tom Reed, needs a GL policy", "Tom", "Reed"),
        ("Sarah Chen at 312-555-0100 wants a quote", "Sarah", "Chen"),
        ("our landlord, Greg Wilson, is looking", "Greg", "Wilson"),
    ],
)
def test_a_name_is_found_next_to_a_cue(text: str, first: str, last: str | None) -> None:
    (prospect,) = extract_prospects(text)
    assert (prospect.first_name, prospect.last_name) == (first, last)


def test_days_months_and_sentence_openers_are_not_names() -> None:
    assert extract_prospects("Thanks! Call Monday. Happy Holidays, talk to you in May") == ()


def test_the_clients_own_name_and_number_are_not_prospects() -> None:
    text = "Dana Whitfield here, my cell is 312-555-0177. Call me at 312-555-0178 anytime."
    assert extract_prospects(text, client_name="Dana Whitfield") == ()


def test_the_agencys_own_addresses_are_not_prospects() -> None:
    text = "I forwarded your note (sam@agency.example.com) to my friend at kim@example.net"
    prospects = extract_prospects(text, agency_domains=AGENCY)
    assert [p.email for p in prospects] == ["kim@example.net"]


def test_an_invalid_email_is_not_extracted() -> None:
    assert extract_prospects("write to bob..smith@example.com") == ()


def test_a_business_name_next_to_a_person_is_their_company_not_a_second_person() -> None:
    assert extract_prospects("talk to Greg Olsen at Olsen Trucking, 224-555-0135") == (
        Prospect(
            first_name="Greg", last_name="Olsen", mobile="+12245550135", company="Olsen Trucking"
        ),
    )


def test_numbers_are_read_in_the_given_region() -> None:
    (prospect,) = extract_prospects("my friend Emma 020 7946 0018 needs a quote", region="GB")
    assert prospect.mobile == "+442079460018"


# --- quoted history ---------------------------------------------------------------------------

GMAIL_REPLY = """Yes, my neighbor Maria Lopez needs a quote.

Thanks,
Dana Whitfield
Whitfield Plumbing LLC
(312) 555-0177

On Tue, Dec 1, 2026 at 10:00 AM Sam Ortiz <sam@agency.example.com> wrote:
> Hi Dana, thanks for trusting us with the fleet policy.
> Know anyone unhappy with their agent? 312-555-0101
"""


def test_strip_quoted_drops_the_quoted_history_and_the_signature() -> None:
    assert strip_quoted(GMAIL_REPLY) == "Yes, my neighbor Maria Lopez needs a quote."


def test_strip_quoted_drops_an_outlook_original_message() -> None:
    text = (
        "No thanks.\n\n-----Original Message-----\nFrom: Sam Ortiz <sam@agency.example.com>\n"
        "Sent: Tuesday, December 1, 2026 10:00 AM\nTo: Dana\nSubject: thanks\n\nHi Dana"
    )
    assert strip_quoted(text) == "No thanks."


def test_strip_quoted_keeps_a_message_that_merely_starts_with_thanks() -> None:
    text = "Hi Sam,\nThanks, my neighbor Maria Lopez needs a quote 312-555-0142"
    assert "Maria Lopez" in strip_quoted(text)


def test_an_sms_passes_through_strip_quoted() -> None:
    assert strip_quoted("  my sister needs a quote 👍 ") == "my sister needs a quote 👍"


def test_the_signature_phone_is_not_taken_for_a_prospect() -> None:
    reading = classify(GMAIL_REPLY, client_name="Dana Whitfield", agency_domains=AGENCY)
    assert reading.prospects == (Prospect(first_name="Maria", last_name="Lopez"),)


# --- auto-replies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "automatic"),
    [
        ({"Auto-Submitted": "auto-replied"}, True),
        ({"Auto-Submitted": "auto-generated"}, True),
        ({"auto-submitted": 'Auto-Replied; owner-email="x@example.com"'}, True),
        ({"Auto-Submitted": "no"}, False),
        ({"X-Autoreply": "yes"}, True),
        ({"X-Autorespond": "yes"}, True),
        ({"Precedence": "bulk"}, True),
        ({"Precedence": "junk"}, True),
        ({"Precedence": "auto_reply"}, True),
        ({"Precedence": "list"}, False),
        ({"X-Auto-Response-Suppress": "All"}, False),
        ({"Subject": "Out of Office: Thank you"}, True),
        ({"Subject": "Automatic reply: Thank you"}, True),
        ({"Subject": "Re: Thank you"}, False),
        ({}, False),
    ],
)
def test_auto_reply_headers(headers: dict[str, str], automatic: bool) -> None:
    assert is_auto_reply(headers, "Thanks Sam, my sister needs a quote.") is automatic


@pytest.mark.parametrize(
    "text",
    [
        "I am out of the office until December 7 with limited access to email.",
        "Automatic reply: thanks for your message.",
        "I'm away until January 4.",
        "I'm on vacation until 12/28 and will respond when I return.",
        "I'm on leave and will return on Monday. For urgent matters call the office.",
        "I'm driving with Do Not Disturb While Driving turned on.",
    ],
)
def test_out_of_office_wording_in_the_body_is_an_auto_reply(text: str) -> None:
    assert is_auto_reply({}, text)


def test_a_person_mentioning_a_vacation_is_not_an_auto_reply() -> None:
    assert not is_auto_reply({}, "on vacation rn but when I get back I'll ask around")
