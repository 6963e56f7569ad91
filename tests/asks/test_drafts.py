"""Drafts and templates of referral asks, as a specification by example."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from itertools import product
from typing import Any

import pytest
from jinja2.sandbox import SecurityError

from referral_engine.asks.drafts import (
    CHANNELS,
    FAMILIES,
    OPT_OUT_LINE,
    SEGMENTS,
    SMS_MAX_SEGMENTS,
    TENURES,
    TRIGGERS,
    VARIABLE_HELP,
    VARIABLES,
    Draft,
    DraftContext,
    TemplateError,
    choose_template,
    default_templates,
    first_text_footer,
    is_gsm7,
    line_phrase,
    lob_family,
    mentions_reward,
    render_draft,
    render_source,
    sms_segments,
    template_key,
    template_variables,
    tenure_band,
    tenure_years,
    validate_key,
    validate_template,
)

# One ACORD code per family; None stands for a moment with no line (project, support).
FAMILY_CODES: dict[str, str | None] = {
    "auto": "AUTOP",
    "home": "HOME",
    "recreational": "BOAT",
    "umbrella": "PUMBR",
    "package": "PPKGE",
    "commercial_auto": "AUTOB",
    "business_package": "BOP",
    "liability": "EPLI",
    "property": "PROP",
    "workers_comp": "WORK",
    "other": None,
}
YEARS = {"new": 0, "established": 5, "long_tenured": 14}

# Realistic worst cases for length: a 20-character first name (or, for a business with
# no contact name, a 30-character company), 30-character producer and agency names.
LONG_NAMES = {
    "first_name": "Maximiliana-Josefina",
    "producer_name": "Alexandria Montgomery-Whitaker",
    "agency_name": "Alvarez & Montgomery Insurance",
}
LONG_BUSINESS_NAMES = {
    **LONG_NAMES,
    "first_name": "",
    "company": "Montgomery Roofing & Gutter Co",
}


def make_context(**changes: Any) -> DraftContext:
    values: dict[str, Any] = {
        "trigger": "policy.bound",
        "channel": "sms",
        "segment": "personal",
        "line_of_business": "AUTOP",
        "tenure": "new",
        "first_name": "Dana",
        "company": None,
        "producer_name": "Sam Ortiz",
        "agency_name": "Ortiz Insurance",
    }
    values.update(changes)
    return DraftContext(**values)


def every_moment(channels: tuple[str, ...] = CHANNELS) -> list[Any]:
    return [
        pytest.param(trigger, channel, segment, tenure, family, id="-".join(combo))
        for combo in product(TRIGGERS, channels, SEGMENTS, TENURES, FAMILIES)
        for trigger, channel, segment, tenure, family in [combo]
    ]


def moment_context(
    trigger: str, channel: str, segment: str, tenure: str, family: str, **changes: Any
) -> DraftContext:
    return make_context(
        trigger=trigger,
        channel=channel,
        segment=segment,
        tenure=tenure,
        years=YEARS[tenure],
        line_of_business=FAMILY_CODES[family],
        company="Ortiz Roofing" if segment == "commercial" else None,
        **changes,
    )


def sentences_before_sign_off(draft: Draft) -> int:
    """A rough count: sentence ends in the body, less the email sign-off and opt-out."""
    text = draft.body.removesuffix(OPT_OUT_LINE)
    if draft.subject is not None:
        text = text.rsplit("\n\n", 1)[0]
    return len(re.findall(r"[.!?](?=\s|$)", text))


# --- the default templates ----------------------------------------------------------


@pytest.mark.parametrize("key", sorted(default_templates()))
def test_every_default_template_validates(key: str) -> None:
    validate_template(default_templates()[key], channel=key.rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("trigger", "segment", "channel"), list(product(TRIGGERS, SEGMENTS, CHANNELS))
)
def test_every_trigger_segment_and_channel_has_a_generic_default(
    trigger: str, segment: str, channel: str
) -> None:
    assert f"{trigger}/{segment}/any/any/{channel}" in default_templates()


@pytest.mark.parametrize(
    "middle",
    [
        "personal/auto/any",
        "personal/home/any",
        "commercial/commercial_auto/any",
        "commercial/workers_comp/any",
        "commercial/business_package/any",
        "personal/any/new",
        "commercial/any/new",
        "personal/any/long_tenured",
        "commercial/any/long_tenured",
    ],
)
@pytest.mark.parametrize("channel", CHANNELS)
def test_binds_have_line_and_tenure_defaults(middle: str, channel: str) -> None:
    assert f"policy.bound/{middle}/{channel}" in default_templates()


@pytest.mark.parametrize(
    "middle",
    [
        "personal/any/new",
        "commercial/any/new",
        "personal/any/long_tenured",
        "commercial/any/long_tenured",
    ],
)
@pytest.mark.parametrize("channel", CHANNELS)
def test_renewals_have_tenure_defaults(middle: str, channel: str) -> None:
    assert f"policy.renewed/{middle}/{channel}" in default_templates()


COMMERCIAL_FAMILIES = ("commercial_auto", "business_package", "liability", "property")


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("trigger", ["policy.bound", "policy.renewed"])
@pytest.mark.parametrize("family", FAMILIES)
def test_tenure_changes_the_words_on_every_line(family: str, trigger: str, channel: str) -> None:
    commercial = family in (*COMMERCIAL_FAMILIES, "workers_comp")
    segments = SEGMENTS if family == "other" else ("commercial" if commercial else "personal",)
    for segment in segments:
        new = render_draft(moment_context(trigger, channel, segment, "new", family))
        standing = render_draft(moment_context(trigger, channel, segment, "long_tenured", family))
        assert new.body != standing.body
        assert "14 years" in standing.body and "14 years" not in new.body


def test_a_fourteen_year_commercial_client_is_thanked_for_the_years() -> None:
    since = date(2012, 3, 1)
    fleet = make_context(
        segment="commercial",
        line_of_business="AUTOB",
        company="Ortiz Roofing",
        tenure=tenure_band(since, ON),
        years=tenure_years(since, ON),
    )
    assert fleet.tenure == "long_tenured"
    words = render_draft(fleet).body
    assert "after 14 years, thanks for trusting us with your fleet policy too!" in words
    assert "vehicles on the road" in words, "the line still decides the ask"
    new = render_draft(replace(fleet, tenure="new", years=0)).body
    assert "thanks for choosing us for your fleet policy, and welcome!" in new


def test_default_templates_are_a_fresh_copy_each_call() -> None:
    default_templates().clear()
    assert default_templates()


# --- every moment renders a short, human, reward-free ask ----------------------------


@pytest.mark.parametrize(("trigger", "channel", "segment", "tenure", "family"), every_moment())
def test_every_moment_renders_naming_client_and_producer(
    trigger: str, channel: str, segment: str, tenure: str, family: str
) -> None:
    draft = render_draft(moment_context(trigger, channel, segment, tenure, family))
    producer = "Sam Ortiz" if channel == "email" else "Sam"
    assert "Dana" in draft.body
    assert producer in draft.body


@pytest.mark.parametrize(("trigger", "channel", "segment", "tenure", "family"), every_moment())
def test_every_moment_asks_in_at_most_three_sentences(
    trigger: str, channel: str, segment: str, tenure: str, family: str
) -> None:
    draft = render_draft(moment_context(trigger, channel, segment, tenure, family))
    assert 2 <= sentences_before_sign_off(draft) <= 3, draft.body


@pytest.mark.parametrize(("trigger", "channel", "segment", "tenure", "family"), every_moment())
def test_no_default_mentions_a_reward(
    trigger: str, channel: str, segment: str, tenure: str, family: str
) -> None:
    link = "https://agency.example/r/abc123"
    draft = render_draft(moment_context(trigger, channel, segment, tenure, family, link=link))
    assert not mentions_reward(f"{draft.subject or ''}\n{draft.body}")


@pytest.mark.parametrize(("trigger", "channel", "segment", "tenure", "family"), every_moment())
def test_every_moment_asks_for_a_reply(
    trigger: str, channel: str, segment: str, tenure: str, family: str
) -> None:
    draft = render_draft(moment_context(trigger, channel, segment, tenure, family))
    assert "Just reply" in draft.body
    assert draft.body.count("?") == 1


def test_long_tenured_without_known_years_says_all_these_years() -> None:
    context = make_context(tenure="long_tenured", years=0, line_of_business="BOAT")
    assert "after all these years" in render_draft(context).body


def test_long_tenured_with_known_years_counts_them() -> None:
    context = make_context(tenure="long_tenured", years=12, line_of_business="BOAT")
    assert "after 12 years" in render_draft(context).body


def test_bind_thanks_for_the_specific_line() -> None:
    context = make_context(
        segment="commercial",
        line_of_business="AUTOB",
        company="Ortiz Roofing",
        tenure="established",
        years=5,
    )
    assert "thanks for trusting us with your fleet policy" in render_draft(context).body


# --- email --------------------------------------------------------------------------


def test_email_returns_the_subject_apart_from_the_body() -> None:
    draft = render_draft(make_context(channel="email", tenure="established", years=5))
    assert draft.subject == "Thank you for trusting us with your auto policy"
    assert not draft.body.startswith("Subject:")
    assert draft.body.startswith("Hi Dana,\n\n")


def test_email_signs_off_with_producer_and_agency() -> None:
    draft = render_draft(make_context(channel="email"))
    assert draft.body.endswith("\nSam Ortiz\nOrtiz Insurance")


def test_email_includes_the_introduce_link_when_given() -> None:
    link = "https://agency.example/r/abc123"
    draft = render_draft(make_context(channel="email", link=link))
    assert link in draft.body


def test_sms_has_no_subject() -> None:
    assert render_draft(make_context(channel="sms")).subject is None


def test_a_newline_in_a_name_cannot_break_the_subject() -> None:
    source = "Subject: For {{ first_name }}\n\nHi."
    subject, _ = render_source(source, make_context(first_name="Dana\nBcc: x"), channel="email")
    assert subject == "For Dana Bcc: x"


@pytest.mark.parametrize(
    ("first_name", "company", "greeting"),
    [
        ("Dana", "Ortiz Roofing", "Hi Dana,"),
        ("", "Ortiz Roofing", "Hi Ortiz Roofing,"),
        ("", None, "Hi there,"),
        ("  ", "", "Hi there,"),
    ],
)
def test_greeting_falls_back_from_first_name_to_company_to_there(
    first_name: str, company: str | None, greeting: str
) -> None:
    context = make_context(channel="email", first_name=first_name, company=company)
    assert render_draft(context).body.startswith(greeting)


# --- SMS length and opt-out ---------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "channel", "segment", "tenure", "family"), every_moment(channels=("sms",))
)
@pytest.mark.parametrize("first_text", [True, False])
@pytest.mark.parametrize("names", [LONG_NAMES, LONG_BUSINESS_NAMES], ids=["person", "business"])
def test_every_default_sms_fits_two_segments_with_long_names(
    trigger: str,
    channel: str,
    segment: str,
    tenure: str,
    family: str,
    first_text: bool,
    names: dict[str, str],
) -> None:
    context = replace(
        moment_context(trigger, channel, segment, tenure, family, first_text=first_text),
        **names,
    )
    assert sms_segments(render_draft(context).body) <= SMS_MAX_SEGMENTS


@pytest.mark.parametrize(("trigger", "channel", "segment", "tenure", "family"), every_moment())
def test_every_default_renders_in_gsm7(
    trigger: str, channel: str, segment: str, tenure: str, family: str
) -> None:
    draft = render_draft(moment_context(trigger, channel, segment, tenure, family))
    assert is_gsm7(draft.body)


def test_first_text_names_the_agency_once_and_ends_with_rates_stop_and_help() -> None:
    context = make_context(first_text=True)
    body = render_draft(context).body
    assert body.endswith("\nMsg & data rates may apply. " + OPT_OUT_LINE)
    assert OPT_OUT_LINE == "Reply STOP to opt out, HELP for help."
    assert body.count(context.agency_name) == 1


def test_first_text_from_a_template_that_does_not_name_the_agency_names_it_in_the_footer() -> None:
    context = make_context(first_text=True)
    custom = {"policy.bound/personal/auto/new/sms": "Hi {{ first_name }}, thanks!"}
    body = render_draft(context, custom).body
    assert body == (
        f"Hi Dana, thanks!\n{context.agency_name}: Msg & data rates may apply. {OPT_OUT_LINE}"
    )
    assert first_text_footer(context.agency_name, body) in body


def test_later_texts_carry_no_opt_out_line() -> None:
    assert "STOP" not in render_draft(make_context(first_text=False)).body


def test_opt_out_line_is_not_doubled_when_the_template_has_it() -> None:
    custom = {"policy.bound/any/auto/new/sms": "Thanks! " + OPT_OUT_LINE}
    body = render_draft(make_context(first_text=True), custom).body
    assert body.count(OPT_OUT_LINE) == 1


def test_email_never_carries_the_sms_opt_out_line() -> None:
    body = render_draft(make_context(channel="email", first_text=True)).body
    assert OPT_OUT_LINE not in body


LONG_CLAUSE = "x" * 300
SHORTENING = {
    "policy.bound/personal/auto/new/sms": (
        "Hi {{ first_name }}, thanks!{% if not short %} " + LONG_CLAUSE + "{% endif %}"
    )
}


def test_sms_over_two_segments_falls_back_to_the_short_variant() -> None:
    context = make_context(first_text=True)
    first_try = "Hi Dana, thanks! " + LONG_CLAUSE + "\n" + first_text_footer(context.agency_name)
    assert sms_segments(first_try) > SMS_MAX_SEGMENTS
    assert render_draft(context, SHORTENING).body == "Hi Dana, thanks!\n" + first_text_footer(
        context.agency_name
    )


def test_sms_that_fits_keeps_its_optional_words() -> None:
    custom = {"policy.bound/personal/auto/new/sms": "Hi!{% if not short %} Optional.{% endif %}"}
    assert render_draft(make_context(), custom).body == "Hi! Optional."


def test_sms_too_long_even_when_short_is_returned_for_the_reviewer_to_see() -> None:
    custom = {"policy.bound/personal/auto/new/sms": "y" * 400}
    draft = render_draft(make_context(), custom)
    assert draft.body == "y" * 400
    assert sms_segments(draft.body) == 3


def test_sms_collapses_template_line_breaks_into_one_paragraph() -> None:
    _, body = render_source("Hi {{ first_name }},\n\n  thanks!\n", make_context(), channel="sms")
    assert body == "Hi Dana, thanks!"


# --- choosing a template ------------------------------------------------------------


def test_template_key_lists_candidates_line_then_tenure_then_segment() -> None:
    assert template_key("policy.bound", "commercial", "commercial_auto", "new", "sms") == [
        "policy.bound/commercial/commercial_auto/new/sms",
        "policy.bound/any/commercial_auto/new/sms",
        "policy.bound/commercial/commercial_auto/any/sms",
        "policy.bound/any/commercial_auto/any/sms",
        "policy.bound/commercial/any/new/sms",
        "policy.bound/any/any/new/sms",
        "policy.bound/commercial/any/any/sms",
        "policy.bound/any/any/any/sms",
    ]


def test_template_key_has_no_duplicates_for_wildcard_parts() -> None:
    assert template_key("policy.bound", "any", "any", "any", "email") == [
        "policy.bound/any/any/any/email"
    ]


@pytest.mark.parametrize(
    ("segment", "code", "tenure", "key"),
    [
        ("commercial", "AUTOB", "new", "policy.bound/commercial/commercial_auto/any/sms"),
        ("commercial", "GARAG", "long_tenured", "policy.bound/commercial/commercial_auto/any/sms"),
        ("commercial", "WORK", "established", "policy.bound/commercial/workers_comp/any/sms"),
        ("commercial", "CGL", "new", "policy.bound/commercial/any/new/sms"),
        ("commercial", "CGL", "established", "policy.bound/commercial/any/any/sms"),
        ("personal", "HOME", "new", "policy.bound/personal/home/any/sms"),
        ("personal", "BOAT", "long_tenured", "policy.bound/personal/any/long_tenured/sms"),
        ("personal", None, "established", "policy.bound/personal/any/any/sms"),
    ],
)
def test_choose_template_takes_the_most_specific_default(
    segment: str, code: str | None, tenure: str, key: str
) -> None:
    context = make_context(segment=segment, line_of_business=code, tenure=tenure)
    assert choose_template({}, context) == key


def test_custom_template_replaces_the_default_with_the_same_key() -> None:
    key = "policy.bound/personal/auto/any/sms"
    draft = render_draft(make_context(), {key: "Custom for {{ first_name }}."})
    assert draft == Draft(subject=None, body="Custom for Dana.", template=key)


def test_custom_template_on_a_more_specific_key_wins() -> None:
    custom = {"policy.bound/personal/auto/new/sms": "Welcome aboard, {{ first_name }}."}
    assert choose_template(custom, make_context()) == "policy.bound/personal/auto/new/sms"


def test_custom_template_on_a_less_specific_key_still_beats_every_default() -> None:
    custom = {"policy.bound/any/any/any/sms": "Generic."}
    assert choose_template(custom, make_context()) == "policy.bound/any/any/any/sms"


def test_custom_templates_for_the_other_channel_are_ignored() -> None:
    custom = {"policy.bound/personal/auto/any/email": "Subject: Hi\n\nCustom."}
    assert choose_template(custom, make_context(channel="sms")).endswith("/sms")


# --- validating a template ----------------------------------------------------------


def test_validate_accepts_a_good_email_template() -> None:
    source = (
        "Subject: Thanks, {{ first_name }}\n\nThanks for the {{ line }}.\n\n{{ producer_name }}"
    )
    validate_template(source, channel="email")


def test_validate_refuses_an_unknown_variable_by_name() -> None:
    with pytest.raises(TemplateError, match="client_ssn"):
        validate_template("Hi {{ first_name }}, your SSN is {{ client_ssn }}.", channel="sms")


def test_validate_names_every_unknown_variable() -> None:
    with pytest.raises(TemplateError, match="balance, client_ssn"):
        validate_template("{{ client_ssn }} {{ balance }}", channel="sms")


def test_validate_refuses_a_syntax_error_naming_the_line() -> None:
    with pytest.raises(TemplateError, match="line 3"):
        validate_template("Subject: Hi\n\n{% if first_name %}Hi", channel="email")


def test_validate_refuses_an_email_template_without_a_subject_line() -> None:
    with pytest.raises(TemplateError, match="Subject"):
        validate_template("Hi {{ first_name }},\n\nThanks.", channel="email")


def test_validate_refuses_an_email_template_with_an_empty_subject() -> None:
    with pytest.raises(TemplateError, match="Subject"):
        validate_template("Subject:  \n\nThanks.", channel="email")


def test_validate_refuses_an_email_template_without_a_body() -> None:
    with pytest.raises(TemplateError, match="body"):
        validate_template("Subject: Thanks\n\n", channel="email")


def test_validate_refuses_a_subject_line_in_an_sms_template() -> None:
    with pytest.raises(TemplateError, match="SMS"):
        validate_template("Subject: Thanks\n\nHi.", channel="sms")


def test_validate_refuses_an_unknown_channel() -> None:
    with pytest.raises(TemplateError, match="fax"):
        validate_template("Hi.", channel="fax")


def test_validate_allows_names_a_template_sets_itself() -> None:
    validate_template("{% set who = greeting_name %}Hi {{ who }}.", channel="sms")


@pytest.mark.parametrize(
    "key",
    [
        "policy.bound/personal/auto/new",
        "policy.bought/personal/auto/new/sms",
        "policy.bound/personal/auto/new/fax",
        "policy.bound/household/any/any/sms",
        "policy.bound/personal/yacht/any/sms",
        "policy.bound/personal/any/veteran/sms",
    ],
)
def test_validate_key_refuses_malformed_keys(key: str) -> None:
    with pytest.raises(TemplateError):
        validate_key(key)


# --- the sandbox --------------------------------------------------------------------
# Decision: unsafe access is refused as TemplateError. validate_template catches what it
# can see (attributes and keys starting with "_"); what only the sandbox sees at render
# time is a TemplateError whose cause is jinja2's SecurityError.


def test_validate_refuses_dunder_attribute_access() -> None:
    with pytest.raises(TemplateError, match="__class__"):
        validate_template("{{ ''.__class__.__mro__ }}", channel="sms")


def test_validate_refuses_dunder_item_access() -> None:
    with pytest.raises(TemplateError, match="__class__"):
        validate_template("{{ first_name['__class__'] }}", channel="sms")


def test_render_of_dunder_access_is_refused() -> None:
    with pytest.raises(TemplateError, match="__class__"):
        render_source("{{ ''.__class__.__mro__ }}", make_context(), channel="sms")


def test_sandbox_refusal_at_render_is_a_template_error_caused_by_security_error() -> None:
    with pytest.raises(TemplateError) as raised:
        render_source("{{ first_name|attr('__class__') }}", make_context(), channel="sms")
    assert isinstance(raised.value.__cause__, SecurityError)


def test_sandbox_refuses_building_a_huge_string() -> None:
    with pytest.raises(TemplateError) as raised:
        render_source("{{ first_name * 1000000 }}", make_context(), channel="sms")
    assert isinstance(raised.value.__cause__, SecurityError)


def test_a_failing_expression_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        render_source("{{ years / 0 }}", make_context(), channel="sms")


def test_templates_see_no_jinja_globals() -> None:
    with pytest.raises(TemplateError, match="range"):
        validate_template("{% for i in range(3) %}x{% endfor %}", channel="sms")


# --- variables ----------------------------------------------------------------------


def test_every_variable_is_documented() -> None:
    assert set(VARIABLE_HELP) == VARIABLES
    assert all(help_text.strip() for help_text in VARIABLE_HELP.values())


def test_templates_receive_exactly_the_documented_variables() -> None:
    assert set(template_variables(make_context(), channel="sms")) == VARIABLES


def test_company_and_link_are_empty_strings_when_missing() -> None:
    values = template_variables(make_context(company=None, link=None), channel="email")
    assert (values["company"], values["link"]) == ("", "")


@pytest.mark.parametrize(
    ("years", "phrase"), [(0, "all these years"), (1, "1 year"), (2, "2 years"), (12, "12 years")]
)
def test_years_phrase(years: int, phrase: str) -> None:
    values = template_variables(make_context(years=years), channel="sms")
    assert values["years_phrase"] == phrase


@pytest.mark.parametrize(
    "changes",
    [
        {"trigger": "policy.cancelled"},
        {"channel": "fax"},
        {"segment": "household"},
        {"tenure": "veteran"},
        {"years": -1},
    ],
)
def test_draft_context_refuses_unknown_choices(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        replace(make_context(), **changes)


# --- rewards ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Refer a friend and get a $25 gift card!", True),
        ("We send a small gift to everyone who refers us.", True),
        ("Ask about our referral bonus.", True),
        ("I'll share my commission with you.", True),
        ("Commissions paid on every bound referral.", True),
        ("Earn rewards for every introduction.", True),
        ("You'll be rewarded for each friend.", True),
        ("Introduce a friend and we'll pay you.", True),
        ("We pay for every referral.", True),
        ("Refer someone and get a discount on your renewal.", True),
        ("Each introduction earns you 50 dollars.", True),
        ("Cash for referrals!", True),
        ("Every referral enters you in our raffle.", True),
        ("We offer a finder's fee.", True),
        ("A referral fee of 10%.", True),
        ("Ask about our referral incentive.", True),
        ("Thanks for the kind words - know anyone who'd like the same care?", False),
        ("Sorry for the omission in your quote.", False),
        ("The Insurance Commissioner approved the new rates.", False),
        ("It has been rewarding to work with you.", False),
        ("Your payment went through, thanks for your patience.", False),
        ("Feel free to reply with their name.", False),
        ("We mailed a cashier's check for the claim.", False),
        ("Just reply to this email with their name.", False),
        ("Know anyone whose premium jumped at renewal?", False),
    ],
)
def test_mentions_reward(text: str, expected: bool) -> None:
    assert mentions_reward(text) is expected


# --- SMS segments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("", 0),
        ("a", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters count two septets
        ("€" * 81, 2),
        ("a" * 159 + "[", 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # an escape pair is never split across segments
        ("Hi 🙂", 1),  # an emoji switches to UCS-2
        ("a" * 69 + "🙂", 2),  # the emoji counts two UTF-16 units
        ("ë" * 70, 1),  # ë is not GSM-7
        ("ë" * 71, 2),
        ("ë" * 134, 2),
        ("ë" * 135, 3),
        ("é" * 160, 1),  # é is GSM-7
    ],
)
def test_sms_segments(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


@pytest.mark.parametrize(
    ("text", "expected"), [("Hi Dana - thanks!", True), ("José [ok] €5", True), ("Zoë", False)]
)
def test_is_gsm7(text: str, expected: bool) -> None:
    assert is_gsm7(text) is expected


# --- tenure -------------------------------------------------------------------------

ON = date(2026, 6, 15)


@pytest.mark.parametrize(
    ("client_since", "band"),
    [
        (None, "new"),
        (date(2027, 1, 1), "new"),  # a start date after "on" is treated as unknown
        (ON, "new"),
        (date(2023, 6, 16), "new"),  # one day short of three years
        (date(2023, 6, 15), "established"),  # exactly three years
        (date(2016, 6, 16), "established"),  # one day short of ten years
        (date(2016, 6, 15), "long_tenured"),  # exactly ten years: long-standing
        (date(1998, 3, 1), "long_tenured"),
    ],
)
def test_tenure_band(client_since: date | None, band: str) -> None:
    assert tenure_band(client_since, ON) == band


@pytest.mark.parametrize(
    ("on", "years"),
    [(date(2021, 2, 28), 0), (date(2021, 3, 1), 1), (date(2024, 2, 28), 3), (date(2024, 2, 29), 4)],
)
def test_tenure_years_from_a_leap_day(on: date, years: int) -> None:
    assert tenure_years(date(2020, 2, 29), on) == years


# --- lines of business --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "segment", "family", "phrase"),
    [
        ("AUTOP", "personal", "auto", "auto policy"),
        ("autop", "personal", "auto", "auto policy"),
        ("HOME", "personal", "home", "homeowners policy"),
        ("DFIRE", "personal", "home", "dwelling policy"),
        ("MHOME", "personal", "home", "mobile home policy"),
        ("BOAT", "personal", "recreational", "boat policy"),
        ("RECV", "personal", "recreational", "RV policy"),
        ("PUMBR", "personal", "umbrella", "umbrella policy"),
        ("PPKGE", "personal", "package", "home and auto package"),
        ("AUTOB", "commercial", "commercial_auto", "fleet policy"),
        ("GARAG", "commercial", "commercial_auto", "garage policy"),
        ("BOP", "commercial", "business_package", "business owner's policy"),
        ("CPKGE", "commercial", "business_package", "commercial package policy"),
        ("CGL", "commercial", "liability", "general liability policy"),
        ("EPLI", "commercial", "liability", "employment practices coverage"),
        ("CUMBR", "commercial", "liability", "commercial umbrella policy"),
        ("PROP", "commercial", "property", "property policy"),
        ("WORK", "commercial", "workers_comp", "workers' comp coverage"),
        ("XYZZY", "personal", "other", "policy"),
        (None, "personal", "other", "policy"),
        (None, "commercial", "other", "business policy"),
    ],
)
def test_lob_family_and_line_phrase(
    code: str | None, segment: str, family: str, phrase: str
) -> None:
    assert (lob_family(code), line_phrase(code, segment)) == (family, phrase)


def test_every_family_is_a_template_key_family() -> None:
    assert set(FAMILY_CODES) == set(FAMILIES)
