"""Writing an ask's draft: the client, the moment and the agency's own templates."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from referral_engine.asks import repository
from referral_engine.asks.drafts import (
    Draft,
    DraftContext,
    render_draft,
    tenure_band,
    tenure_years,
    validate_template,
)
from referral_engine.asks.models import AskTemplate
from referral_engine.asks.templates import validate_key
from referral_engine.contacts.models import Client
from referral_engine.db import forget, memo
from referral_engine.settings import AgencySettings
from referral_engine.users.models import User

TEMPLATES = "ask_templates"


def custom_templates(session: Session, *, channel: str) -> dict[str, str]:
    """The agency's own templates for ``channel`` (read once per transaction)."""
    rows = memo(
        session,
        TEMPLATES,
        lambda: [(t.key, t.channel, t.source) for t in repository.templates(session)],
    )
    return {key: source for key, of, source in rows if of == channel}


def draft_for(
    session: Session,
    *,
    client: Client,
    trigger: str,
    channel: str,
    segment: str | None,
    line_of_business: str | None,
    producer: User | None,
    producer_name: str | None,
    settings: AgencySettings,
    on: date,
) -> Draft:
    """The draft for one ask, from the most specific custom or shipped template."""
    context = DraftContext(
        trigger=trigger,
        channel=channel,
        segment=segment if segment in ("personal", "commercial") else "personal",
        line_of_business=line_of_business,
        tenure=tenure_band(client.client_since, on),
        years=tenure_years(client.client_since, on),
        first_name=client.first_name or "",
        company=client.company,
        producer_name=(producer.name if producer else None)
        or producer_name
        or settings.agency.name,
        agency_name=settings.agency.name,
        # The first text to a number says how to opt out.
        first_text=channel == "sms" and not repository.texted_before(session, client_id=client.id),
    )
    return render_draft(context, custom_templates(session, channel=channel))


def save_template(
    session: Session, *, key: str, source: str, actor: str, now: object
) -> AskTemplate:
    """Store an agency's template for ``key``; refused now (not at send time) when it
    uses an unknown variable or is not valid."""
    validate_key(key)
    channel = key.rsplit("/", 1)[-1]
    validate_template(source, channel=channel)
    row = repository.template(session, key=key)
    if row is None:
        row = AskTemplate(key=key, channel=channel, source=source, updated_by=actor, updated_at=now)
        session.add(row)
    else:
        row.source, row.updated_by, row.updated_at = source, actor, now  # type: ignore[assignment]
    session.flush()
    forget(session, TEMPLATES)
    return row
