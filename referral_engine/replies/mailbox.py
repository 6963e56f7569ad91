"""Polling the replies mailbox (REFERRAL_IMAP_URL): read, store, then mark seen."""

from __future__ import annotations

import logging
from datetime import datetime

from referral_engine.db import unit_of_work
from referral_engine.settings import provider_settings

log = logging.getLogger(__name__)


class MailboxNotConfigured(ValueError):
    pass


def poll_mailbox(url: str, *, now: datetime) -> int:
    """Read unseen messages as replies; returns how many new replies were stored.

    A message is marked seen only after its reply is committed; a crash in between
    reads it again next time, and the reply's Message-ID makes the second read a no-op.
    """
    from referral_engine.replies.imap import ImapConfig, fetch_unseen, mark_seen
    from referral_engine.replies.service import receive_email

    imap_url = provider_settings().imap_url
    if not imap_url:
        raise MailboxNotConfigured("set REFERRAL_IMAP_URL to read replies from a mailbox")
    config = ImapConfig.from_url(imap_url)
    stored = 0
    done: list[str] = []
    for uid, raw in fetch_unseen(config):
        try:
            with unit_of_work(url) as session:
                if receive_email(session, raw=raw, now=now) is not None:
                    stored += 1
        except Exception:  # one unreadable message must not block the rest
            log.exception("could not read mailbox message %s; left unseen", uid)
            continue
        done.append(uid)
    if done:
        mark_seen(config, done)
    return stored
