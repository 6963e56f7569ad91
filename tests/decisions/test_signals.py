"""Which events are referral-ready moments, how feedback is read, and what one moment is.

Payloads are canonical events as ``POST /api/v1/events`` takes them (see INTERFACE.md);
only the fields a rule reads are filled in.
"""

from __future__ import annotations

from typing import Any

import pytest

from referral_engine.decisions.signals import (
    Signal,
    mentions_unresolved_problem,
    moment_key,
    read_feedback,
    signal_for,
)

CLIENT_ID = 41


def policy_event(
    *,
    number: str = "PA-778812",
    transaction: str | None = "new",
    effective_date: str | None = "2026-12-01",
    occurred_at: str = "2026-11-25T15:30:00-06:00",
) -> dict[str, Any]:
    return {
        "occurred_at": occurred_at,
        "policy": {
            "number": number,
            "line_of_business": "AUTOP",
            "carrier": "Progressive",
            "premium": 1820.00,
            "effective_date": effective_date,
            "transaction": transaction,
        },
    }


def feedback_event(score: int | None, text: str | None) -> dict[str, Any]:
    return {"occurred_at": "2026-11-25T15:30:00-06:00", "feedback": {"score": score, "text": text}}


def key_of(
    event_type: str, payload: dict[str, Any], *, source: str = "applied-epic", external_id: str
) -> str:
    return moment_key(
        client_id=CLIENT_ID,
        event_type=event_type,
        payload=payload,
        source=source,
        external_id=external_id,
    )


# --- which events are moments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("transaction", "label"),
    [
        pytest.param("new", "new business", id="new-business"),
        pytest.param("rewrite", "rewrite", id="rewrite"),
        pytest.param(None, "new business", id="no-transaction-reads-as-new-business"),
    ],
)
def test_a_bind_of_new_business_is_a_ready_moment_naming_the_policy(
    transaction: str | None, label: str
) -> None:
    signal = signal_for("policy.bound", policy_event(transaction=transaction))

    assert signal == Signal(
        "policy.bound", True, f"{label}: AUTOP policy PA-778812 with Progressive bound"
    )


@pytest.mark.parametrize("transaction", ["change", "reinstatement", "cancellation", "renewal"])
def test_a_bound_event_that_is_not_new_business_is_no_moment(transaction: str) -> None:
    assert signal_for("policy.bound", policy_event(transaction=transaction)) is None


def test_bind_evidence_leaves_out_what_the_source_did_not_say() -> None:
    payload = {"policy": {"number": "BOP-12", "transaction": "new"}}

    signal = signal_for("policy.bound", payload)

    assert signal is not None
    assert signal.evidence == "new business: policy BOP-12 bound"


def test_a_renewal_is_a_ready_moment_naming_the_policy() -> None:
    signal = signal_for("policy.renewed", policy_event(transaction="renewal"))

    assert signal == Signal(
        "policy.renewed", True, "renewal: AUTOP policy PA-778812 with Progressive renewed"
    )


@pytest.mark.parametrize(
    ("event_type", "evidence"),
    [
        pytest.param("project.completed", "project completed", id="project-completed"),
        pytest.param("support.resolved", "support issue resolved", id="support-resolved"),
        pytest.param("account.upgraded", "account upgraded", id="account-upgraded"),
    ],
)
def test_service_moments_are_ready(event_type: str, evidence: str) -> None:
    assert signal_for(event_type, {}) == Signal(event_type, True, evidence)


@pytest.mark.parametrize(
    "event_type",
    [
        "issue.opened",
        "issue.resolved",
        "complaint.received",
        "client.updated",
        "policy.cancelled",
        "something.unknown",
    ],
)
def test_events_that_are_not_warm_moments_make_no_signal(event_type: str) -> None:
    assert signal_for(event_type, policy_event()) is None


def test_feedback_events_are_read_for_warmth() -> None:
    signal = signal_for("feedback.received", feedback_event(10, "Sam was wonderful"))

    assert signal is not None
    assert signal.trigger == "feedback.received"
    assert signal.ready is True


def test_a_feedback_event_without_feedback_is_read_as_not_ready() -> None:
    signal = signal_for("feedback.received", {"feedback": None})

    assert signal == Signal("feedback.received", False, "feedback with neither a score nor text")


# --- reading feedback: scores ----------------------------------------------------------------


@pytest.mark.parametrize("score", [9, 10])
def test_promoter_scores_are_ready(score: int) -> None:
    signal = read_feedback(score, None)

    assert signal.ready is True
    assert signal.evidence == f"promoter score {score}/10"


@pytest.mark.parametrize("score", range(0, 9))
def test_scores_below_nine_are_not_ready(score: int) -> None:
    signal = read_feedback(score, None)

    assert signal.ready is False
    assert signal.evidence == f"score {score}/10 is below 9: not a promoter"


def test_the_score_decides_when_there_is_one_even_against_warm_words() -> None:
    signal = read_feedback(8, "Wonderful, thank you so much!")

    assert signal.ready is False
    assert (
        signal.evidence == "score 8/10 is below 9: not a promoter “Wonderful, thank you so much!”"
    )


def test_a_promoter_score_with_lukewarm_words_is_still_ready() -> None:
    assert read_feedback(9, "it was fine I guess").ready is True


def test_the_evidence_quotes_the_clients_words() -> None:
    signal = read_feedback(10, "  Sam made it painless.  ")

    assert signal.evidence == "promoter score 10/10 “Sam made it painless.”"


def test_long_feedback_is_quoted_to_160_characters() -> None:
    text = "Great service! " * 20

    signal = read_feedback(10, text)

    assert f"“{text.strip()[:160]}”" in signal.evidence
    assert text.strip()[:161] not in signal.evidence


@pytest.mark.parametrize("text", [None, "", "   "])
def test_feedback_with_neither_score_nor_text_is_not_ready(text: str | None) -> None:
    assert read_feedback(None, text) == Signal(
        "feedback.received", False, "feedback with neither a score nor text"
    )


# --- reading feedback: free text without a score ---------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Quick and painless, thank you!",
        "Love you guys — no problems at all",
        "Sam was fantastic, highly recommend!",
        "Best agency ever, the issue was handled perfectly",
        "The claim was resolved quickly, great job",
        "They fixed it fast, excellent service",
        "Thank you for sorting out my billing so fast! Wonderful",
    ],
)
def test_clearly_positive_text_without_a_score_is_ready(text: str) -> None:
    signal = read_feedback(None, text)

    assert signal.ready is True
    assert signal.evidence.startswith("clearly positive text (sentiment +")
    assert f"“{text}”" in signal.evidence


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("it was fine I guess", id="fine-i-guess"),
        pytest.param("ok", id="ok"),
        pytest.param("fine", id="fine"),
        pytest.param("Not bad", id="not-bad"),
        pytest.param("Good", id="good"),
        pytest.param("The agent was polite.", id="polite"),
    ],
)
def test_lukewarm_text_is_not_ready(text: str) -> None:
    signal = read_feedback(None, text)

    assert signal.ready is False
    assert signal.evidence.startswith("text is not clearly positive (sentiment ")


@pytest.mark.parametrize(
    "text",
    [
        "Terrible service, never again",
        "Very disappointed with how rude the office was",
        "I'm cancelling, your rates are a joke",
    ],
)
def test_negative_text_is_not_ready(text: str) -> None:
    assert read_feedback(None, text).ready is False


# --- reading feedback: an open problem outweighs everything ----------------------------------

UNRESOLVED_PHRASINGS = [
    "Sam was great but I'm still waiting on my claim check",
    "Thanks! The billing issue hasn't been fixed yet though",
    "Thanks! The billing issue hasn’t been fixed yet though",  # a phone's curly apostrophe
    "still no reply about my refund",
    "Great service, but my claim is still open",
    "Love the new policy. Still haven't received my ID cards",
    "Wonderful agent! I am still waiting for the adjuster",
    "Amazing! Though my refund hasn't been processed yet",
    "Very happy with the price, but the billing problem is not resolved",
    "10/10 service, just waiting on the check from the claim",
    "Fantastic, although the payment is still pending",
    "Thank you so much! The overcharge on my bill still hasn't been corrected",
    "Excellent service! Still no word on my claim",
    "Loved working with Sam. My claim is still not settled",
    "Super helpful! Still waiting for my refund check",
    "The agent was lovely, my claim remains unresolved",
    "Everyone is so nice, but nobody has called me back about the claim",
    "Great people. I never got a response about my windshield claim",
    "You guys are the best, but I haven't heard back about my refund",
    "Awesome, but the refund has not been issued",
    "Great, but I was double charged and no one has fixed it",
    "Thanks, but you still owe me a refund",
    "Love you guys, but I'm still on hold with the billing department",
    "Great rates. I have not received my refund though",
    "The new policy is great but the check never arrived",
    "Awaiting my refund, otherwise great",
    "Great service, though I have an open claim",
]


@pytest.mark.parametrize("text", UNRESOLVED_PHRASINGS)
def test_feedback_naming_an_open_problem_is_not_ready_even_from_a_promoter(text: str) -> None:
    signal = read_feedback(10, text)

    assert signal.ready is False
    assert signal.evidence.startswith("feedback mentions an unresolved problem: “")


@pytest.mark.parametrize("text", UNRESOLVED_PHRASINGS)
def test_feedback_naming_an_open_problem_is_not_ready_without_a_score(text: str) -> None:
    assert read_feedback(None, text).ready is False


# A promoter's praise must not be mistaken for a complaint: each of these, with a 10, is warm.
POSITIVE_PHRASINGS = [
    "Love you guys — no problems at all",
    "Quick and painless, thank you!",
    "Problem solved, thank you so much!",
    "The claim was resolved quickly, great job",
    "They fixed it fast, excellent service",
    "No issues whatsoever, wonderful agent",
    "Never had a problem with you guys, love it",
    "Great experience, I didn't have to wait at all",
    "My claim was paid within a week. Amazing service!",
    "Excellent! The refund arrived the next day",
    "Wonderful! Got my refund already, thanks",
    "Not a single problem, great team",
    "Still the best agency in town, thank you!",
    "Still no complaints after ten years with you!",
    "Still not a single issue, thank you",
    "No waiting on hold, great service!",
    "No more waiting on hold like with my old agent!",
    "Outstanding claim service, thank you!",
    "Nobody has ever helped me this fast",
    "No unresolved issues, everything was handled. Thanks!",
    "Sam still answers every text within minutes",
]


@pytest.mark.parametrize("text", POSITIVE_PHRASINGS)
def test_praise_is_not_mistaken_for_an_open_problem(text: str) -> None:
    assert mentions_unresolved_problem(text) is False
    assert read_feedback(10, text).ready is True


# --- one moment, one ask ---------------------------------------------------------------------


def test_the_same_bind_from_two_sources_is_one_moment() -> None:
    from_ams = key_of("policy.bound", policy_event(), source="applied-epic", external_id="e-1")
    from_carrier = key_of(
        "policy.bound", policy_event(), source="carrier-download", external_id="PROG-99812"
    )

    assert from_ams == from_carrier


def test_a_bind_without_a_transaction_is_the_same_moment_as_new_business() -> None:
    new = key_of("policy.bound", policy_event(transaction="new"), external_id="e-1")
    unsaid = key_of("policy.bound", policy_event(transaction=None), external_id="e-2")

    assert new == unsaid


def test_a_bind_of_another_policy_is_another_moment() -> None:
    auto = key_of("policy.bound", policy_event(number="PA-778812"), external_id="e-1")
    home = key_of("policy.bound", policy_event(number="HO-55120"), external_id="e-2")

    assert auto != home


def test_a_rewrite_of_a_policy_is_another_moment_than_its_first_bind() -> None:
    new = key_of("policy.bound", policy_event(transaction="new"), external_id="e-1")
    rewrite = key_of("policy.bound", policy_event(transaction="rewrite"), external_id="e-2")

    assert new != rewrite


def test_the_same_policy_for_another_client_is_another_moment() -> None:
    payload = policy_event()
    ours = key_of("policy.bound", payload, external_id="e-1")
    theirs = moment_key(
        client_id=CLIENT_ID + 1,
        event_type="policy.bound",
        payload=payload,
        source="applied-epic",
        external_id="e-1",
    )

    assert ours != theirs


def test_renewals_in_two_years_are_two_moments() -> None:
    this_year = policy_event(transaction="renewal", effective_date="2026-12-01")
    next_year = policy_event(transaction="renewal", effective_date="2027-12-01")

    assert key_of("policy.renewed", this_year, external_id="r-1") != key_of(
        "policy.renewed", next_year, external_id="r-2"
    )


def test_renewals_without_an_effective_date_are_told_apart_by_year() -> None:
    this_year = policy_event(
        transaction="renewal", effective_date=None, occurred_at="2026-11-20T09:00:00-06:00"
    )
    next_year = policy_event(
        transaction="renewal", effective_date=None, occurred_at="2027-11-19T09:00:00-06:00"
    )

    assert key_of("policy.renewed", this_year, external_id="r-1") != key_of(
        "policy.renewed", next_year, external_id="r-2"
    )


def test_the_same_renewal_from_two_sources_is_one_moment() -> None:
    renewal = policy_event(transaction="renewal")

    from_ams = key_of("policy.renewed", renewal, source="applied-epic", external_id="r-1")
    from_carrier = key_of("policy.renewed", renewal, source="carrier-email", external_id="msg-7")

    assert from_ams == from_carrier


def test_a_renewal_is_another_moment_than_the_bind_of_the_same_policy() -> None:
    bind = key_of("policy.bound", policy_event(transaction="new"), external_id="e-1")
    renewal = key_of("policy.renewed", policy_event(transaction="renewal"), external_id="r-1")

    assert bind != renewal


def test_feedback_is_keyed_by_its_own_source_and_id() -> None:
    payload = feedback_event(10, "Thanks!")

    key = key_of("feedback.received", payload, source="delighted", external_id="fb-1")

    assert key == f"{CLIENT_ID}:feedback.received:delighted:fb-1"


@pytest.mark.parametrize(
    ("source", "external_id"),
    [
        pytest.param("delighted", "fb-2", id="another-id"),
        pytest.param("typeform", "fb-1", id="same-id-from-another-source"),
    ],
)
def test_two_pieces_of_feedback_are_two_moments(source: str, external_id: str) -> None:
    payload = feedback_event(10, "Thanks!")
    first = key_of("feedback.received", payload, source="delighted", external_id="fb-1")

    assert key_of("feedback.received", payload, source=source, external_id=external_id) != first


def test_a_policy_event_without_a_number_is_keyed_by_its_own_source_and_id() -> None:
    payload = {"policy": {"number": None, "transaction": "new"}}

    key = key_of("policy.bound", payload, source="csv-import", external_id="row-17")

    assert key == f"{CLIENT_ID}:policy.bound:csv-import:row-17"
