"""Settings: the agency's settings, editable by an admin as TOML-shaped fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from referral_engine.agency.service import load_settings, save_settings
from referral_engine.settings import AgencySettings, SettingsError
from referral_engine.users.models import Role, User, manages
from referral_engine.web.deps import DbSession
from referral_engine.web.pages import settings_sections as sections
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


def _page(
    request: Request,
    session: DbSession,
    user: User,
    *,
    text: str | None = None,
    error: str | None = None,
    saved: str = "",
    section: str = "",
    typed: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The settings page: a form per section, and the advanced TOML editor. After a
    refused save, ``section``'s form (or the editor, ``text``) shows what was typed."""
    stored = load_settings(session)
    forms = [
        (
            name,
            title,
            sections.fields(stored, name, typed if name == section else None),
            (problems or {}) if name == section else {},
        )
        for name, title in sections.SECTIONS.items()
    ]
    response = render(
        request,
        "settings.html",
        user,
        text=text if text is not None else _as_toml(stored, reveal_secrets=user.role == Role.admin),
        error=error,
        saved=saved,
        saved_title=sections.SECTIONS.get(saved, "Settings"),
        editable=manages(user),
        forms=forms,
        section_error=sections.SECTION_ERROR,
        advanced_open=text is not None or saved == "advanced",
    )
    response.status_code = status
    return response


@router.get("/settings", response_class=HTMLResponse)
def settings_form(request: Request, session: DbSession, saved: str = "") -> HTMLResponse:
    user = page_user(request, session)
    chosen = saved if saved in sections.SECTIONS or saved == "advanced" else ""
    if saved == "1":
        chosen = "advanced"
    return _page(request, session, user, saved=chosen)


@router.post("/settings/{section}", response_model=None)
async def settings_section_save(request: Request, session: DbSession, section: str) -> Response:
    """Save one section: only its fields change; a refused value shows the form again
    with what was typed and the words next to the field (422), nothing saved."""
    user = page_user(request, session)
    if section not in sections.SECTIONS:
        raise HTTPException(404, "no such section")
    form = await request.form()
    stored = load_settings(session)
    values = sections.posted(stored, section, form)
    if not manages(user):
        return _page(
            request,
            session,
            user,
            error="Only a principal or an admin can change settings.",
            status=403,
        )
    settings, problems = sections.apply(stored, section, values)
    if settings is None:
        return _page(
            request,
            session,
            user,
            section=section,
            typed=values,
            problems=problems,
            error=f"{sections.SECTIONS[section]}: not saved — fix what is marked below.",
            status=422,
        )
    save_settings(session, settings=settings)
    return RedirectResponse(f"/settings?saved={section}#section-{section}", status_code=303)


@router.post("/settings", response_model=None)
def settings_save(request: Request, session: DbSession, document: str = Form("")) -> Response:
    """The advanced editor: the whole settings as TOML, saved all or nothing."""
    user = page_user(request, session)
    if not manages(user):
        return _page(
            request,
            session,
            user,
            text=document,
            error="Only a principal or an admin can change settings.",
            status=403,
        )
    try:
        if not document.strip():
            raise SettingsError(
                "the settings text is empty: nothing was saved (to change one section, "
                "use its form above)"
            )
        settings = _with_kept_secrets(document, load_settings(session))
    except SettingsError as exc:
        return _page(request, session, user, text=document, error=str(exc), status=422)
    save_settings(session, settings=settings)
    return RedirectResponse("/settings?saved=advanced", status_code=303)
