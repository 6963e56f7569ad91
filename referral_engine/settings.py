"""Agency settings (a TOML file, then the database) and provider settings (environment).

Agency settings are what a principal sets: name, zone, holidays, timing, review rules,
signed webhook sources. ``referral init --config FILE`` loads them from TOML into the
database; the web app edits them there. Provider settings (SMTP, Twilio, public URL)
come from the environment so that secrets stay out of the database.
"""

from __future__ import annotations

import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_URL = "sqlite:///./referral.db"


class SettingsError(ValueError):
    """Agency settings that cannot be used; the message names the key and the reason."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgencySection(_Section):
    name: str = "My Agency"
    timezone: str = "America/Chicago"
    holidays: str = "US"
    postal_address: str = ""
    phone_region: str = "US"
    principal_email: str = ""
    # The number a client can call; a texted HELP answers with it (CTIA).
    phone: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("principal_email")
    @classmethod
    def _an_email(cls, value: str, info: ValidationInfo) -> str:
        from email_validator import EmailNotValidError, validate_email

        value = value.strip()
        if not value or (info.context or {}).get("stored"):
            return value  # stored before this check: read as it is, refused when next saved
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValueError("Enter an email address like name@agency.com") from exc

    @field_validator("holidays")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        import holidays

        country, _, subdivision = value.partition("-")
        try:
            holidays.country_holidays(country, subdiv=subdivision or None)
        except NotImplementedError as exc:
            raise ValueError(f"unknown holiday calendar {value!r}") from exc
        return value


def _clock_time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a time of day (HH:MM): {value!r}") from exc


class TimingSection(_Section):
    bind_delay_business_days: int = Field(3, ge=0, le=30)
    send_hour: int = Field(10, ge=0, le=23)
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    frequency_cap_days: int = Field(90, ge=0)
    # Referral messages (asks, thank-yous, updates) to one person in any rolling 24 hours,
    # all channels together: 3 is the strictest state cap (FL, OK, MD), 1 the product's default.
    max_messages_per_day: int = Field(1, ge=1, le=3)
    warmth_window_days: int = Field(14, ge=1)
    recent_complaint_days: int = Field(60, ge=0)
    renewal_delay_business_days: int = Field(2, ge=0, le=30)
    feedback_delay_business_days: int = Field(1, ge=0, le=30)
    project_delay_business_days: int = Field(2, ge=0, le=30)
    support_delay_business_days: int = Field(1, ge=0, le=30)
    upgrade_delay_business_days: int = Field(2, ge=0, le=30)

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        _clock_time(value)
        return value

    @property
    def quiet_start_time(self) -> time:
        return _clock_time(self.quiet_start)

    @property
    def quiet_end_time(self) -> time:
        return _clock_time(self.quiet_end)

    @model_validator(mode="after")
    def _send_hour_outside_quiet(self) -> TimingSection:
        from referral_engine.decisions.calendar import in_quiet_hours_local

        if in_quiet_hours_local(time(self.send_hour), self.quiet_start_time, self.quiet_end_time):
            raise ValueError(
                f"send_hour {self.send_hour}:00 falls inside quiet hours "
                f"({self.quiet_start}–{self.quiet_end}): pick an hour outside them"
            )
        return self


class ReviewSection(_Section):
    premium_threshold: float = Field(10000, ge=0)
    commercial_requires_review: bool = False
    # Every ask goes to its owner (the client's producer, else a principal) before it goes.
    all_asks: bool = False


class ProgramSection(_Section):
    """What the referral program costs, for the ROI report."""

    cost_per_month: float = Field(0, ge=0)  # in the agency's currency
    currency: str = Field("USD", min_length=3, max_length=3)


class LinksSection(_Section):
    """How much a client's introduce-someone page takes (a link can be forwarded, so a
    stranger may hold it): over either limit a submission is refused and nothing stored."""

    referrals_per_link_per_day: int = Field(5, ge=1, le=1000)
    referrals_per_address_per_hour: int = Field(20, ge=1, le=10000)


class StateRewardSection(_Section):
    """``[rewards.states.XX]``: the agency's own reward rule for a state (an admin sets it
    to unblock a state ``states.toml`` has no rule for, or to be stricter than it)."""

    non_cash_only: bool = True
    annual_cap: float | None = Field(None, ge=0)  # dollars per referrer; absent: no cap
    cap_period: Literal["calendar_year", "rolling_12_months"] = "calendar_year"
    source: str = ""  # why: counsel's advice, the department's bulletin


class RewardsSection(_Section):
    """``[rewards]``: a reward proposed for every referral (never for a purchase), each
    checked against the referrer's state and sent to review."""

    enabled: bool = False
    kind: Literal["gift_card", "donation", "merchandise", "cash"] = "gift_card"
    value: float = Field(0, ge=0)  # dollars
    trigger: str = "referral_received"
    states: dict[str, StateRewardSection] = Field(default_factory=dict)

    @field_validator("trigger")
    @classmethod
    def _not_contingent(cls, value: str) -> str:
        from referral_engine.compliance.rewards import trigger_refusal

        refusal = trigger_refusal(value)
        if refusal:
            raise ValueError(refusal)
        return value

    @field_validator("states")
    @classmethod
    def _state_codes(cls, value: dict[str, StateRewardSection]) -> dict[str, StateRewardSection]:
        from referral_engine.compliance.places import US_STATES

        unknown = [code for code in value if code not in US_STATES]
        if unknown:
            raise ValueError(f"not a USPS state code: {', '.join(unknown)} (e.g. CA, PA)")
        return value

    @model_validator(mode="after")
    def _a_value_when_enabled(self) -> RewardsSection:
        if self.enabled and self.value <= 0:
            raise ValueError("an enabled reward program needs a value above 0")
        return self


POLL_PROFILES = ("momentum", "hawksoft", "applied-epic", "generic-rest")
WEBHOOK_PROFILES = ("ezlynx", "momentum")  # native payloads a signed webhook may carry
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class SourceSection(_Section):
    """``[sources.NAME]``: one way events come in. A signed webhook source has a
    ``webhook_secret``; a poll source names its ``profile``, where its API is, and the
    environment variables that hold its credentials (never the credentials themselves:
    nothing secret of a poll source is stored in the database or printed)."""

    webhook_secret: str = ""
    kind: Literal["webhook", "csv", "email", "poll"] = "webhook"
    # A poll source: the shipped profile that reads its API (see docs/sources/); a signed
    # webhook source: the system whose own payload it sends (ezlynx, momentum).
    profile: str = ""
    base_url: str = ""  # the API's root, e.g. https://api.ams.example
    token_env: str = ""  # variable holding the API token, key, password or client secret
    username_env: str = ""  # variable holding the user name or client id, where one is needed
    mapping: str = ""  # generic-rest: the TOML mapping file (URL, auth, paths)
    account: str = ""  # the agency's id at the source, where its API needs one (HawkSoft)
    poll_minutes: int = Field(15, ge=1, le=1440)
    max_catch_up_days: int = Field(7, ge=1, le=366)  # how far back a first or late poll reads
    page_size: int = Field(100, ge=1, le=1000)
    max_retries: int = Field(4, ge=0, le=10)  # per request, per poll (429 and 5xx)
    max_wait_seconds: float = Field(60, ge=0, le=3600)  # the longest single wait a poll makes
    # email sources: the environment variable holding imaps://user:pass@host/INBOX (the
    # URL itself is never stored), and a directory of the agency's own layout files.
    imap_url_env: str = ""
    layouts_dir: str = ""
    # A momentum poll source: write a note on the insured when an ask is sent, a reply
    # comes back and a referral changes status (docs/sources/momentum.md, "Write-back").
    write_back: bool = False

    @field_validator("webhook_secret")
    @classmethod
    def _whsec(cls, value: str) -> str:
        if value and not value.startswith("whsec_"):
            raise ValueError("webhook_secret must start with 'whsec_'")
        return value

    @field_validator("token_env", "username_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if value and not _ENV_NAME.match(value):
            raise ValueError(
                f"{value[:4]}… is not an environment variable name (A-Z, 0-9, _): "
                "name the variable that holds the credential, never the credential"
            )
        return value

    @model_validator(mode="after")
    def _poll_needs(self) -> SourceSection:
        if self.write_back and (self.kind, self.profile) != ("poll", "momentum"):
            raise ValueError(
                'write_back needs kind = "poll" and profile = "momentum" (the API it writes to)'
            )
        if self.kind == "webhook" and self.profile not in ("", *WEBHOOK_PROFILES):
            raise ValueError(
                f"a webhook source's profile is one of {', '.join(WEBHOOK_PROFILES)} "
                "(its own payload), or none (canonical events)"
            )
        if self.kind != "poll":
            return self
        if self.profile not in POLL_PROFILES:
            raise ValueError(f"a poll source needs profile = one of {', '.join(POLL_PROFILES)}")
        if self.profile == "generic-rest":
            if not self.mapping:
                raise ValueError("a generic-rest poll source needs mapping = FILE (TOML)")
        elif not self.base_url:
            raise ValueError("a poll source needs base_url (the API's root URL)")
        if self.base_url and not self.base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        if self.profile != "generic-rest" and not self.token_env:
            raise ValueError("a poll source needs token_env (the variable holding its credential)")
        if self.webhook_secret:
            raise ValueError("a poll source has no webhook_secret (it is signed by its poll)")
        return self


class WebhookSection(_Section):
    """``[webhooks.NAME]``: a subscriber that receives state changes as signed Standard
    Webhooks (see :mod:`referral_engine.webhooks`)."""

    url: str
    secret: str
    events: list[str] = Field(default_factory=lambda: ["*"])

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value.strip()

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: str) -> str:
        from referral_engine.webhooks.types import secret_refusal

        refusal = secret_refusal(value)
        if refusal:
            raise ValueError(refusal)
        return value

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        from referral_engine.webhooks.types import pattern_refusal

        if not value:
            raise ValueError('name the events to send, or ["*"] for all')
        for pattern in value:
            refusal = pattern_refusal(pattern)
            if refusal:
                raise ValueError(refusal)
        return value


class AgencySettings(_Section):
    """Everything a principal configures; the TOML file's shape, section by section."""

    agency: AgencySection = Field(default_factory=AgencySection)
    timing: TimingSection = Field(default_factory=TimingSection)  # type: ignore[arg-type]
    review: ReviewSection = Field(default_factory=ReviewSection)  # type: ignore[arg-type]
    program: ProgramSection = Field(default_factory=ProgramSection)  # type: ignore[arg-type]
    rewards: RewardsSection = Field(default_factory=RewardsSection)  # type: ignore[arg-type]
    links: LinksSection = Field(default_factory=LinksSection)  # type: ignore[arg-type]
    sources: dict[str, SourceSection] = Field(default_factory=dict)
    webhooks: dict[str, WebhookSection] = Field(default_factory=dict)
    lines_of_business: dict[str, str] = Field(default_factory=dict)

    @field_validator("webhooks")
    @classmethod
    def _subscriber_names(cls, value: dict[str, WebhookSection]) -> dict[str, WebhookSection]:
        from referral_engine.webhooks.types import name_refusal

        for name in value:
            refusal = name_refusal(name)
            if refusal:
                raise ValueError(refusal)
        return value

    @model_validator(mode="after")
    def _write_back_names(self) -> AgencySettings:
        """A write-back source is a subscriber under its own name: a name the webhooks
        page can show, and no ``[webhooks.NAME]`` of the same name."""
        from referral_engine.webhooks.types import name_refusal

        for name, source in self.sources.items():
            if not source.write_back:
                continue
            refusal = name_refusal(name)
            if refusal:
                raise ValueError(f"sources.{name} writes back: {refusal}")
            if name in self.webhooks:
                raise ValueError(
                    f"sources.{name} writes back under its name: rename [webhooks.{name}]"
                )
        return self

    @classmethod
    def from_toml_text(cls, text: str) -> AgencySettings:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"not valid TOML: {exc}") from exc
        return cls.from_mapping(raw)

    @classmethod
    def from_file(cls, path: Path) -> AgencySettings:
        return cls.from_mapping(cls.read_toml(path))

    @staticmethod
    def read_toml(path: Path) -> dict[str, Any]:
        """The TOML file's tables, checked: a file that would not make valid settings on
        its own (a wrong key, a bad value) is refused before anything is stored."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"not valid TOML: {exc}") from exc
        AgencySettings.from_mapping(raw)
        return raw

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], *, stored: bool = False) -> AgencySettings:
        """Settings from TOML-shaped tables; ``stored``: read back from the database, where
        a value saved before a newer check stays readable (it is checked when next saved)."""
        try:
            return cls.model_validate(raw, context={"stored": stored})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise SettingsError(f"{where}: {message}") from exc

    def merged(self, raw: dict[str, Any]) -> AgencySettings:
        """These settings with the keys in ``raw`` replaced (re-running init updates)."""
        current = self.model_dump()
        for section, values in raw.items():
            if isinstance(values, dict) and isinstance(current.get(section), dict):
                current[section] = {**current[section], **values}
            else:
                current[section] = values
        return AgencySettings.from_mapping(current)


class ProviderSettings(BaseSettings):
    """Delivery providers and public URL, read from ``REFERRAL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="REFERRAL_", extra="ignore")

    db: str = DEFAULT_DB_URL
    smtp_url: str = ""
    mail_from: str = ""
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_base: str = ""
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    # Fernet key(s) encrypting stored secrets (agency.crypto); none: stored as they are.
    encryption_key: str = ""
    imap_url: str = ""
    # How long an ask may stay "sending" before recovery treats its sender as stopped.
    send_lease_seconds: int = 600
    # The largest request body read: one event (and any other request), and a batch.
    max_event_bytes: int = Field(1_000_000, ge=1_000)
    max_batch_bytes: int = Field(10_000_000, ge=1_000)
    # Believe X-Forwarded-Proto from the reverse proxy in front (session cookie Secure).
    trust_proxy: bool = False
    # DKIM signing of every outgoing email (all three unset: no signature). The key is
    # read from its file when mail is sent; it is never stored in the database.
    dkim_selector: str = ""
    dkim_domain: str = ""  # default: the domain of each message's From address
    dkim_key_file: str = ""  # PEM RSA private key (PKCS#1 or PKCS#8, unencrypted)

    @property
    def email_configured(self) -> bool:
        return bool(self.smtp_url)

    @property
    def dkim_configured(self) -> bool:
        """Any DKIM variable set: then all that are needed must be, and valid."""
        return bool(self.dkim_selector or self.dkim_domain or self.dkim_key_file)

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)


def provider_settings() -> ProviderSettings:
    """Provider settings as the environment says now."""
    return ProviderSettings()
