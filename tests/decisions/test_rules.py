"""Whether, when and through which channel to ask, and the reasons left for the timeline.

Unless a test says otherwise: an agency in America/Chicago with the "US" calendar, send hour
10:00, quiet hours 21:00-08:00, a 90-day frequency cap, a 14-day warmth window, complaints
counting for 60 days and owner review from a $10,000 premium. The client is Dana, reachable by
email and by SMS (consent recorded, prefers SMS), timed by her Chicago mobile number. The
moment is her auto policy bound on Wednesday 2026-11-25 at 15:30 Chicago, the day before
Thanksgiving, with the default delay of 3 business days; it is decided as it arrives.
Expected instants are written in UTC, with the Chicago reading beside them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pytest

from referral_engine.decisions import rules
from referral_engine.decisions.calendar import BusinessCalendar, QuietHours, SendWindow
from referral_engine.decisions.rules import (
    ChannelChoice,
    ClientFacts,
    Decision,
    MomentFacts,
    OpenIssue,
    Reason,
    Rulebook,
    cap_reason,
    choose_channel,
    complaint_reason,
    decide,
    review_reasons,
)
from referral_engine.settings import AgencySettings

CHICAGO = ZoneInfo("America/Chicago")
EMAIL = "dana@example.com"
MOBILE = "+13125550123"  # a Chicago number


def chicago(year: int, month: int, day: int, hour: int = 14, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


BOUND_AT = chicago(2026, 11, 25, 15, 30)  # Wed, the day before Thanksgiving
SLOT = utc(2026, 12, 1, 16)  # Tue Dec 1 10:00 CST
WARMTH_ENDS = utc(2026, 12, 9, 21, 30)  # Wed Dec 9 15:30 CST, 14 days after the bind

BIND = MomentFacts(
    trigger="policy.bound",
    moment_at=BOUND_AT,
    delay_business_days=3,
    segment="personal",
    premium=1820.00,
    line_of_business="AUTOP",
)
DANA = ClientFacts(
    email=EMAIL,
    mobile=MOBILE,
    consent_email=True,
    consent_sms=True,
    preferred_channel="sms",
)

THANKSGIVING_DELAY = Reason(
    "bind_delay",
    "3 business days after the bind on Wed Nov 25 → Tue Dec 1 "
    "(skipped Thu Nov 26 Thanksgiving Day, 2 weekend days)",
)
TUESDAY_AT_TEN = Reason(
    "send_hour",
    "goes out Tue Dec 1 at 10:00 America/Chicago (the zone of the client's mobile number)",
)


class Decide(Protocol):
    def __call__(
        self,
        *,
        moment: MomentFacts = ...,
        client: ClientFacts = ...,
        book: Rulebook | None = ...,
        mentions_reward: bool = ...,
        now: datetime = ...,
    ) -> Decision: ...


@pytest.fixture
def book() -> Rulebook:
    return Rulebook(
        calendar=BusinessCalendar.for_agency("America/Chicago", "US"),
        send_hour=10,
        quiet=QuietHours(time(21), time(8)),
        frequency_cap_days=90,
        warmth_window_days=14,
        recent_complaint_days=60,
        premium_threshold=10000,
        commercial_requires_review=False,
    )


@pytest.fixture
def window(book: Rulebook) -> tuple[SendWindow, str]:
    return rules.window_for(book, timezone=None, mobile=MOBILE)


@pytest.fixture
def decide_ask(book: Rulebook, window: tuple[SendWindow, str]) -> Decide:
    """``decide`` for Dana's bind as it arrives; each test changes only what it is about.

    The channel is chosen from the client as the service does; ``book`` replaces the
    fixture's rulebook.
    """
    agency_book = book
    send_window, basis = window

    def run(
        *,
        moment: MomentFacts = BIND,
        client: ClientFacts = DANA,
        book: Rulebook | None = None,
        mentions_reward: bool = False,
        now: datetime = BOUND_AT,
    ) -> Decision:
        return decide(
            moment,
            client,
            book or agency_book,
            channel=choose_channel(client),
            window=send_window,
            zone_basis=basis,
            mentions_reward=mentions_reward,
            now=now,
        )

    return run


def rule_names(decision: Decision) -> list[str]:
    return [reason.rule for reason in decision.reasons]


# --- channel and consent ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        pytest.param(DANA, ChannelChoice("sms"), id="prefers-sms-with-consent"),
        pytest.param(
            replace(DANA, consent_sms=None),
            ChannelChoice(
                "email",
                (
                    Reason(
                        "no_consent",
                        "SMS: consent not recorded; asking by email instead",
                    ),
                ),
            ),
            id="prefers-sms-consent-unclear-asks-by-email",
        ),
        pytest.param(
            replace(DANA, consent_sms=False),
            ChannelChoice(
                "email",
                (Reason("no_consent", "SMS: the client declined texts; asking by email instead"),),
            ),
            id="prefers-sms-declined-texts-asks-by-email",
        ),
        pytest.param(
            replace(DANA, sms_opted_out=True),
            ChannelChoice(
                "email",
                (Reason("opted_out", "SMS: the client opted out (STOP); asking by email instead"),),
            ),
            id="prefers-sms-texted-stop-asks-by-email",
        ),
        pytest.param(
            replace(DANA, mobile=None),
            ChannelChoice(
                "email",
                (Reason("no_consent", "SMS: no mobile number on file; asking by email instead"),),
            ),
            id="prefers-sms-no-mobile-asks-by-email",
        ),
        pytest.param(
            replace(DANA, preferred_channel="email"),
            ChannelChoice("email"),
            id="prefers-email",
        ),
        pytest.param(
            replace(DANA, preferred_channel="email", consent_email=False),
            ChannelChoice(
                "sms",
                (Reason("no_consent", "email: the client declined email; asking by SMS instead"),),
            ),
            id="prefers-email-declined-email-asks-by-sms",
        ),
        pytest.param(
            replace(DANA, preferred_channel="email", email=None),
            ChannelChoice(
                "sms",
                (Reason("no_consent", "email: no address on file; asking by SMS instead"),),
            ),
            id="prefers-email-no-address-asks-by-sms",
        ),
        pytest.param(
            replace(DANA, preferred_channel=None),
            ChannelChoice("email"),
            id="no-preference-asks-by-email-first",
        ),
        pytest.param(
            replace(DANA, preferred_channel="fax"),
            ChannelChoice("email"),
            id="unknown-preference-is-no-preference",
        ),
        pytest.param(
            replace(DANA, preferred_channel=None, email=None),
            ChannelChoice("sms"),
            id="no-preference-no-address-asks-by-sms",
        ),
        pytest.param(
            ClientFacts(email=EMAIL, consent_email=None, preferred_channel="email"),
            ChannelChoice(
                "email",
                (
                    Reason(
                        "no_consent",
                        "email: consent not recorded: a person must record the client's "
                        "consent before it goes",
                    ),
                ),
                needs_consent=True,
            ),
            id="email-consent-unrecorded-waits-for-a-person",
        ),
        pytest.param(
            ClientFacts(mobile=MOBILE, consent_sms=None, preferred_channel="sms"),
            ChannelChoice(
                "sms",
                (
                    Reason(
                        "no_consent",
                        "SMS: consent not recorded: a person must record the client's "
                        "consent before it goes",
                    ),
                ),
                needs_consent=True,
            ),
            id="sms-consent-unrecorded-no-address-waits-for-a-person",
        ),
    ],
)
def test_the_channel_is_the_preferred_one_that_may_be_used(
    client: ClientFacts, expected: ChannelChoice
) -> None:
    assert choose_channel(client) == expected


@pytest.mark.parametrize(
    ("client", "rule", "detail"),
    [
        pytest.param(
            ClientFacts(),
            "no_consent",
            "email: no address on file; SMS: no mobile number on file",
            id="neither-address-nor-mobile",
        ),
        pytest.param(
            ClientFacts(email=EMAIL, consent_email=False),
            "no_consent",
            "email: the client declined email; SMS: no mobile number on file",
            id="declined-email-no-mobile",
        ),
        pytest.param(
            replace(DANA, email_opted_out=True, consent_sms=False),
            # The client acted (unsubscribed): that names the suppression, not the
            # declined texts; both stay in the detail.
            "opted_out",
            "SMS: the client declined texts; email: the client unsubscribed",
            id="unsubscribed-and-declined-texts",
        ),
        pytest.param(
            replace(DANA, email_opted_out=True, sms_opted_out=True),
            "opted_out",
            "SMS: the client opted out (STOP); email: the client unsubscribed",
            id="opted-out-of-both",
        ),
    ],
)
def test_with_no_usable_channel_there_is_no_channel_and_one_reason_naming_each_refusal(
    client: ClientFacts, rule: str, detail: str
) -> None:
    choice = choose_channel(client)

    assert choice == ChannelChoice(None, (Reason(rule, f"{detail} — no channel may carry an ask"),))


@pytest.mark.parametrize(
    ("consent_email", "opted_out", "refusal"),
    [
        pytest.param(True, False, None, id="consented"),
        pytest.param(
            None, False, Reason("no_consent", "email: consent not recorded"), id="not-recorded"
        ),
        pytest.param(
            False, False, Reason("no_consent", "email: the client declined email"), id="declined"
        ),
        pytest.param(
            True, True, Reason("opted_out", "email: the client unsubscribed"), id="unsubscribed"
        ),
    ],
)
def test_email_needs_recorded_consent_and_no_unsubscribe(
    consent_email: bool | None, opted_out: bool, refusal: Reason | None
) -> None:
    client = ClientFacts(email=EMAIL, consent_email=consent_email, email_opted_out=opted_out)

    assert rules.channel_refusal(client, "email") == refusal


@pytest.mark.parametrize(
    ("consent_sms", "refusal"),
    [
        pytest.param(True, None, id="consented"),
        pytest.param(None, Reason("no_consent", "SMS: consent not recorded"), id="unclear"),
        pytest.param(False, Reason("no_consent", "SMS: the client declined texts"), id="declined"),
    ],
)
def test_sms_needs_recorded_consent(consent_sms: bool | None, refusal: Reason | None) -> None:
    client = ClientFacts(mobile=MOBILE, consent_sms=consent_sms)

    assert rules.channel_refusal(client, "sms") == refusal


# --- the recipient's zone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "mobile", "zone", "basis"),
    [
        pytest.param(None, MOBILE, "America/Chicago", "mobile", id="chicago-mobile"),
        pytest.param(None, "+12125550123", "America/New_York", "mobile", id="new-york-mobile"),
        pytest.param("America/Denver", MOBILE, "America/Denver", "client", id="client-zone-wins"),
        pytest.param(None, None, "America/Chicago", "agency", id="nothing-known-agency-zone"),
    ],
)
def test_the_send_window_is_in_the_recipients_zone(
    book: Rulebook, timezone: str | None, mobile: str | None, zone: str, basis: str
) -> None:
    window, found = rules.window_for(book, timezone=timezone, mobile=mobile)

    assert (window.recipient.key, found) == (zone, basis)
    assert (window.send_hour, window.quiet) == (10, QuietHours(time(21), time(8)))


# --- decide: scheduled -----------------------------------------------------------------------


def test_bind_on_wednesday_before_thanksgiving_waits_until_tuesday(decide_ask: Decide) -> None:
    decision = decide_ask()

    assert decision == Decision(
        status="scheduled",
        channel="sms",
        scheduled_for=SLOT,
        expires_at=WARMTH_ENDS,
        reasons=(THANKSGIVING_DELAY, TUESDAY_AT_TEN),
    )


def test_decided_instants_are_utc(decide_ask: Decide) -> None:
    decision = decide_ask()

    assert decision.scheduled_for is not None
    assert decision.scheduled_for.tzinfo is UTC
    assert decision.expires_at.tzinfo is UTC


def test_ask_goes_out_at_ten_in_a_new_york_clients_zone(book: Rulebook) -> None:
    window, basis = rules.window_for(book, timezone="America/New_York", mobile=MOBILE)

    decision = decide(
        BIND,
        DANA,
        book,
        channel=choose_channel(DANA),
        window=window,
        zone_basis=basis,
        mentions_reward=False,
        now=BOUND_AT,
    )

    assert decision.scheduled_for == utc(2026, 12, 1, 15)  # Tue 10:00 EST
    assert decision.reasons[-1] == Reason(
        "send_hour", "goes out Tue Dec 1 at 10:00 America/New_York (the client's own time zone)"
    )


def test_a_renewal_waits_its_own_delay_under_the_rule_name_delay(decide_ask: Decide) -> None:
    renewal = replace(BIND, trigger="policy.renewed", delay_business_days=2)

    decision = decide_ask(moment=renewal)

    assert decision.status == "scheduled"
    assert decision.scheduled_for == utc(2026, 11, 30, 16)  # Mon 10:00 CST
    assert decision.reasons[0] == Reason(
        "delay",
        "2 business days after the moment on Wed Nov 25 → Mon Nov 30 "
        "(skipped Thu Nov 26 Thanksgiving Day, 2 weekend days)",
    )


def test_a_one_day_delay_says_day_not_days(decide_ask: Decide) -> None:
    monday = replace(BIND, moment_at=chicago(2026, 6, 1), delay_business_days=1)

    decision = decide_ask(moment=monday, now=monday.moment_at)

    assert decision.reasons[0] == Reason(
        "bind_delay", "1 business day after the bind on Mon Jun 1 → Tue Jun 2"
    )


def test_an_ask_falling_back_to_email_keeps_the_consent_reason_first(decide_ask: Decide) -> None:
    decision = decide_ask(client=replace(DANA, consent_sms=None))

    assert decision.status == "scheduled"
    assert decision.channel == "email"
    assert rule_names(decision) == ["no_consent", "bind_delay", "send_hour"]


# --- decide: decided late --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        pytest.param(chicago(2026, 12, 1, 9), SLOT, id="before-the-slot-keeps-it"),
        pytest.param(
            chicago(2026, 12, 1, 10, 30), utc(2026, 12, 2, 16), id="just-after-asks-next-day"
        ),
        pytest.param(chicago(2026, 12, 2, 11), utc(2026, 12, 3, 16), id="a-day-late-asks-next-day"),
        pytest.param(chicago(2026, 12, 4, 11), utc(2026, 12, 7, 16), id="friday-late-asks-monday"),
        pytest.param(
            chicago(2026, 12, 8, 11), utc(2026, 12, 9, 16), id="last-slot-inside-the-window"
        ),
    ],
)
def test_a_decision_made_after_the_slot_passed_takes_the_next_slot_after_now(
    decide_ask: Decide, now: datetime, slot: datetime
) -> None:
    decision = decide_ask(now=now)

    assert decision.status == "scheduled"
    assert decision.scheduled_for == slot
    assert decision.scheduled_for is not None and decision.scheduled_for >= now


def test_a_late_decision_says_its_slot_had_passed(decide_ask: Decide) -> None:
    decision = decide_ask(now=chicago(2026, 12, 2, 11))

    assert decision.reasons == (
        THANKSGIVING_DELAY,
        Reason("send_hour", "decided after its slot passed; next send slot instead"),
        Reason(
            "send_hour",
            "goes out Thu Dec 3 at 10:00 America/Chicago (the zone of the client's mobile number)",
        ),
    )


# --- decide: expired -------------------------------------------------------------------------


def test_a_backfilled_bind_is_recorded_but_never_asked(decide_ask: Decide) -> None:
    decision = decide_ask(now=BOUND_AT + timedelta(days=30))

    assert decision == Decision(
        status="expired",
        channel=None,
        scheduled_for=None,
        expires_at=WARMTH_ENDS,
        reasons=(
            Reason(
                "warmth_expired",
                "the moment on Wed Nov 25 2026 was 30 days old when decided (a backfill): "
                "recorded, never asked; its 14-day warmth window ended Wed Dec 9",
            ),
        ),
    )


def test_a_moment_decided_as_its_warmth_window_ends_is_a_backfill(decide_ask: Decide) -> None:
    decision = decide_ask(now=WARMTH_ENDS)

    assert (decision.status, decision.channel, decision.scheduled_for) == ("expired", None, None)
    assert decision.reasons == (
        Reason(
            "warmth_expired",
            "the moment on Wed Nov 25 2026 was 14 days old when decided (a backfill): "
            "recorded, never asked; its 14-day warmth window ended Wed Dec 9",
        ),
    )


def test_a_moment_decided_just_before_its_window_ends_expires_for_want_of_a_slot(
    decide_ask: Decide,
) -> None:
    decision = decide_ask(now=WARMTH_ENDS - timedelta(seconds=1))

    assert (decision.status, decision.channel, decision.scheduled_for) == ("expired", "sms", None)
    assert rule_names(decision) == ["bind_delay", "send_hour", "send_hour", "warmth_expired"]
    assert decision.reasons[-1].detail.startswith(
        "the moment on Wed Nov 25 2026 could not go out before Thu Dec 10;"
    )


def test_a_delay_reaching_past_the_warmth_window_expires(decide_ask: Decide) -> None:
    decision = decide_ask(moment=replace(BIND, delay_business_days=12))

    assert decision.status == "expired"
    assert decision.channel == "sms"
    assert decision.scheduled_for is None
    assert decision.expires_at == WARMTH_ENDS
    assert rule_names(decision) == ["bind_delay", "send_hour", "warmth_expired"]
    assert decision.reasons[-1] == Reason(
        "warmth_expired",
        "the moment on Wed Nov 25 2026 could not go out before Mon Dec 14; "
        "its 14-day warmth window ended Wed Dec 9",
    )


@pytest.mark.parametrize(
    ("warmth_days", "status"),
    [
        pytest.param(3, "expired", id="slot-at-the-end-is-too-late"),
        pytest.param(4, "scheduled", id="slot-inside-the-window"),
    ],
)
def test_a_slot_must_fall_before_the_warmth_window_ends(
    decide_ask: Decide, book: Rulebook, warmth_days: int, status: str
) -> None:
    monday_ten = replace(BIND, moment_at=chicago(2026, 6, 1, 10))  # slot: Thu Jun 4 10:00 CDT

    decision = decide_ask(
        moment=monday_ten,
        book=replace(book, warmth_window_days=warmth_days),
        now=monday_ten.moment_at,
    )

    assert decision.status == status


# --- decide: suppressed ----------------------------------------------------------------------


def test_a_complaint_ten_days_ago_suppresses_the_ask(decide_ask: Decide) -> None:
    complained = replace(DANA, last_complaint_at=BOUND_AT - timedelta(days=10))

    decision = decide_ask(client=complained)

    assert decision == Decision(
        status="suppressed",
        channel=None,
        scheduled_for=None,
        expires_at=WARMTH_ENDS,
        reasons=(
            Reason("recent_complaint", "complaint received Sun Nov 15, within the last 60 days"),
        ),
    )


def test_a_complaint_sixty_one_days_ago_no_longer_counts(decide_ask: Decide) -> None:
    complained = replace(DANA, last_complaint_at=BOUND_AT - timedelta(days=61))

    decision = decide_ask(client=complained)

    assert decision.status == "scheduled"
    assert decision.scheduled_for == SLOT


def test_a_recent_complaint_suppresses_before_consent_is_looked_at(decide_ask: Decide) -> None:
    unreachable = ClientFacts(last_complaint_at=BOUND_AT - timedelta(days=10))

    assert rule_names(decide_ask(client=unreachable)) == ["recent_complaint"]


def test_a_backfill_expires_even_with_a_recent_complaint(decide_ask: Decide) -> None:
    now = BOUND_AT + timedelta(days=30)
    complained = replace(DANA, last_complaint_at=now - timedelta(days=1))

    assert rule_names(decide_ask(client=complained, now=now)) == ["warmth_expired"]


@pytest.mark.parametrize(
    ("client", "rule"),
    [
        pytest.param(ClientFacts(), "no_consent", id="no-address-no-mobile"),
        pytest.param(
            replace(DANA, email_opted_out=True, sms_opted_out=True), "opted_out", id="opted-out"
        ),
    ],
)
def test_a_client_no_channel_may_reach_is_suppressed(
    decide_ask: Decide, client: ClientFacts, rule: str
) -> None:
    decision = decide_ask(client=client)

    assert (decision.status, decision.channel, decision.scheduled_for) == (
        "suppressed",
        None,
        None,
    )
    assert rule_names(decision) == [rule]


def test_an_ask_thirty_days_before_the_slot_suppresses_a_second_one(decide_ask: Decide) -> None:
    asked = replace(DANA, last_ask_at=SLOT - timedelta(days=30), last_ask_id=7)

    decision = decide_ask(client=asked)

    assert decision == Decision(
        status="suppressed",
        channel="sms",
        scheduled_for=None,
        expires_at=WARMTH_ENDS,
        reasons=(
            Reason(
                "frequency_cap",
                "ask #7 to this client is dated Sun Nov 1; no second ask within 90 days "
                "(not before Sat Jan 30 2027)",
            ),
        ),
    )


def test_an_ask_ninety_one_days_before_the_slot_does_not_count(decide_ask: Decide) -> None:
    asked = replace(DANA, last_ask_at=SLOT - timedelta(days=91), last_ask_id=7)

    decision = decide_ask(client=asked)

    assert decision.status == "scheduled"
    assert decision.scheduled_for == SLOT


def test_an_ask_already_scheduled_after_this_one_counts_against_the_cap(
    decide_ask: Decide,
) -> None:
    upcoming = replace(DANA, last_ask_at=SLOT + timedelta(days=5), last_ask_id=8)

    decision = decide_ask(client=upcoming)

    assert decision.status == "suppressed"
    assert rule_names(decision) == ["frequency_cap"]


def test_the_cap_is_measured_from_the_slot_a_late_decision_takes(decide_ask: Decide) -> None:
    # Decided Wed Dec 2: the slot moves to Thu Dec 3, which is 90 days after this ask.
    asked = replace(DANA, last_ask_at=utc(2026, 12, 3, 16) - timedelta(days=90))

    assert decide_ask(client=asked, now=chicago(2026, 12, 2, 11)).status == "scheduled"
    assert decide_ask(client=asked).status == "suppressed"


# --- decide: held ----------------------------------------------------------------------------


def test_an_open_billing_issue_holds_the_ask_at_its_slot(decide_ask: Decide) -> None:
    open_billing = replace(DANA, open_issues=(OpenIssue("T-9", "billing", None),))

    decision = decide_ask(client=open_billing)

    assert decision == Decision(
        status="held",
        channel="sms",
        scheduled_for=SLOT,
        expires_at=WARMTH_ENDS,
        reasons=(
            THANKSGIVING_DELAY,
            TUESDAY_AT_TEN,
            Reason(
                "open_issue",
                "held while billing T-9 is open; goes out at the next send slot once resolved, "
                "expires Wed Dec 9 if not",
            ),
        ),
    )


def test_several_open_issues_are_all_named(decide_ask: Decide) -> None:
    issues = (OpenIssue("T-9", "billing", None), OpenIssue("CLM-4", "claim", None))

    decision = decide_ask(client=replace(DANA, open_issues=issues))

    assert decision.reasons[-1].detail.startswith("held while billing T-9, claim CLM-4 are open;")


def test_an_open_issue_holds_even_an_ask_that_needs_review(decide_ask: Decide) -> None:
    client = replace(DANA, sensitive=True, open_issues=(OpenIssue("T-9", "ticket", None),))

    decision = decide_ask(client=client)

    assert decision.status == "held"
    assert "needs_review" not in rule_names(decision)


# --- decide: owner review --------------------------------------------------------------------

PREMIUM_AT_THRESHOLD = "premium $10,000 is at or above the $10,000 review threshold"
COMMERCIAL = "commercial account: the agency reviews these"
SENSITIVE = "the client is marked sensitive"
REWARD = "the wording mentions a reward or commission (state rules vary)"
DISPUTED = "attribution of this relationship is disputed"


@pytest.mark.parametrize(
    ("moment", "client", "commercial_review", "mentions_reward", "review"),
    [
        pytest.param(BIND, DANA, False, False, [], id="ordinary-personal-bind"),
        pytest.param(
            replace(BIND, premium=10000),
            DANA,
            False,
            False,
            [PREMIUM_AT_THRESHOLD],
            id="premium-at-threshold",
        ),
        pytest.param(replace(BIND, premium=9999.99), DANA, False, False, [], id="just-below"),
        pytest.param(replace(BIND, premium=None), DANA, False, False, [], id="premium-unknown"),
        pytest.param(
            replace(BIND, segment="commercial"),
            DANA,
            True,
            False,
            [COMMERCIAL],
            id="commercial-when-the-agency-reviews-them",
        ),
        pytest.param(
            replace(BIND, segment="commercial"),
            DANA,
            False,
            False,
            [],
            id="commercial-when-the-agency-does-not",
        ),
        pytest.param(
            BIND, replace(DANA, sensitive=True), False, False, [SENSITIVE], id="sensitive-client"
        ),
        pytest.param(BIND, DANA, False, True, [REWARD], id="wording-mentions-a-reward"),
        pytest.param(
            replace(BIND, attribution_disputed=True),
            DANA,
            False,
            False,
            [DISPUTED],
            id="attribution-disputed",
        ),
    ],
)
def test_asks_the_owner_should_see_first_go_to_review(
    decide_ask: Decide,
    book: Rulebook,
    moment: MomentFacts,
    client: ClientFacts,
    commercial_review: bool,
    mentions_reward: bool,
    review: list[str],
) -> None:
    decision = decide_ask(
        moment=moment,
        client=client,
        book=replace(book, commercial_requires_review=commercial_review),
        mentions_reward=mentions_reward,
    )

    assert decision.status == ("pending_review" if review else "scheduled")
    assert decision.channel == "sms"
    assert decision.scheduled_for == SLOT
    assert decision.reasons == (
        THANKSGIVING_DELAY,
        TUESDAY_AT_TEN,
        *(Reason("needs_review", detail) for detail in review),
    )


def test_every_reason_for_review_is_listed(decide_ask: Decide, book: Rulebook) -> None:
    decision = decide_ask(
        moment=replace(BIND, premium=25000, segment="commercial", attribution_disputed=True),
        client=replace(DANA, sensitive=True),
        book=replace(book, commercial_requires_review=True),
        mentions_reward=True,
    )

    assert decision.status == "pending_review"
    assert decision.reasons[2:] == (
        Reason("needs_review", "premium $25,000 is at or above the $10,000 review threshold"),
        Reason("needs_review", COMMERCIAL),
        Reason("needs_review", SENSITIVE),
        Reason("needs_review", REWARD),
        Reason("needs_review", DISPUTED),
    )


# --- the rules one by one: boundaries --------------------------------------------------------


@pytest.mark.parametrize(
    ("premium", "needs_review"),
    [
        pytest.param(10000.0, True, id="at"),
        pytest.param(10000.01, True, id="above"),
        pytest.param(9999.99, False, id="below"),
        pytest.param(0.0, False, id="zero"),
        pytest.param(None, False, id="unknown"),
    ],
)
def test_review_starts_at_the_premium_threshold(
    book: Rulebook, premium: float | None, needs_review: bool
) -> None:
    reasons = review_reasons(replace(BIND, premium=premium), DANA, book, mentions_reward=False)

    assert bool(reasons) is needs_review


@pytest.mark.parametrize(
    ("age", "recent"),
    [
        pytest.param(timedelta(0), True, id="just-now"),
        pytest.param(timedelta(days=60) - timedelta(seconds=1), True, id="a-second-inside"),
        pytest.param(timedelta(days=60), False, id="exactly-sixty-days"),
        pytest.param(timedelta(days=61), False, id="sixty-one-days"),
    ],
)
def test_a_complaint_counts_for_sixty_days(book: Rulebook, age: timedelta, recent: bool) -> None:
    now = BOUND_AT
    client = replace(DANA, last_complaint_at=now - age)

    assert (complaint_reason(client, book, now) is not None) is recent


def test_no_complaint_on_record_gives_no_reason(book: Rulebook) -> None:
    assert complaint_reason(DANA, book, BOUND_AT) is None


def test_a_zero_day_complaint_window_ignores_complaints(book: Rulebook) -> None:
    client = replace(DANA, last_complaint_at=BOUND_AT)

    assert complaint_reason(client, replace(book, recent_complaint_days=0), BOUND_AT) is None


@pytest.mark.parametrize(
    ("last_ask_at", "capped"),
    [
        pytest.param(SLOT - timedelta(days=90), False, id="exactly-ninety-days-before"),
        pytest.param(SLOT - timedelta(days=90) + timedelta(seconds=1), True, id="a-second-inside"),
        pytest.param(SLOT - timedelta(days=1), True, id="the-day-before"),
        pytest.param(SLOT, True, id="the-same-instant"),
        pytest.param(SLOT + timedelta(days=90), False, id="exactly-ninety-days-after"),
        pytest.param(SLOT + timedelta(days=89), True, id="scheduled-inside-after"),
        pytest.param(None, False, id="never-asked"),
    ],
)
def test_the_frequency_cap_is_ninety_days_either_side(
    book: Rulebook, last_ask_at: datetime | None, capped: bool
) -> None:
    client = replace(DANA, last_ask_at=last_ask_at)

    assert (cap_reason(client, book, SLOT) is not None) is capped


def test_a_zero_day_frequency_cap_never_caps(book: Rulebook) -> None:
    client = replace(DANA, last_ask_at=SLOT)

    assert cap_reason(client, replace(book, frequency_cap_days=0), SLOT) is None


def test_a_cap_from_an_ask_without_an_id_says_another_ask(book: Rulebook) -> None:
    client = replace(DANA, last_ask_at=SLOT - timedelta(days=30))

    reason = cap_reason(client, book, SLOT)

    assert reason is not None
    assert reason.detail.startswith("another ask to this client is dated Sun Nov 1;")


# --- settings --------------------------------------------------------------------------------


def test_the_default_settings_give_the_documented_rulebook() -> None:
    book = Rulebook.from_settings(AgencySettings())

    assert book == Rulebook(
        calendar=BusinessCalendar(zone=ZoneInfo("America/Chicago"), holidays="US"),
        send_hour=10,
        quiet=QuietHours(time(21), time(8)),
        frequency_cap_days=90,
        warmth_window_days=14,
        recent_complaint_days=60,
        premium_threshold=10000,
        commercial_requires_review=False,
    )


def test_an_agencys_own_settings_reach_the_rulebook() -> None:
    settings = AgencySettings.from_mapping(
        {
            "agency": {"timezone": "America/Denver", "holidays": "US-TX"},
            "timing": {
                "send_hour": 9,
                "quiet_start": "20:30",
                "quiet_end": "08:30",
                "frequency_cap_days": 120,
                "warmth_window_days": 21,
                "recent_complaint_days": 30,
            },
            "review": {"premium_threshold": 5000, "commercial_requires_review": True},
        }
    )

    book = Rulebook.from_settings(settings)

    assert book == Rulebook(
        calendar=BusinessCalendar(zone=ZoneInfo("America/Denver"), holidays="US-TX"),
        send_hour=9,
        quiet=QuietHours(time(20, 30), time(8, 30)),
        frequency_cap_days=120,
        warmth_window_days=21,
        recent_complaint_days=30,
        premium_threshold=5000,
        commercial_requires_review=True,
    )
