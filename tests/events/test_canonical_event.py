"""Normalization of the canonical event: what every source is held to."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from referral_engine.events.schemas import EventIn, NormalizeContext
from tests.factories import event


def read(document: dict, **context: object) -> EventIn:
    return EventIn.model_validate(document, context=NormalizeContext(**context).as_dict())  # type: ignore[arg-type]


def test_the_interface_example_is_accepted_as_is() -> None:
    parsed = read(event())
    assert parsed.key == ("applied-epic", "epic-778812-bind")
    assert parsed.policy is not None and parsed.policy.segment == "personal"


def test_names_are_trimmed_and_emails_lowercased() -> None:
    parsed = read(event(client__first_name="  Dana ", client__email=" Dana.Reyes@Example.COM "))
    assert parsed.client.first_name == "Dana"
    assert parsed.client.email == "dana.reyes@example.com"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("(312) 555-0123", "US", "+13125550123"),
        ("312.555.0123", "US", "+13125550123"),
        ("+1 312 555 0123", "US", "+13125550123"),
        ("416-555-0199", "CA", "+14165550199"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_phones_become_e164_in_the_agency_region(raw: str, region: str, expected: str) -> None:
    assert read(event(client__mobile=raw), phone_region=region).client.mobile == expected


@pytest.mark.parametrize(
    ("raw", "code", "segment"),
    [
        ("AUTOP", "AUTOP", "personal"),
        ("Personal Auto", "AUTOP", "personal"),
        ("Homeowners", "HOME", "personal"),
        ("Workers Comp", "WORK", "commercial"),
        ("Workers' Compensation", "WORK", "commercial"),
        ("General Liability", "CGL", "commercial"),
        ("business owners policy", "BOP", "commercial"),
        ("Commercial Auto", "AUTOB", "commercial"),
        ("Cyber", "CYBER", "commercial"),
        ("Pet insurance", "PET INSURANCE", None),
    ],
)
def test_lines_of_business_map_to_acord_codes(raw: str, code: str, segment: str | None) -> None:
    policy = read(event(policy__line_of_business=raw)).policy
    assert policy is not None
    assert (policy.line_of_business, policy.segment) == (code, segment)


def test_an_explicit_segment_wins_over_the_code() -> None:
    policy = read(event(policy__line_of_business="AUTOP", policy__segment="Commercial")).policy
    assert policy is not None and policy.segment == "commercial"


def test_an_agency_code_maps_through_the_agency_settings() -> None:
    policy = read(
        event(policy__line_of_business="PA-6"), lines_of_business={"PA-6": "AUTOP"}
    ).policy
    assert policy is not None and policy.line_of_business == "AUTOP"


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("NBS", "new"),
        ("BND", "new"),
        ("RWL", "renewal"),
        ("REW", "rewrite"),
        ("REI", "reinstatement"),
        ("PCH", "change"),
        ("XLN", "cancellation"),
        ("Renewal", "renewal"),
    ],
)
def test_acord_transaction_purposes_become_words(raw: str, word: str) -> None:
    policy = read(event(policy__transaction=raw)).policy
    assert policy is not None and policy.transaction == word


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"client__email": "dana@"}, "client.email"),
        ({"client__mobile": "12"}, "client.mobile"),
        ({"type": "policy.exploded"}, "type"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"policy__premium": -5}, "policy.premium"),
        ({"policy__transaction": "maybe"}, "policy.transaction"),
        ({"client__timezone": "Mars/Olympus"}, "client.timezone"),
        ({"id": ""}, "id"),
    ],
)
def test_bad_fields_are_named_in_the_error(overrides: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        read(event(**overrides))
    fields = {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}
    assert field in fields


def test_a_client_without_any_identity_is_refused() -> None:
    document = event()
    document["client"] = {"first_name": "Dana"}
    with pytest.raises(ValidationError, match="external_id, an email or a mobile"):
        read(document)


def test_a_bind_without_a_policy_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a 'policy'"):
        read(event(policy=None))


def test_a_local_date_is_read_in_the_agency_zone() -> None:
    parsed = read(event(occurred_at="2026-11-25"), timezone="America/New_York")
    assert parsed.occurred_at.isoformat() == "2026-11-25T12:00:00-05:00"
