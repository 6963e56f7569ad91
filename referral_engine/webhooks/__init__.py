"""Webhooks out: every state change delivered to subscribers as signed Standard Webhooks.

:func:`referral_engine.webhooks.service.emit` writes the event and one delivery per
matching ``[webhooks.NAME]`` subscriber in the caller's transaction (a durable outbox);
:mod:`referral_engine.webhooks.sender` posts due deliveries, in order per client and
subscriber, retrying with backoff for three days under the same ``webhook-id``.
"""
