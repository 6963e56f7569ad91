"""An ``email`` source's own mailbox: read its unseen confirmation emails once.

``[sources.NAME] kind = "email"`` with ``imap_url_env = "VARIABLE"``: the environment
variable holds ``imaps://user:pass@host/INBOX`` (or ``imap://…``, the same URL forms as
the replies mailbox, :mod:`referral_engine.replies.imap`); the URL itself is never
stored in the settings.

What a caller may rely on: each unseen message goes through
:func:`referral_engine.mail.service.take_in` in its own transaction, and is marked
``\\Seen`` only after that transaction committed. A crash in between reads it again
next time, and its event id (from its Message-ID) makes the second read a duplicate;
a quarantined message is quarantined again but gets no second task.
"""

from __future__ import annotations

import os
import ssl
from datetime import datetime

from referral_engine.agency.service import load_settings
from referral_engine.db import unit_of_work
from referral_engine.mail.service import Arrival, MailOutcome, take_in
from referral_engine.mail.sources import MailSourceError, email_source, layouts_for
from referral_engine.replies.imap import ImapConfig, fetch_unseen, mark_seen


def mailbox_config(imap_url_env: str, source: str) -> ImapConfig:
    """The mailbox named by the source's ``imap_url_env``; :class:`MailSourceError`
    (never holding the URL) when it is not set or not a valid IMAP URL."""
    if not imap_url_env:
        raise MailSourceError(
            f"source {source!r} has no mailbox: set imap_url_env to the name of an"
            " environment variable holding imaps://user:pass@host/INBOX"
        )
    value = os.environ.get(imap_url_env, "").strip()
    if not value:
        raise MailSourceError(f"source {source!r}: environment variable {imap_url_env} is not set")
    try:
        return ImapConfig.from_url(value)
    except ValueError as exc:
        raise MailSourceError(f"source {source!r}: {imap_url_env}: {exc}") from None


def fetch_mailbox(
    url: str,
    *,
    source: str,
    now: datetime,
    limit: int = 200,
    ssl_context: ssl.SSLContext | None = None,
) -> list[MailOutcome]:
    """Read the unseen messages of ``source``'s mailbox into the database at ``url``
    (at most ``limit``, oldest first); one outcome per message.

    Raises :class:`MailSourceError` for a source that cannot be read (not an email
    source, no mailbox configured) and
    :class:`referral_engine.replies.imap.MailboxError` when the server fails."""
    with unit_of_work(url) as session:
        settings = load_settings(session)
        section = email_source(settings, source)
        layouts = layouts_for(section)
    config = mailbox_config(section.imap_url_env, source)
    outcomes: list[MailOutcome] = []
    done: list[str] = []
    for uid, raw in fetch_unseen(config, limit=limit, ssl_context=ssl_context):
        arrival = Arrival(raw, f"{config.mailbox}:{uid}")
        with unit_of_work(url) as session:
            outcomes.extend(
                take_in(
                    session,
                    arrivals=[arrival],
                    source=source,
                    layouts=layouts,
                    settings=settings,
                    now=now,
                )
            )
        done.append(uid)
    mark_seen(config, done, ssl_context=ssl_context)
    return outcomes
