"""Settings: the agency's settings, editable by an admin as TOML-shaped fields."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from referral_engine.agency.service import load_settings, save_settings
from referral_engine.settings import AgencySettings, SettingsError
from referral_engine.users.models import Role, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages.views import page_user, render

router = APIRouter(include_in_schema=False)
# A webhook secret (a source's or a subscriber's) as a principal sees it; saved
# unchanged, the stored secret stays.
HIDDEN_SECRET = "whsec_… (hidden: only an admin sees secrets)"


def _as_toml(settings: AgencySettings, *, reveal_secrets: bool) -> str:
    lines: list[str] = []
    document = settings.model_dump(mode="json")
    for section in ("agency", "timing", "review", "program", "rewards"):
        lines.append(f"[{section}]")
        for key, value in document[section].items():
            if section == "rewards" and key == "states":
                continue  # tables of their own, below
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    for code, rule in document["rewards"]["states"].items():
        lines.append(f"[rewards.states.{code}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in rule.items() if v is not None)
        lines.append("")
    for name, source in document["sources"].items():
        lines.append(f"[sources.{name}]")
        for key, value in source.items():
            if key == "webhook_secret" and value and not reveal_secrets:
                value = HIDDEN_SECRET
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    for name, hook in document["webhooks"].items():
        lines.append(f"[webhooks.{name}]")
        for key, value in hook.items():
            if key == "secret" and not reveal_secrets:
                value = HIDDEN_SECRET
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    if document["lines_of_business"]:
        lines.append("[lines_of_business]")
        for key, value in document["lines_of_business"].items():
            lines.append(f"{_toml_value(key)} = {_toml_value(value)}")
    return "\n".join(lines).strip() + "\n"


def _toml_value(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def _with_kept_secrets(document: str, stored: AgencySettings) -> AgencySettings:
    """The settings in ``document``, where a secret left hidden (a source's
    ``webhook_secret``, a subscriber's ``secret``) keeps the stored one: a principal saves
    the page without ever seeing it."""
    import tomllib

    try:
        raw = tomllib.loads(document)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"not valid TOML: {exc}") from exc
    kept = {
        ("webhooks", "secret"): {n: h.secret for n, h in stored.webhooks.items()},
        ("sources", "webhook_secret"): {n: s.webhook_secret for n, s in stored.sources.items()},
    }
    for (section, key), secrets in kept.items():
        for name, table in (raw.get(section) or {}).items():
            if isinstance(table, dict) and table.get(key) == HIDDEN_SECRET and name in secrets:
                table[key] = secrets[name]
    return AgencySettings.from_mapping(raw)


@router.get("/settings", response_class=HTMLResponse)
def settings_form(request: Request, session: DbSession, saved: int = 0) -> HTMLResponse:
    user = page_user(request, session)
    text = _as_toml(load_settings(session), reveal_secrets=user.role == Role.admin)
    return render(
        request,
        "settings.html",
        user,
        text=text,
        error=None,
        saved=bool(saved),
        editable=manages(user),
    )


@router.post("/settings", response_model=None)
def settings_save(request: Request, session: DbSession, document: str = Form("")) -> Response:
    user = page_user(request, session)
    if not manages(user):
        response = render(
            request,
            "settings.html",
            user,
            text=document,
            error="Only an admin can change settings.",
            saved=False,
            editable=False,
        )
        response.status_code = 403
        return response
    try:
        settings = _with_kept_secrets(document, load_settings(session))
    except SettingsError as exc:
        response = render(
            request,
            "settings.html",
            user,
            text=document,
            error=str(exc),
            saved=False,
            editable=True,
        )
        response.status_code = 422
        return response
    save_settings(session, settings=settings)
    return RedirectResponse("/settings?saved=1", status_code=303)
