"""`referral import`, `referral events --rejected` and `--reprocess`, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from referral_engine.contacts.models import Client, Policy
from referral_engine.db import unit_of_work
from referral_engine.events.models import Event, RawInput
from tests.conftest import DATA, run_cli
from tests.factories import event, write_jsonl


def test_jsonl_import_prints_the_three_counts(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "events.jsonl",
        [
            event(id="a"),
            event(
                id="b",
                client__external_id="C-2",
                client__email="b@example.com",
                client__mobile=None,
            ),
            event(id="a"),
            event(id="c", client__email="broken@"),
        ],
    )
    code, out, err = run_cli(
        cli, "--db", ready_db, "import", str(path), "--source", "epic", "--quiet"
    )
    assert code == 2
    assert "2 accepted, 1 duplicate, 1 rejected" in out
    assert "line 4: client.email" in err


def test_an_event_without_source_takes_the_import_source(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    document = event()
    del document["source"]
    path = write_jsonl(tmp_path / "events.jsonl", [document])
    code, _, _ = run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic")
    assert code == 0
    with unit_of_work(ready_db) as session:
        assert session.scalars(select(Event.source)).one() == "epic"


def test_importing_the_same_file_twice_changes_nothing(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [event(id=f"e{i}") for i in range(30)])
    run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic", "--chunk", "7")
    code, out, _ = run_cli(
        cli, "--db", ready_db, "import", str(path), "--source", "epic", "--chunk", "7"
    )
    assert code == 0
    assert "0 accepted, 30 duplicate, 0 rejected" in out
    with unit_of_work(ready_db) as session:
        assert len(session.scalars(select(Event)).all()) == 30


def test_malformed_lines_are_kept_raw_with_their_line_number(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [event(), "{not json", "[1, 2]"])
    code, out, err = run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic")
    assert code == 2
    assert "line 2: body: not valid JSON" in err
    assert "line 3: body: an event must be a JSON object" in err
    with unit_of_work(ready_db) as session:
        rejected = session.scalars(
            select(RawInput).where(RawInput.outcome == "rejected").order_by(RawInput.line_no)
        ).all()
        assert [(r.line_no, r.body) for r in rejected] == [(2, "{not json"), (3, "[1, 2]")]


def test_the_book_of_business_profile_reads_its_layout(cli: CliRunner, ready_db: str) -> None:
    code, out, err = run_cli(
        cli,
        "--db",
        ready_db,
        "import",
        str(DATA / "book_of_business.csv"),
        "--source",
        "epic",
        "--mapping",
        "book-of-business",
    )
    assert "2 accepted, 0 duplicate, 2 rejected" in out
    assert code == 2
    assert "line 4: client.email" in err
    assert "line 5: client.client_since (column 'Customer Since')" in err
    with unit_of_work(ready_db) as session:
        dana = session.scalars(select(Client).where(Client.external_id == "C-2001")).one()
        assert (dana.first_name, dana.last_name, dana.mobile) == ("Dana", "Reyes", "+13125550123")
        comp = session.scalars(select(Policy).where(Policy.number == "WC-200")).one()
        assert (comp.line_of_business, comp.segment, comp.premium) == ("WORK", "commercial", 9500.0)
        bound = session.scalars(select(Event).where(Event.policy_number == "HO-100")).one()
        assert bound.external_id == "HO-100-New-11/24/2026"
        assert bound.transaction == "new"


def test_the_policy_transactions_profile_reads_its_layout(cli: CliRunner, ready_db: str) -> None:
    code, out, _ = run_cli(
        cli,
        "--db",
        ready_db,
        "import",
        str(DATA / "policy_transactions.csv"),
        "--source",
        "ams",
        "--mapping",
        "policy-transactions",
    )
    assert code == 0, out
    assert "3 accepted" in out
    with unit_of_work(ready_db) as session:
        tom = session.scalars(select(Client).where(Client.external_id == "E-2")).one()
        assert (tom.consent_email, tom.consent_sms, tom.company) == (True, False, "Okafor Roofing")
        aisha = session.scalars(select(Client).where(Client.external_id == "E-3")).one()
        assert aisha.consent_sms is None
        renewal = session.scalars(select(Event).where(Event.policy_number == "HOME-9003")).one()
        assert renewal.transaction == "renewal"
        assert renewal.occurred_at.isoformat() == "2026-11-24T15:10:00+00:00"


def test_a_csv_without_mapping_is_refused_with_exit_2(cli: CliRunner, ready_db: str) -> None:
    code, _, err = run_cli(
        cli, "--db", ready_db, "import", str(DATA / "book_of_business.csv"), "--source", "epic"
    )
    assert code == 2
    assert "needs --mapping" in err


def test_a_csv_missing_the_id_columns_is_refused_before_any_row(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Insured Name,E-mail Address\nDana Reyes,dana@example.com\n")
    code, _, err = run_cli(
        cli,
        "--db",
        ready_db,
        "import",
        str(path),
        "--source",
        "epic",
        "--mapping",
        "book-of-business",
    )
    assert code == 2
    assert "'Policy #'" in err
    with unit_of_work(ready_db) as session:
        assert session.scalars(select(RawInput)).all() == []


def test_an_unknown_file_kind_is_refused(cli: CliRunner, ready_db: str, tmp_path: Path) -> None:
    path = tmp_path / "events.xml"
    path.write_text("<events/>")
    code, _, err = run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic")
    assert code == 2
    assert ".jsonl or .csv" in err


def test_rejected_inputs_are_listed(cli: CliRunner, ready_db: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "events.jsonl", [event(client__mobile="12")])
    run_cli(cli, "--db", ready_db, "import", str(path), "--source", "epic")
    code, out, _ = run_cli(cli, "--db", ready_db, "events", "--rejected", "--format", "json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["line_no"], row["errors"][0]["field"]) == (1, "client.mobile")


def test_rejected_rows_are_reprocessed_after_a_mapping_fix(
    cli: CliRunner, ready_db: str, tmp_path: Path
) -> None:
    csv_path = tmp_path / "export.csv"
    csv_path.write_text(
        "Policy #,Insured Name,E-mail Address,Line,Status,Date Bound\n"
        "P-1,Dana Reyes,dana@example.com,Homeowners,Bound,2026-11-24\n"
    )
    profile = tmp_path / "mine.toml"
    profile.write_text(
        '[profile]\nname = "mine"\nid = "{Policy #}"\ndate_formats = ["%m/%d/%Y"]\n'
        '[columns]\n"Policy #" = "policy.number"\n"Insured Name" = "client.full_name"\n'
        '"E-mail Address" = "client.email"\n"Line" = "policy.line_of_business"\n'
        '"Status" = "policy.transaction"\n"Date Bound" = "occurred_at"\n'
        '[constants]\ntype = "policy.bound"\n'
    )
    code, _, err = run_cli(
        cli,
        "--db",
        ready_db,
        "import",
        str(csv_path),
        "--source",
        "epic",
        "--mapping",
        str(profile),
    )
    assert code == 2 and "occurred_at" in err and "policy.transaction" in err

    profile.write_text(
        profile.read_text()
        .replace('["%m/%d/%Y"]', '["%m/%d/%Y", "%Y-%m-%d"]')
        .replace("[constants]", '[values."policy.transaction"]\n"Bound" = "new"\n[constants]')
    )
    code, out, _ = run_cli(
        cli, "--db", ready_db, "events", "--reprocess", "--mapping", str(profile)
    )
    assert code == 0, out
    assert "1 accepted" in out
    with unit_of_work(ready_db) as session:
        assert session.scalars(select(Event.external_id)).one() == "P-1"
        first = session.scalars(select(RawInput).order_by(RawInput.id)).first()
        assert first is not None and first.outcome == "rejected"
        assert first.reprocessed_at is not None
    code, out, _ = run_cli(cli, "--db", ready_db, "events", "--rejected", "--format", "json")
    assert json.loads(out) == []
