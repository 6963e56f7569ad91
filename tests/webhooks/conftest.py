"""Webhook fixtures: a verifying receiver (two, for tests with two subscribers)."""

from tests.webhooks.receiver import other_receiver, receiver  # noqa: F401 - fixtures
