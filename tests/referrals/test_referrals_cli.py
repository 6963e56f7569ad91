"""`referral referrals`: list and move referrals from the terminal."""

from __future__ import annotations

from tests.agency import Agency

NOW = "2026-12-01T15:00:00Z"
BODY = {
    "prospect": {"first_name": "Lee", "last_name": "Park", "mobile": "+13125550188"},
    "referred_by": {"kind": "external", "name": "A neighbor"},
}


def test_cli_lists_and_moves_a_referral(agency: Agency) -> None:
    referral_id = agency.post("/api/v1/referrals", BODY, now=NOW).json()["id"]
    assert "Lee Park" in agency.run("referrals", "list", now=NOW)
    assert "contacted" in agency.run("referrals", "set", str(referral_id), "contacted", now=NOW)
    agency.run("referrals", "set", str(referral_id), "not_converted", "--reason", "price", now=NOW)
    read = agency.api.get(f"/api/v1/referrals/{referral_id}").json()
    assert (read["status"], read["reason"]) == ("not_converted", "price")


def test_cli_refuses_not_converted_without_a_reason_with_exit_2(agency: Agency) -> None:
    referral_id = agency.post("/api/v1/referrals", BODY, now=NOW).json()["id"]
    out = agency.run("referrals", "set", str(referral_id), "not_converted", now=NOW, expect=2)
    assert "reason" in out
    assert agency.api.get(f"/api/v1/referrals/{referral_id}").json()["status"] == "new"
