"""`referral mail import`: confirmation emails and ACORD XML → events → asks, or
quarantine with a task and the raw email kept (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, RawInput
from referral_engine.tasks.models import Task
from tests.agency import Agency, bind
from tests.conftest import ADMIN_EMAIL, DATA

MAIL = DATA / "mail"
TUNING = MAIL / "tuning"
ACORD = MAIL / "acord"
NOW = "2026-11-30T16:00:00Z"
SOURCES = '[sources.carrier-mail]\nkind = "email"\n\n[sources.epic]\nkind = "webhook"\n'


@pytest.fixture
def mailroom(agency: Agency) -> Agency:
    agency.configure(SOURCES)
    return agency


def mail_import(agency: Agency, *files: Path, now: str = NOW, expect: int = 0) -> str:
    return agency.run(
        "mail", "import", *map(str, files), "--source", "carrier-mail", now=now, expect=expect
    )


def events(agency: Agency) -> list[Event]:
    with unit_of_work(agency.url) as session:
        found = list(session.scalars(select(Event).order_by(Event.id)))
        session.expunge_all()
        return found


def raw_inputs(agency: Agency) -> list[RawInput]:
    with unit_of_work(agency.url) as session:
        found = list(session.scalars(select(RawInput).order_by(RawInput.id)))
        session.expunge_all()
        return found


def tasks(agency: Agency) -> list[Task]:
    with unit_of_work(agency.url) as session:
        found = list(session.scalars(select(Task).where(Task.kind == "mail_quarantine")))
        session.expunge_all()
        return found


def test_a_carrier_policy_issued_email_becomes_a_bind_and_an_ask(mailroom: Agency) -> None:
    out = mail_import(mailroom, TUNING / "northwind-auto.eml")
    assert "northwind-auto.eml: accepted (email-" in out and "northwind-issued" in out
    assert "1 message(s): 1 accepted, 0 duplicate, 0 quarantined" in out
    [event] = events(mailroom)
    assert (event.source, event.type, event.transaction) == ("carrier-mail", "policy.bound", "new")
    policy = event.payload["policy"]
    assert policy["number"] == "NWM-PA-2261904" and policy["line_of_business"] == "AUTOP"
    assert policy["premium"] == 1820.0 and policy["carrier"] == "Northwind Mutual"
    assert event.payload["client"]["email"] == "dana.reyes@example.com"
    assert event.payload["client"]["mobile"] == "+13125550123"
    assert (event.payload["client"]["first_name"], event.payload["client"]["last_name"]) == (
        "Dana",
        "Reyes",
    )
    [raw] = raw_inputs(mailroom)
    assert raw.channel == "email" and raw.outcome == "accepted"
    assert raw.body == (TUNING / "northwind-auto.eml").read_text()
    mailroom.tick(NOW)
    [ask] = mailroom.asks()
    assert ask["trigger_event_id"] == event.external_id
    assert ask["trigger"] == "policy.bound"
    # A carrier's email says nothing of consent: the ask waits for a person to record it.
    assert ask["status"] == "pending_review"
    rules = [r["rule"] for r in ask["reasons"]]
    assert "no_consent" in rules and "bind_delay" in rules


def test_the_same_email_imported_again_is_a_duplicate(mailroom: Agency) -> None:
    mail_import(mailroom, TUNING / "agencydesk-new.eml")
    out = mail_import(mailroom, TUNING / "agencydesk-new.eml", now="2026-11-30T17:00:00Z")
    assert "agencydesk-new.eml: duplicate (email-" in out
    assert "0 accepted, 1 duplicate, 0 quarantined" in out
    assert len(events(mailroom)) == 1
    assert [r.outcome for r in raw_inputs(mailroom)] == ["accepted", "duplicate"]


def test_an_ams_notification_carries_client_code_producer_and_transaction(
    mailroom: Agency,
) -> None:
    mail_import(mailroom, TUNING / "agencydesk-renewal.eml", TUNING / "agencydesk-new.eml")
    renewal, new = events(mailroom)
    assert (renewal.type, renewal.transaction) == ("policy.renewed", "renewal")
    assert renewal.payload["client"]["external_id"] == "C-1044"
    assert new.payload["producer"] == {"name": "Sam Ortiz", "email": "sam@agency.example"}


def test_an_ambiguous_email_is_quarantined_with_a_task_and_the_raw_email_kept(
    mailroom: Agency,
) -> None:
    path = TUNING / "general-two-policies.eml"
    out = mail_import(mailroom, path)
    assert "general-two-policies.eml: quarantined (policy number is ambiguous" in out
    assert "0 accepted, 0 duplicate, 1 quarantined" in out
    assert events(mailroom) == []
    [raw] = raw_inputs(mailroom)
    assert raw.outcome == "quarantined" and raw.body == path.read_text()
    assert "policy number is ambiguous (LU-PA-300871, LU-PA-200114)" in (raw.reason or "")
    [task] = tasks(mailroom)
    assert task.assignee_id is not None and task.status == "open"
    assert "policy number is ambiguous" in task.detail
    assert f"/inputs/{raw.id}" in task.detail
    mail_import(mailroom, path, now="2026-11-30T18:00:00Z")
    assert len(tasks(mailroom)) == 1, "one task per email, however often it arrives"
    assert events(mailroom) == []


def test_the_quarantine_task_goes_to_the_principal(mailroom: Agency) -> None:
    mail_import(mailroom, TUNING / "general-no-date.eml")
    [task] = tasks(mailroom)
    response = mailroom.api.get("/api/v1/tasks", params={"status": "open"})
    mine = [t for t in response.json() if t["id"] == task.id]
    assert mine and "no effective date found" in mine[0]["detail"]
    users = mailroom.api.get("/api/v1/users").json()
    assert next(u for u in users if u["id"] == task.assignee_id)["email"] == ADMIN_EMAIL


def test_an_email_without_contact_details_goes_to_the_client_holding_the_policy(
    mailroom: Agency,
) -> None:
    path = TUNING / "northwind-home-no-contact.eml"
    out = mail_import(mailroom, path)
    assert "quarantined (no client code, email or phone in the message, and policy" in out
    assert "NWM-HO-7712035 is not on file for any client" in out
    mailroom.feed(
        bind(id="ams-1", client__external_id="C-76", policy__number="NWM-HO-7712035"),
        now=NOW,
    )
    out = mail_import(mailroom, path, now="2026-11-30T16:15:00Z")
    assert "NWM-HO-7712035 is on file only for a client of another name" in out
    mailroom.feed(
        bind(
            id="ams-2",
            client__external_id="C-77",
            client__first_name="Priya",
            client__last_name="Natarajan",
            client__email="priya@example.com",
            client__mobile=None,
            policy__number="NWM-HO-7712035",
        ),
        now=NOW,
    )
    out = mail_import(mailroom, path, now="2026-11-30T16:30:00Z")
    assert "northwind-home-no-contact.eml: accepted" in out
    mail_event = next(e for e in events(mailroom) if e.source == "carrier-mail")
    assert mail_event.payload["client"]["external_id"] == "C-77"
    ams_event = next(e for e in events(mailroom) if e.external_id == "ams-2")
    assert mail_event.client_id == ams_event.client_id


def test_a_commercial_binder_is_a_business_with_its_contact(mailroom: Agency) -> None:
    mail_import(mailroom, TUNING / "harborline-cgl.eml")
    [event] = events(mailroom)
    client = event.payload["client"]
    assert client["company"] == "Lakeview Bakery LLC"
    assert (client["first_name"], client["last_name"]) == ("Ana", "Lopez")
    assert event.segment == "commercial" and event.line_of_business == "CGL"


def test_acord_xml_policy_transactions_import_through_the_same_path(mailroom: Agency) -> None:
    out = mail_import(mailroom, ACORD / "renewal-auto.xml", ACORD / "new-bop.xml")
    assert "2 accepted, 0 duplicate, 0 quarantined" in out
    renewal, new = events(mailroom)
    assert renewal.external_id == "acord-6f1c2a8e-0b7d-4c55-9a51-2f3d1e000001"
    assert (renewal.type, renewal.transaction, renewal.policy_number) == (
        "policy.renewed",
        "renewal",
        "EXM-PA-5521907",
    )
    assert renewal.payload["policy"]["effective_date"] == "2026-12-15"
    assert renewal.payload["client"]["external_id"] == "C-3107"
    assert (new.type, new.transaction, new.line_of_business) == ("policy.bound", "new", "BOP")
    assert new.payload["client"]["company"] == "Copper Kettle Cafe LLC"
    again = mail_import(mailroom, ACORD / "renewal-auto.xml", now="2026-11-30T17:00:00Z")
    assert "renewal-auto.xml: duplicate" in again


def test_an_xml_file_with_entity_declarations_is_quarantined_unexpanded(mailroom: Agency) -> None:
    out = mail_import(mailroom, ACORD / "entity-bomb.xml")
    assert "entity-bomb.xml: quarantined (not a readable XML document: EntitiesForbidden" in out
    [raw] = raw_inputs(mailroom)
    assert raw.outcome == "quarantined" and "<!ENTITY lol" in raw.body


def test_an_unknown_source_is_refused_and_nothing_is_stored(mailroom: Agency) -> None:
    out = mailroom.run(
        "mail",
        "import",
        str(TUNING / "northwind-auto.eml"),
        "--source",
        "nowhere",
        now=NOW,
        expect=2,
    )
    assert "unknown source 'nowhere'" in out and 'kind = "email"' in out
    out = mailroom.run(
        "mail",
        "import",
        str(TUNING / "northwind-auto.eml"),
        "--source",
        "epic",
        now=NOW,
        expect=2,
    )
    assert 'source \'epic\' is kind = "webhook", not "email"' in out
    assert raw_inputs(mailroom) == [] and events(mailroom) == []


def test_an_unreadable_file_is_refused_and_nothing_is_stored(
    mailroom: Agency, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.eml"
    out = mail_import(mailroom, TUNING / "northwind-auto.eml", missing, expect=2)
    assert f"{missing}: No such file or directory" in out
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    out = mail_import(mailroom, notes, expect=2)
    assert "takes .eml emails or ACORD .xml files" in out
    assert raw_inputs(mailroom) == []


LAKESHORE = (
    "From: Lakeshore Underwriters <desk@lakeshore-underwriters.example>\n"
    "To: service@agency.example\n"
    "Subject: Issued\n"
    "Date: Mon, 30 Nov 2026 15:05:00 +0000\n"
    "Message-ID: <lakeshore-1@mail.example>\n\n"
    "Ref No: LU-PA-300999\nHolder: Olivia Grant\nStarts: 12/01/2026\nKind: Personal Auto\n"
    "Holder email: olivia.grant@example.com\n"
)
LAKESHORE_LAYOUT = """
[layout]
name = "lakeshore-issued"
carrier = "Lakeshore Underwriters"
transaction = "new"

[match]
from_domains = ["lakeshore-underwriters.example"]

[fields]
policy_number = "Ref No"
insured_name = "Holder"
effective_date = "Starts"
line_of_business = "Kind"
email = "Holder email"
"""


def test_a_layout_in_the_sources_layouts_dir_reads_its_sender(
    agency: Agency, tmp_path: Path
) -> None:
    email = tmp_path / "lakeshore.eml"
    email.write_text(LAKESHORE)
    agency.configure('[sources.carrier-mail]\nkind = "email"\n')
    assert "lakeshore.eml: quarantined (no policy number found" in mail_import(agency, email)
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "lakeshore.toml").write_text(LAKESHORE_LAYOUT)
    agency.configure(f'[sources.carrier-mail]\nkind = "email"\nlayouts_dir = "{layouts}"\n')
    out = mail_import(agency, email, now="2026-11-30T17:00:00Z")
    assert "lakeshore.eml: accepted" in out and "lakeshore-issued" in out
    [event] = events(agency)
    assert event.payload["policy"]["carrier"] == "Lakeshore Underwriters"
    assert event.payload["client"]["email"] == "olivia.grant@example.com"


def test_retry_reads_quarantined_emails_again_with_a_new_layout(
    agency: Agency, tmp_path: Path
) -> None:
    email = tmp_path / "lakeshore.eml"
    email.write_text(LAKESHORE)
    agency.configure('[sources.carrier-mail]\nkind = "email"\n')
    mail_import(agency, email, TUNING / "general-no-date.eml")
    assert len(tasks(agency)) == 2
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "lakeshore.toml").write_text(
        LAKESHORE_LAYOUT.replace(
            'from_domains = ["lakeshore-underwriters.example"]',
            'from_domains = ["lakeshore-underwriters.example"]\nsubject = "^Issued$"',
        )
    )
    agency.configure(f'[sources.carrier-mail]\nkind = "email"\nlayouts_dir = "{layouts}"\n')
    out = agency.run("mail", "retry", "--source", "carrier-mail", now="2026-11-30T18:00:00Z")
    assert "lakeshore.eml: accepted" in out and "general-no-date.eml: quarantined" in out
    assert "2 message(s): 1 accepted, 0 duplicate, 1 quarantined" in out
    [event] = events(agency)
    assert event.payload["policy"]["number"] == "LU-PA-300999"
    assert len(tasks(agency)) == 2, "still quarantined: no second task"
    kept = raw_inputs(agency)
    assert sorted(r.outcome for r in kept) == ["accepted"] + ["quarantined"] * 3
    assert sum(r.reprocessed_at is not None for r in kept) == 2
    assert next(r for r in kept if r.outcome == "accepted").body == LAKESHORE
    out = agency.run("mail", "retry", "--source", "carrier-mail", now="2026-11-30T19:00:00Z")
    assert "1 message(s): 0 accepted, 0 duplicate, 1 quarantined" in out


def test_a_broken_layout_file_is_refused_by_name(agency: Agency, tmp_path: Path) -> None:
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "broken.toml").write_text('[layout]\nname = "x"\n[match]\nfrom_domains = []\n')
    agency.configure(f'[sources.carrier-mail]\nkind = "email"\nlayouts_dir = "{layouts}"\n')
    out = mail_import(agency, TUNING / "northwind-auto.eml", expect=2)
    assert "broken.toml: match.from_domains" in out
    assert raw_inputs(agency) == []


def test_quarantined_emails_are_listed_on_the_inputs_page_with_their_raw_message(
    mailroom: Agency,
) -> None:
    from bs4 import BeautifulSoup

    from tests.conftest import ADMIN_PASSWORD

    mail_import(mailroom, TUNING / "general-two-policies.eml", TUNING / "northwind-auto.eml")
    mailroom.api.post("/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    page = BeautifulSoup(mailroom.api.get("/inputs?outcome=quarantined").text, "html.parser")
    rows = page.select("table.inputs tbody tr")
    assert len(rows) == 1 and "policy number is ambiguous" in rows[0].get_text()
    link = rows[0].select_one("a[href^='/inputs/']")
    assert link is not None
    detail = BeautifulSoup(mailroom.api.get(str(link["href"])).text, "html.parser")
    assert "quarantined" in detail.h1.get_text()
    raw = detail.select_one("pre.raw-input")
    assert raw is not None and "This policy replaces Policy Number: LU-PA-200114." in raw.text
    assert "Message-ID: <general-two-policies@mail.example>" in raw.text
