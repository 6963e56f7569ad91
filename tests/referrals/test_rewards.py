"""Referral rewards (research R30–R33; test case 9): never for a purchase, within the
referrer's state's rules, every one reviewed with the rule that allowed or blocked it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from bs4 import BeautifulSoup

from referral_engine import clock
from tests.agency import Agency, bind
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at

_PROSPECTS = itertools.count(1)
# Referrers by the state their ZIP code is in.
WREN = {"external_id": "C-WA", "first_name": "Wren", "postal_code": "98101"}  # Seattle
GUS = {"external_id": "C-GA", "first_name": "Gus", "postal_code": "30303"}  # Atlanta
TESS = {"external_id": "C-TX", "first_name": "Tess", "postal_code": "75201"}  # Dallas
FLO = {"external_id": "C-FL", "first_name": "Flo", "postal_code": "33101"}  # Miami
CAL = {"external_id": "C-CA", "first_name": "Cal", "postal_code": "94105"}  # San Francisco


def program(kind: str = "gift_card", value: float = 60) -> str:
    return f'[rewards]\nenabled = true\nkind = "{kind}"\nvalue = {value}\n'


def referrer(agency: Agency, who: dict[str, str]) -> None:
    """A client known from a bind, living where ``who``'s ZIP code is."""
    client = {
        **bind()["client"],
        **who,
        "last_name": "Client",
        "email": f"{who['first_name'].lower()}@example.com",
        "mobile": None,
        "consent": {"email": True, "sms": False},
    }
    document = bind(id=f"bind-{who['external_id']}", client=client)
    agency.feed(document, now="2026-11-20T15:00:00Z")


def refer(agency: Agency, who: dict[str, str], *, now: str) -> dict[str, Any]:
    """``who`` introduces a new person at ``now``; returns the referral."""
    n = next(_PROSPECTS)
    body = {
        "prospect": {"first_name": f"Friend{n}", "last_name": "Test", "email": f"f{n}@ex.com"},
        "referred_by": {"kind": "client", "external_id": who["external_id"]},
    }
    response = agency.post("/api/v1/referrals", body, now=now)
    assert response.status_code == 201, response.text
    return dict(response.json())


def reward_of(referral: dict[str, Any]) -> dict[str, Any]:
    [reward] = referral["rewards"]
    return dict(reward)


def decide(agency: Agency, reward_id: int, verb: str, *, now: str, body: Any = None) -> Any:
    with clock.frozen(at(now)):
        return agency.api.post(f"/api/v1/rewards/{reward_id}/{verb}", json=body)


# --- the trigger ------------------------------------------------------------------------


@pytest.mark.parametrize("trigger", ["on_bind", "on_quote", "converted", "policy_issued"])
def test_a_program_that_pays_for_a_purchase_is_refused_at_init(
    agency: Agency, trigger: str
) -> None:
    path = agency.tmp / "pay-on-bind.toml"
    path.write_text(program() + f'trigger = "{trigger}"\n', encoding="utf-8")
    out = agency.run("init", "--config", str(path), now="2026-11-20T12:00:00Z", expect=2)
    assert "rewards.trigger" in out
    assert "never depend on the referred person quoting, applying or buying" in out
    assert "R32" in out


def test_a_program_that_pays_for_a_purchase_is_refused_on_the_settings_page(
    agency: Agency,
) -> None:
    agency.api.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    document = program() + 'trigger = "on_bind"\n'
    response = agency.api.post("/settings", data={"document": document})
    assert response.status_code == 422
    assert "never depend on the referred person quoting, applying or buying" in response.text
    assert agency.api.get("/settings").text.count("on_bind") == 0


def test_no_reward_is_proposed_while_the_program_is_off(agency: Agency) -> None:
    referrer(agency, WREN)
    assert refer(agency, WREN, now="2026-12-01T16:00:00Z")["rewards"] == []


# --- state rules ------------------------------------------------------------------------


def test_washington_allows_100_dollars_per_12_months_so_a_second_60_is_blocked(
    agency: Agency,
) -> None:
    agency.configure(program(value=60))
    referrer(agency, WREN)
    first = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    second = reward_of(refer(agency, WREN, now="2026-12-02T16:00:00Z"))
    assert (first["status"], first["state"]) == ("proposed", "WA")
    assert first["rule"].startswith("allowed by WA: non-cash only; at most $100.00")
    assert second["status"] == "blocked"
    assert "$60.00 already given or offered" in second["rule"]
    assert "would make $120.00" in second["rule"]
    assert "WA OIC" in second["rule"]


def test_washingtons_12_months_roll(agency: Agency) -> None:
    agency.configure(program(value=60))
    referrer(agency, WREN)
    refer(agency, WREN, now="2026-12-01T16:00:00Z")
    inside = reward_of(refer(agency, WREN, now="2027-11-30T16:00:00Z"))
    after = reward_of(refer(agency, WREN, now="2027-12-02T16:00:00Z"))
    assert (inside["status"], after["status"]) == ("blocked", "proposed")


def test_washington_blocks_cash(agency: Agency) -> None:
    agency.configure(program(kind="cash", value=10))
    referrer(agency, WREN)
    reward = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    assert reward["status"] == "blocked"
    assert "a cash reward is cash" in reward["rule"]


def test_georgias_100_dollars_reset_on_january_first(agency: Agency) -> None:
    agency.configure(program(value=60))
    referrer(agency, GUS)
    december = [
        reward_of(refer(agency, GUS, now=day))["status"]
        for day in ("2026-12-01T16:00:00Z", "2026-12-20T16:00:00Z")
    ]
    january = reward_of(refer(agency, GUS, now="2027-01-04T16:00:00Z"))
    assert december == ["proposed", "blocked"]
    assert january["status"] == "proposed"
    assert "per calendar year" in january["rule"]


def test_texas_caps_rewards_at_25_dollars(agency: Agency) -> None:
    agency.configure(program(value=20))
    referrer(agency, TESS)
    first = reward_of(refer(agency, TESS, now="2026-12-01T16:00:00Z"))
    second = reward_of(refer(agency, TESS, now="2026-12-02T16:00:00Z"))
    assert (first["status"], second["status"]) == ("proposed", "blocked")
    assert "would make $40.00" in second["rule"] and "$25.00" in second["rule"]


def test_florida_allows_cash_with_no_cap_when_not_contingent(agency: Agency) -> None:
    agency.configure(program(kind="cash", value=150))
    referrer(agency, FLO)
    statuses = [
        reward_of(refer(agency, FLO, now=day))["status"]
        for day in ("2026-12-01T16:00:00Z", "2026-12-02T16:00:00Z")
    ]
    assert statuses == ["proposed", "proposed"]


def test_a_state_with_no_rule_is_blocked_until_an_admin_sets_one(agency: Agency) -> None:
    agency.configure(program(value=40))
    referrer(agency, CAL)
    reward = reward_of(refer(agency, CAL, now="2026-12-01T16:00:00Z"))
    assert reward["status"] == "blocked"
    assert "no reward rule for CA" in reward["rule"]
    assert "[rewards.states.CA]" in reward["rule"]
    refused = decide(agency, reward["id"], "approve", now="2026-12-02T16:00:00Z")
    assert refused.status_code == 409
    assert "no reward rule for CA" in refused.json()["detail"]
    agency.configure(
        '[rewards.states.CA]\nannual_cap = 50\nnon_cash_only = true\nsource = "counsel, 2026"\n'
    )
    approved = decide(agency, reward["id"], "approve", now="2026-12-03T16:00:00Z")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert "CA: non-cash only; at most $50.00" in approved.json()["rule"]
    assert "agency settings" in approved.json()["rule"]


def test_a_referrer_whose_state_is_unknown_gets_no_reward(agency: Agency) -> None:
    agency.configure(program(value=40))
    nowhere = {"external_id": "C-XX", "first_name": "Nora", "postal_code": None}
    referrer(agency, nowhere)  # type: ignore[arg-type]
    reward = reward_of(refer(agency, nowhere, now="2026-12-01T16:00:00Z"))  # type: ignore[arg-type]
    assert reward["status"] == "blocked"
    assert "state is unknown" in reward["rule"]


def test_an_agency_rule_may_only_add_to_the_states_rule(agency: Agency) -> None:
    agency.configure(program(value=60) + "[rewards.states.WA]\nannual_cap = 500\n")
    referrer(agency, WREN)
    refer(agency, WREN, now="2026-12-01T16:00:00Z")
    second = reward_of(refer(agency, WREN, now="2026-12-02T16:00:00Z"))
    assert second["status"] == "blocked"  # the file's $100 still holds


# --- review -----------------------------------------------------------------------------


def test_every_reward_waits_for_review_showing_the_rule_that_allowed_it(
    agency: Agency,
) -> None:
    agency.configure(program(value=60))
    referrer(agency, WREN)
    reward = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    [task] = [t for t in agency.api.get("/api/v1/tasks").json() if t["kind"] == "reward_review"]
    assert task["title"] == "Review the $60.00 gift card for Wren Client"
    assert reward["rule"] in task["detail"]
    listed = agency.api.get("/api/v1/rewards", params={"status": "proposed"}).json()
    assert [(r["id"], r["referrer"], r["kind"], r["value"]) for r in listed] == [
        (reward["id"], "Wren Client", "gift_card", 60.0)
    ]


def test_an_approved_reward_counts_and_closes_its_review(agency: Agency) -> None:
    agency.configure(program(value=60))
    referrer(agency, WREN)
    reward = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    approved = decide(agency, reward["id"], "approve", now="2026-12-01T18:00:00Z").json()
    assert (approved["status"], approved["decided_by"]) == ("approved", "Administrator")
    [task] = [t for t in agency.api.get("/api/v1/tasks").json() if t["kind"] == "reward_review"]
    assert task["status"] == "done"
    again = decide(agency, reward["id"], "decline", now="2026-12-01T19:00:00Z")
    assert again.status_code == 409


def test_a_declined_reward_frees_the_cap(agency: Agency) -> None:
    agency.configure(program(value=60))
    referrer(agency, WREN)
    first = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    declined = decide(
        agency, first["id"], "decline", now="2026-12-01T18:00:00Z", body={"reason": "duplicate"}
    )
    assert declined.json()["status"] == "declined" and declined.json()["note"] == "duplicate"
    second = reward_of(refer(agency, WREN, now="2026-12-02T16:00:00Z"))
    assert second["status"] == "proposed"


def test_only_an_admin_decides_rewards(agency: Agency) -> None:
    from referral_engine.users.models import Role
    from tests.referrals.support import person

    agency.configure(program(value=60))
    referrer(agency, WREN)
    reward = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    token = person(agency.url, "pat@agency.example", Role.producer)
    with clock.frozen(at("2026-12-01T18:00:00Z")):
        response = agency.api.post(
            f"/api/v1/rewards/{reward['id']}/approve",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 403


def test_a_partners_referral_gets_no_programme_reward(agency: Agency) -> None:
    agency.configure(program(value=60))
    body = {
        "prospect": {"first_name": "Pat", "email": "pat@ex.com"},
        "referred_by": {"kind": "partner", "name": "Harbor Realty"},
    }
    referral = agency.post("/api/v1/referrals", body, now="2026-12-01T16:00:00Z").json()
    assert referral["rewards"] == []


# --- pages ------------------------------------------------------------------------------


def sign_in(agency: Agency) -> None:
    response = agency.api.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code in (200, 303), response.text


def test_the_review_page_shows_each_reward_with_its_rule_and_approves_it(
    agency: Agency,
) -> None:
    agency.configure(program(value=60))
    referrer(agency, WREN)
    allowed = reward_of(refer(agency, WREN, now="2026-12-01T16:00:00Z"))
    blocked = reward_of(refer(agency, WREN, now="2026-12-02T16:00:00Z"))
    sign_in(agency)
    page = BeautifulSoup(agency.api.get("/review").text, "html.parser")
    for reward in (allowed, blocked):
        card = page.select_one(f"#reward-{reward['id']}")
        assert card is not None
        assert f"Rule: {reward['rule']}" in card.get_text(" ", strip=True)
    with clock.frozen(at("2026-12-02T18:00:00Z")):
        done = agency.api.post(f"/rewards/{allowed['id']}/approve")
        refused = agency.api.post(f"/rewards/{blocked['id']}/approve")
    assert f"Reward {allowed['id']} approved." in done.text
    assert "already given or offered" in refused.text
    statuses = [r["status"] for r in agency.api.get("/api/v1/rewards").json()]
    assert statuses == ["approved", "blocked"]


def test_the_settings_page_keeps_the_reward_program_and_its_state_rules(
    agency: Agency,
) -> None:
    agency.configure(program(value=40) + "[rewards.states.CA]\nannual_cap = 50\n")
    sign_in(agency)
    shown = BeautifulSoup(agency.api.get("/settings").text, "html.parser")
    textarea = shown.select_one("textarea[name=document]")
    assert textarea is not None and "[rewards.states.CA]" in textarea.text
    saved = agency.api.post("/settings", data={"document": textarea.text})
    assert saved.status_code == 200, saved.text  # redirected back to the page
    referrer(agency, CAL)
    reward = reward_of(refer(agency, CAL, now="2026-12-01T16:00:00Z"))
    assert reward["status"] == "proposed"
    assert "CA: non-cash only; at most $50.00" in reward["rule"]
