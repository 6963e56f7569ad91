"""How pages show times and phone numbers: Jinja filters every template uses.

- ``{{ instant|local }}``: the agency's wall clock with the zone's abbreviation,
  "Dec 2, 9:30 AM CST" (``|local("long")`` adds the weekday and year, ``|local("date")``
  the day only). The zone is the agency's, from settings, read once per request by
  :func:`~referral_engine.web.pages.views.page_user`; stored instants are UTC.
- ``{{ instant|local_and_client(client) }}``: both clocks where the recipient's matters,
  "Dec 2, 9:30 AM CST agency · 8:30 AM MST client" (one clock when they read the same;
  ``client``: a zone name, or a client whose zone is found as the send window finds it).
- ``{{ instant|local_input }}``: a ``datetime-local`` field's value on the agency's clock.
- ``{{ number|phone_links }}``: a stored E.164 number as tap-to-call and tap-to-text links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from referral_engine.clock import wall_clock
from referral_engine.decisions.calendar import recipient_zone

DEFAULT_ZONE = "America/Chicago"


def _instant(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _zone(context: Context) -> str:
    request = context.get("request")
    state = getattr(request, "state", None)
    return str(getattr(state, "agency_zone", None) or DEFAULT_ZONE)


@pass_context
def local(context: Context, value: datetime | str | None, style: str = "short") -> str:
    instant = _instant(value)
    return wall_clock(instant, _zone(context), style) if instant else ""


def client_zone(client: Any, agency_zone: str) -> str:
    """The zone an ask to ``client`` (anything with ``timezone`` and ``mobile``) is timed
    in: the same answer the send window uses."""
    found = recipient_zone(
        client_timezone=getattr(client, "timezone", None),
        mobile=getattr(client, "mobile", None),
        agency_zone=ZoneInfo(agency_zone),
    )
    return found.zone.key


@pass_context
def local_and_client(context: Context, value: datetime | str | None, client: Any) -> str:
    """``value`` on the agency's clock and, when it reads differently, the client's."""
    instant = _instant(value)
    if instant is None:
        return ""
    agency = _zone(context)
    ours = wall_clock(instant, agency, "short")
    if client is None:
        return ours
    client_zone_key = client if isinstance(client, str) else client_zone(client, agency)
    theirs = wall_clock(instant, client_zone_key, "time")
    if theirs == wall_clock(instant, agency, "time"):
        return ours
    return f"{ours} agency · {theirs} client"


@pass_context
def local_input(context: Context, value: datetime | str | None) -> str:
    instant = _instant(value)
    if instant is None:
        return ""
    return f"{instant.astimezone(ZoneInfo(_zone(context))):%Y-%m-%dT%H:%M}"


@pass_context
def phone_links(context: Context, number: str | None) -> Markup:
    """A number as "(312) 555-0010" linked ``tel:`` and a "text" link ``sms:`` (E.164)."""
    state = getattr(context.get("request"), "state", None)
    region = str(getattr(state, "phone_region", None) or "US")
    if not number:
        return Markup("")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return Markup(escape(number))
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    home = phonenumbers.country_code_for_region(region)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    shown = phonenumbers.format_number(parsed, style)
    return Markup(
        '<a class="tel" href="tel:{e}">{shown}</a> <a class="sms" href="sms:{e}">text</a>'
    ).format(e=e164, shown=shown)


def install(env: Environment) -> None:
    filters: dict[str, Any] = {
        "local": local,
        "local_and_client": local_and_client,
        "local_input": local_input,
        "phone_links": phone_links,
    }
    env.filters.update(filters)
