"""`referral replies …`: email replies from .eml files or the configured mailbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from referral_engine import clock
from referral_engine.console import fail, out, state

replies_app = typer.Typer(
    help="Replies: read email replies (.eml files, IMAP).", no_args_is_help=True
)


@replies_app.command("import")
def import_eml(
    files: Annotated[list[Path], typer.Argument(help="One or more .eml files.")],
) -> None:
    """Read email replies saved as .eml files; each is matched to its ask and routed."""
    from referral_engine.db import unit_of_work
    from referral_engine.replies.service import receive_email
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    read = again = 0
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            fail(f"{path}: {exc.strerror}")
        with unit_of_work(state.db_url) as session:
            reply = receive_email(session, raw=raw, now=clock.now())
            kind = reply.kind if reply else None
        if reply is None:
            again += 1
            out.print(f"{path.name}: read before, skipped")
        else:
            read += 1
            out.print(f"{path.name}: {kind}")
    out.print(f"{read} repl{'y' if read == 1 else 'ies'} read, {again} already read")


@replies_app.command("poll")
def poll() -> None:
    """Read new replies from the mailbox in REFERRAL_IMAP_URL once."""
    from referral_engine.replies.imap import MailboxError
    from referral_engine.replies.mailbox import MailboxNotConfigured, poll_mailbox
    from referral_engine.setup import require_schema

    require_schema(state.db_url)
    try:
        count = poll_mailbox(state.db_url, now=clock.now())
    except MailboxNotConfigured as exc:
        fail(str(exc))
    except MailboxError as exc:
        fail(str(exc), code=1)
    out.print(f"{count} new repl{'y' if count == 1 else 'ies'} read")
