"""Carrier and AMS confirmation emails (and ACORD XML policy transactions) into events.

``referral mail import FILE.eml [...] --source NAME`` and an ``email`` source's mailbox
both end in :func:`referral_engine.mail.service.take_in`: each message is read by the
layout that matches its sender (TOML files in ``layouts/``), else by the general
extractor; what is read becomes a canonical event through the one ingest path, and
anything not read unambiguously is quarantined for a person with the raw email kept.
"""
