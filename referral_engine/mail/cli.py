"""`referral mail …`: carrier and AMS confirmation emails (.eml) and ACORD XML (.xml)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from referral_engine import clock
from referral_engine.console import fail, out, state

if TYPE_CHECKING:
    from referral_engine.mail.service import MailOutcome

mail_app = typer.Typer(
    help="Confirmation emails: carrier and AMS .eml files and ACORD XML into events.",
    no_args_is_help=True,
)


@mail_app.command("import")
def import_mail(
    files: Annotated[list[Path], typer.Argument(help="One or more .eml or ACORD .xml files.")],
    source: Annotated[
        str, typer.Option("--source", help='An email source: [sources.NAME] kind = "email".')
    ],
) -> None:
    """Turn confirmation emails into events, or quarantine them for a person.

    Prints, per file: accepted (event id), duplicate, or quarantined (reasons).
    """
    from referral_engine.agency.service import load_settings
    from referral_engine.db import unit_of_work
    from referral_engine.mail.service import Arrival, take_in
    from referral_engine.mail.sources import MailSourceError, email_source, layouts_for
    from referral_engine.setup import require_schema

    arrivals = []
    for path in files:
        if path.suffix.lower() not in (".eml", ".xml"):
            fail(f"{path}: mail import takes .eml emails or ACORD .xml files")
        try:
            arrivals.append(Arrival(path.read_bytes(), path.name, path.suffix.lower() == ".xml"))
        except OSError as exc:
            fail(f"{path}: {exc.strerror or exc}")
    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        settings = load_settings(session)
        try:
            layouts = layouts_for(email_source(settings, source))
        except MailSourceError as exc:
            fail(str(exc))
        outcomes = take_in(
            session,
            arrivals=arrivals,
            source=source,
            layouts=layouts,
            settings=settings,
            now=clock.now(),
        )
    _print(outcomes)


@mail_app.command("retry")
def retry(
    source: Annotated[str, typer.Option("--source", help="The email source to read again.")],
) -> None:
    """Read the source's quarantined messages again (after adding or fixing a layout)."""
    from referral_engine.agency.service import load_settings
    from referral_engine.db import unit_of_work
    from referral_engine.mail.service import retry_quarantined
    from referral_engine.mail.sources import MailSourceError, email_source, layouts_for
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    with unit_of_work(state.db_url) as session:
        settings = load_settings(session)
        try:
            layouts = layouts_for(email_source(settings, source))
        except MailSourceError as exc:
            fail(str(exc))
        outcomes = retry_quarantined(
            session, source=source, layouts=layouts, settings=settings, now=clock.now()
        )
    _print(outcomes)


@mail_app.command("fetch")
def fetch(
    source: Annotated[str, typer.Option("--source", help="An email source with imap_url_env set.")],
) -> None:
    """Read the source's mailbox once: unseen emails become events or are quarantined."""
    from referral_engine.mail.imap import fetch_mailbox
    from referral_engine.mail.sources import MailSourceError
    from referral_engine.replies.imap import MailboxError
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    try:
        outcomes = fetch_mailbox(state.db_url, source=source, now=clock.now())
    except MailSourceError as exc:
        fail(str(exc))
    except MailboxError as exc:
        fail(str(exc), code=1)
    _print(outcomes)


def _print(outcomes: list[MailOutcome]) -> None:
    counts = {"accepted": 0, "duplicate": 0, "quarantined": 0}
    for item in outcomes:
        counts[item.outcome] += 1
        if item.outcome == "accepted":
            out.print(f"{item.name}: [green]accepted[/] ({item.event_key}, {item.reader})")
        elif item.outcome == "duplicate":
            out.print(f"{item.name}: duplicate ({item.event_key})")
        else:
            out.print(
                f"{item.name}: [yellow]quarantined[/] ({'; '.join(item.reasons)})",
                highlight=False,
                soft_wrap=True,
            )
    out.print(
        f"{len(outcomes)} message(s): [green]{counts['accepted']} accepted[/], "
        f"{counts['duplicate']} duplicate, [yellow]{counts['quarantined']} quarantined[/]"
        + (" (a task each; see the Inputs page)" if counts["quarantined"] else "")
    )
