"""Every area's tables, imported in one place so Alembic and tests see the whole schema."""

from referral_engine.agency.models import AgencySettingsRow
from referral_engine.asks.models import Ask, AskEntry, AskTemplate
from referral_engine.contacts.models import Client, ClientIssue, ConsentRecord, Policy
from referral_engine.db import Base
from referral_engine.delivery.models import Click, Message, ReferSubmission
from referral_engine.events.models import Event, RawInput, WebhookMessage
from referral_engine.jobs.models import Job
from referral_engine.referrals.models import Referral, ReferralStatusChange, Reward
from referral_engine.replies.models import Reply
from referral_engine.sources.models import SourceState
from referral_engine.tasks.models import Task
from referral_engine.users.models import ApiToken, SignInAttempt, User, WebSession
from referral_engine.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent

__all__ = [
    "Ask",
    "AskEntry",
    "AskTemplate",
    "ClientIssue",
    "ConsentRecord",
    "Click",
    "Message",
    "ReferSubmission",
    "Referral",
    "ReferralStatusChange",
    "Reward",
    "Reply",
    "Task",
    "AgencySettingsRow",
    "ApiToken",
    "Base",
    "Client",
    "Event",
    "Job",
    "Policy",
    "RawInput",
    "SignInAttempt",
    "SourceState",
    "User",
    "WebSession",
    "WebhookMessage",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
]
