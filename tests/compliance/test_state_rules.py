"""compliance/states.toml as the code reads it, where a client is, and docs/compliance.md
agreeing with the file row for row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from referral_engine.compliance.places import (
    US_STATES,
    state_code,
    state_of_mobile,
    state_of_postal_code,
    zone_of_postal_code,
)
from referral_engine.compliance.states import (
    Hours,
    RulesFileError,
    SendWindowRule,
    compliance_rules,
    parse_rules,
    state_tables,
)
from referral_engine.settings import AgencySettings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "compliance.md"
RULES = compliance_rules()


def hours(start: str, end: str) -> Hours:
    def minutes(text: str) -> int:
        h, m = text.split(":")
        return int(h) * 60 + int(m)

    return Hours(minutes(start), minutes(end))


# --- the shipped file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "weekday_hours", "sunday_hours"),
    [
        pytest.param("US", hours("08:00", "21:00"), hours("08:00", "21:00"), id="federal"),
        pytest.param("FL", hours("08:00", "20:00"), hours("08:00", "20:00"), id="FL"),
        pytest.param("OK", hours("08:00", "20:00"), hours("08:00", "20:00"), id="OK"),
        pytest.param("MD", hours("08:00", "20:00"), hours("08:00", "20:00"), id="MD"),
        pytest.param("WA", hours("08:00", "20:00"), hours("08:00", "20:00"), id="WA"),
        pytest.param("CT", hours("09:00", "20:00"), hours("09:00", "20:00"), id="CT"),
        pytest.param("TX", hours("09:00", "21:00"), hours("12:00", "21:00"), id="TX"),
        pytest.param("AL", hours("00:00", "24:00"), None, id="AL"),
    ],
)
def test_the_file_holds_the_research_hours(
    where: str, weekday_hours: Hours, sunday_hours: Hours | None
) -> None:
    rule = RULES.federal_window if where == "US" else RULES.state(where).send_window  # type: ignore[union-attr]
    assert rule is not None
    assert rule.hours_on(1) == weekday_hours  # a Tuesday
    assert rule.hours_on(6) == sunday_hours
    assert rule.citation and rule.source.startswith("research ")


def test_every_rule_cites_a_numbered_research_source_with_its_address() -> None:
    windows = [RULES.federal_window, *(s.send_window for s in RULES.states if s.send_window)]
    sources = [w.source for w in windows if w] + [c.source for c in RULES.message_caps()]
    for source in sources:
        assert re.search(r"\[\d+\] https?://", source), source


def test_unconfirmed_rules_are_marked() -> None:
    unconfirmed = {s.code for s in RULES.states if s.send_window and not s.send_window.confirmed}
    assert unconfirmed == {"AL", "LA", "MS", "RI"}


def test_a_state_without_a_table_has_the_federal_window_only() -> None:
    assert RULES.send_windows("IL", None) == (RULES.federal_window,)
    assert [w.where for w in RULES.send_windows("FL", "WA", "FL")] == ["US", "FL", "WA"]


def test_the_setting_cannot_exceed_the_strictest_state_cap() -> None:
    strictest = min(cap.per_24_hours for cap in RULES.message_caps())
    assert strictest == 3
    assert AgencySettings.from_mapping({"timing": {"max_messages_per_day": strictest}})
    with pytest.raises(SettingsError, match="max_messages_per_day"):
        AgencySettings.from_mapping({"timing": {"max_messages_per_day": strictest + 1}})
    with pytest.raises(SettingsError, match="max_messages_per_day"):
        AgencySettings.from_mapping({"timing": {"max_messages_per_day": 0}})
    assert AgencySettings().timing.max_messages_per_day == 1


# --- reading a rules file --------------------------------------------------------------------

FEDERAL = {"start": "08:00", "end": "21:00", "citation": "c", "source": "s"}


def document(**states: Any) -> dict[str, Any]:
    return {"federal": {"send_window": dict(FEDERAL)}, "states": states}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        pytest.param(
            document(FL={"send_window": {**FEDERAL, "ends": "20:00"}}),
            r"\[states\.FL\.send_window\]: unknown key\(s\) ends",
            id="typo-in-a-key",
        ),
        pytest.param(
            document(ZZ={"send_window": FEDERAL}), r"\[states\.ZZ\]: not a USPS", id="bad-code"
        ),
        pytest.param(
            document(FL={"send_window": {**FEDERAL, "start": "20:00", "end": "08:00"}}),
            "start 20:00 is not before end 08:00",
            id="start-after-end",
        ),
        pytest.param(
            document(FL={"send_window": {**FEDERAL, "end": "8pm"}}),
            "not a time of day",
            id="not-hh-mm",
        ),
        pytest.param(
            document(FL={"send_window": {"start": "08:00", "end": "20:00", "source": "s"}}),
            "needs a citation",
            id="no-citation",
        ),
        pytest.param(
            document(FL={"message_cap": {"per_24_hours": 0, "citation": "c", "source": "s"}}),
            "per_24_hours",
            id="cap-below-one",
        ),
        pytest.param({"states": {}}, "must be a table", id="no-federal"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_what_is_wrong(
    doc: dict[str, Any], message: str
) -> None:
    with pytest.raises(RulesFileError, match=message):
        parse_rules(doc)


def test_other_rule_kinds_in_a_state_table_are_left_to_their_readers(tmp_path: Path) -> None:
    """Per-state reward rules will live beside the send windows: this reader ignores them and
    hands them on as written."""
    path = tmp_path / "states.toml"
    path.write_text(
        '[federal.send_window]\nstart = "08:00"\nend = "21:00"\ncitation = "c"\nsource = "s"\n'
        '[states.WA.send_window]\nstart = "08:00"\nend = "20:00"\ncitation = "c"\nsource = "s"\n'
        '[states.WA.rewards]\nanything = 100\nsource = "research [68]"\n',
        encoding="utf-8",
    )
    rules = compliance_rules(path)
    assert rules.state("WA").send_window.hours_on(0) == hours("08:00", "20:00")  # type: ignore[union-attr]
    assert state_tables(path)["WA"]["rewards"] == {"anything": 100, "source": "research [68]"}


# --- where a client is -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("FL", "FL"),
        ("fl", "FL"),
        (" Florida ", "FL"),
        ("washington state", "WA"),
        ("Washington D.C.", "DC"),
        ("Puerto Rico", "PR"),
        ("New  York", "NY"),
        ("ON", None),
        ("Florida Keys", None),
        ("", None),
        (None, None),
    ],
)
def test_a_state_is_read_from_its_code_or_name(text: str | None, code: str | None) -> None:
    assert state_code(text) == code


def test_the_places_are_the_states_dc_and_the_inhabited_territories() -> None:
    assert len(US_STATES) == 50 + 1 + 5
    assert {"DC", "PR", "GU", "VI", "AS", "MP"} <= set(US_STATES)


@pytest.mark.parametrize(
    ("postal_code", "state", "zone"),
    [
        ("33101", "FL", "America/New_York"),
        ("10001-2345", "NY", "America/New_York"),
        ("98101", "WA", "America/Los_Angeles"),
        ("60601", "IL", "America/Chicago"),
        ("00901", "PR", "America/Puerto_Rico"),
        ("M5V 2T6", None, None),  # Toronto
        ("00000", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_a_zip_code_gives_its_state_and_zone(
    postal_code: str | None, state: str | None, zone: str | None
) -> None:
    assert state_of_postal_code(postal_code) == state
    assert zone_of_postal_code(postal_code) == zone


@pytest.mark.parametrize(
    ("mobile", "state"),
    [
        ("+13055550123", "FL"),  # "Florida"
        ("+12065550123", "WA"),  # "Washington State"
        ("+13125550123", "IL"),  # "Chicago, IL"
        ("+12025550123", "DC"),  # "Washington D.C."
        ("+17875550123", "PR"),
        ("+18005550123", None),  # toll-free: no place
        ("+14165550123", None),  # Toronto
        ("+442079460000", None),
        ("not a number", None),
        (None, None),
    ],
)
def test_an_area_code_gives_its_state(mobile: str | None, state: str | None) -> None:
    assert state_of_mobile(mobile) == state


# --- docs/compliance.md and the file agree ---------------------------------------------------


def _table_after(heading: str) -> list[list[str]]:
    """The body rows of the first table under ``heading`` in docs/compliance.md."""
    section = DOCS.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1]
    block = next(b for b in section.split("\n\n") if b.startswith("|"))
    rows = [line for line in block.splitlines() if not line.startswith("| ---")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in rows[1:]]


def _where(rule: SendWindowRule) -> str:
    return "Federal" if rule.where == "US" else f"{rule.where} ({rule.name})"


def test_the_send_windows_table_in_the_docs_matches_the_file() -> None:
    windows = [RULES.federal_window, *(s.send_window for s in RULES.states if s.send_window)]
    expected = [
        [
            _where(w),
            w.summary() + ("" if w.confirmed else " (unconfirmed)"),
            w.citation,
            w.source,
        ]
        for w in windows
    ]
    documented = [row[:4] for row in _table_after("Send windows")]
    assert documented == expected


def test_the_message_cap_table_in_the_docs_matches_the_file() -> None:
    expected = [
        [f"{c.where} ({c.name})", f"{c.per_24_hours} per 24 hours", c.citation, c.source]
        for c in RULES.message_caps()
    ]
    assert _table_after("The 24-hour message cap") == expected


def test_every_test_the_docs_name_as_proof_exists() -> None:
    for row in _table_after("Send windows"):
        proof = row[4].strip("`")
        path, _, name = proof.partition("::")
        name, _, param = name.partition("[")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), proof
        if param:
            param = param.rstrip("]")
            ids = re.findall(r'id="([^"]+)"', source)
            sunday = param.endswith("-sunday") and param.removesuffix("-sunday") in source
            assert param in ids or sunday, proof
