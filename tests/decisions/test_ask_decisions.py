"""Every rule, through `referral import` + `referral tick --now` and read through the API."""

from __future__ import annotations

import pytest

from tests.agency import Agency, bind, detail, rules_of, timeline

IMPORTED = "2026-11-25T22:00:00Z"  # the evening of the bind (15:30 in Chicago)
DECIDED = "2026-11-25T23:00:00Z"


def test_bind_before_thanksgiving_is_asked_the_next_tuesday_at_ten_chicago(
    agency: Agency,
) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "scheduled"
    assert ask["channel"] == "sms"
    assert ask["scheduled_for"].startswith("2026-12-01T16:00:00")
    assert rules_of(ask) == ["bind_delay", "send_hour"]
    assert "Thanksgiving" in detail(ask, "bind_delay")
    assert "America/Chicago" in detail(ask, "send_hour")
    assert ask["trigger_event_id"] == "epic-778812-bind"
    assert ask["client_external_id"] == "C-1001"
    assert "Dana" in ask["draft"]["body"] and "Sam" in ask["draft"]["body"]
    assert "STOP" in ask["draft"]["body"], "the first text to a number says how to opt out"


def test_ask_goes_out_at_ten_in_the_clients_own_zone(agency: Agency) -> None:
    agency.feed(bind(client__timezone="America/Los_Angeles"), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["scheduled_for"].startswith("2026-12-01T18:00:00")
    assert "America/Los_Angeles" in detail(ask, "send_hour")


def test_a_new_york_mobile_gets_ten_new_york_time(agency: Agency) -> None:
    agency.feed(bind(client__mobile="+12125550123"), now=IMPORTED)
    agency.tick(DECIDED)
    assert agency.only_ask()["scheduled_for"].startswith("2026-12-01T15:00:00")


def test_the_same_bind_from_two_sources_makes_one_ask(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.feed(bind(id="carrier-download-991", source="ivans"), now=IMPORTED, source="ivans")
    agency.tick(DECIDED)
    ask = agency.only_ask()
    signals = [e for e in ask["timeline"] if e["kind"] == "signal"]
    assert len(signals) == 2
    assert "reported again by ivans" in signals[1]["detail"]


def test_a_repeated_event_changes_nothing(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    before = agency.only_ask()
    agency.feed(bind(), now="2026-11-26T10:00:00Z")
    agency.tick("2026-11-26T11:00:00Z")
    assert agency.only_ask() == before


def test_backfilled_bind_is_recorded_but_never_asked(agency: Agency) -> None:
    agency.feed(bind(occurred_at="2026-10-01T10:00:00-05:00"), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "expired"
    assert rules_of(ask) == ["warmth_expired"]
    assert "backfill" in detail(ask, "warmth_expired")


def test_open_billing_issue_holds_the_ask_until_resolved(agency: Agency) -> None:
    issue = bind(
        id="ticket-1-open",
        type="issue.opened",
        occurred_at="2026-11-20T09:00:00-06:00",
        policy=None,
        issue={"id": "B-77", "kind": "billing"},
    )
    agency.feed(issue, bind(), now=IMPORTED)
    agency.tick(DECIDED)
    held = agency.only_ask()
    assert held["status"] == "held"
    assert "billing B-77" in detail(held, "open_issue")

    resolved = bind(
        id="ticket-1-resolved",
        type="issue.resolved",
        occurred_at="2026-12-02T14:00:00-06:00",
        policy=None,
        issue={"id": "B-77", "kind": "billing"},
    )
    agency.feed(resolved, now="2026-12-02T20:30:00Z")
    agency.tick("2026-12-02T20:35:00Z")
    released = agency.only_ask()
    assert released["status"] == "scheduled"
    # Resolved Wednesday afternoon: the next 10:00 send slot is Thursday morning.
    assert released["scheduled_for"].startswith("2026-12-03T16:00:00")
    assert "B-77 resolved" in detail(released, "open_issue")
    assert ("decision", "open_issue", "held") in timeline(released)
    assert ("decision", None, "scheduled") in timeline(released)


def test_issue_opened_after_scheduling_holds_the_ask(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    claim = bind(
        id="claim-5",
        type="issue.opened",
        occurred_at="2026-11-27T09:00:00-06:00",
        policy=None,
        issue={"id": "CL-5", "kind": "claim"},
    )
    agency.feed(claim, now="2026-11-27T15:05:00Z")
    agency.tick("2026-11-27T15:10:00Z")
    assert agency.only_ask()["status"] == "held"


def test_ask_held_past_the_warmth_window_expires(agency: Agency) -> None:
    issue = bind(
        id="ticket-2",
        type="issue.opened",
        occurred_at="2026-11-24T09:00:00-06:00",
        policy=None,
        issue={"id": "T-2", "kind": "ticket"},
    )
    agency.feed(issue, bind(), now=IMPORTED)
    agency.tick(DECIDED)
    agency.tick("2026-12-09T22:00:00Z")  # 14 days after the bind, still open
    ask = agency.only_ask()
    assert ask["status"] == "expired"
    assert "warmth window" in detail(ask, "warmth_expired")


def test_recent_complaint_suppresses_the_ask(agency: Agency) -> None:
    complaint = bind(
        id="complaint-1",
        type="complaint.received",
        occurred_at="2026-11-10T09:00:00-06:00",
        policy=None,
    )
    agency.feed(complaint, bind(), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "suppressed"
    assert rules_of(ask) == ["recent_complaint"]


def test_complaint_after_scheduling_suppresses_the_ask(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    complaint = bind(
        id="complaint-2",
        type="complaint.received",
        occurred_at="2026-11-27T09:00:00-06:00",
        policy=None,
    )
    agency.feed(complaint, now="2026-11-27T15:05:00Z")
    agency.tick("2026-11-27T15:10:00Z")
    ask = agency.only_ask()
    assert ask["status"] == "suppressed"
    assert "recent_complaint" in rules_of(ask)


def test_second_moment_inside_ninety_days_is_capped(agency: Agency) -> None:
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    second = bind(
        id="epic-778900-bind",
        occurred_at="2026-12-10T11:00:00-06:00",
        policy={"number": "HO-778900", "line_of_business": "HOME", "transaction": "new"},
    )
    agency.feed(second, now="2026-12-10T18:00:00Z")
    agency.tick("2026-12-10T18:05:00Z")
    capped = agency.only_ask(status="suppressed")
    assert rules_of(capped) == ["frequency_cap"]
    assert "90 days" in detail(capped, "frequency_cap")


def test_sms_without_recorded_consent_falls_back_to_email(agency: Agency) -> None:
    agency.feed(bind(client__consent={"email": True, "sms": None}), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "scheduled"
    assert ask["channel"] == "email"
    assert "consent not recorded" in detail(ask, "no_consent")
    assert ask["draft"]["subject"]


def test_no_usable_channel_suppresses_the_ask(agency: Agency) -> None:
    agency.feed(
        bind(client__consent={"email": False, "sms": False}, client__preferred_channel="email"),
        now=IMPORTED,
    )
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "suppressed"
    assert rules_of(ask) == ["no_consent"]
    assert ask["channel"] is None


@pytest.mark.parametrize(
    ("consent", "channel"),
    [
        pytest.param({"email": None, "sms": False}, "email", id="email-unrecorded"),
        pytest.param({"email": False, "sms": None}, "sms", id="sms-unrecorded"),
    ],
)
def test_consent_not_recorded_waits_for_a_person_never_sends_by_itself(
    agency: Agency, consent: dict[str, bool | None], channel: str
) -> None:
    agency.feed(bind(client__consent=consent), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert (ask["status"], ask["channel"]) == ("pending_review", channel)
    assert "consent not recorded" in detail(ask, "no_consent")


def test_premium_at_the_threshold_goes_to_review(agency: Agency) -> None:
    agency.feed(bind(policy={**bind()["policy"], "premium": 10000}), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    assert "review threshold" in detail(ask, "needs_review")
    assert ask["scheduled_for"].startswith("2026-12-01T16:00:00"), "the proposed time is kept"


def test_sensitive_client_goes_to_review(agency: Agency) -> None:
    agency.feed(bind(client__sensitive=True), now=IMPORTED)
    agency.tick(DECIDED)
    assert "sensitive" in detail(agency.only_ask(), "needs_review")


def test_commercial_lines_go_to_review_when_configured(agency: Agency) -> None:
    agency.configure("[review]\ncommercial_requires_review = true\n")
    fleet = bind(
        client__company="Reyes Landscaping LLC",
        policy={"number": "BA-1", "line_of_business": "AUTOB", "transaction": "new"},
    )
    agency.feed(fleet, now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["segment"] == "commercial"
    assert "commercial account" in detail(ask, "needs_review")


def test_commercial_lines_need_no_review_by_default(agency: Agency) -> None:
    fleet = bind(policy={"number": "BA-1", "line_of_business": "AUTOB", "transaction": "new"})
    agency.feed(fleet, now=IMPORTED)
    agency.tick(DECIDED)
    assert agency.only_ask()["status"] == "scheduled"


def test_wording_that_mentions_a_reward_goes_to_review(agency: Agency) -> None:
    template = (
        "Hi {{ greeting_name }}, thanks for trusting us with your {{ line }}. Know someone "
        "who'd like the same care? Every introduction earns a $25 gift card. "
        "- {{ producer_first_name }}"
    )
    response = agency.api.put(
        "/api/v1/templates/policy.bound/any/any/any/sms", json={"source": template}
    )
    assert response.status_code == 200, response.text
    agency.feed(bind(), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["status"] == "pending_review"
    assert "reward" in detail(ask, "needs_review")


def test_renewal_waits_its_own_delay(agency: Agency) -> None:
    renewal = bind(
        id="epic-778812-rwl",
        type="policy.renewed",
        occurred_at="2026-11-23T09:00:00-06:00",
        policy={**bind()["policy"], "transaction": "renewal"},
    )
    agency.feed(renewal, now="2026-11-23T16:00:00Z")
    agency.tick("2026-11-23T16:05:00Z")
    ask = agency.only_ask()
    assert ask["trigger"] == "policy.renewed"
    assert ask["scheduled_for"].startswith("2026-11-25T16:00:00"), "2 business days: Wednesday"


def test_promoter_feedback_makes_an_ask_and_lukewarm_does_not(agency: Agency) -> None:
    promoter = bind(
        id="nps-1", type="feedback.received", policy=None, feedback={"score": 10, "text": ""}
    )
    passive = bind(
        id="nps-2",
        type="feedback.received",
        policy=None,
        client__external_id="C-2002",
        client__email="lee@example.com",
        client__mobile="+13125550199",
        feedback={"score": 7, "text": "fine"},
    )
    agency.feed(promoter, passive, now=IMPORTED)
    out = agency.tick(DECIDED)
    ask = agency.only_ask()
    assert ask["client_external_id"] == "C-1001"
    assert "promoter score 10/10" in ask["evidence"]
    assert "signal:not_ready: 1" in out


def test_kind_words_about_an_unresolved_claim_are_not_a_moment(agency: Agency) -> None:
    feedback = bind(
        id="note-1",
        type="feedback.received",
        policy=None,
        feedback={"score": None, "text": "Sam is wonderful, but I'm still waiting on my claim"},
    )
    agency.feed(feedback, now=IMPORTED)
    agency.tick(DECIDED)
    assert agency.asks() == []


def test_every_decision_is_on_the_timeline(agency: Agency) -> None:
    agency.feed(bind(client__sensitive=True), now=IMPORTED)
    agency.tick(DECIDED)
    ask = agency.only_ask()
    kinds = timeline(ask)
    assert kinds[0] == ("signal", None, None)
    assert ("rule", "bind_delay", None) in kinds
    assert ("rule", "needs_review", None) in kinds
    assert kinds[-1] == ("decision", "needs_review", "pending_review")
