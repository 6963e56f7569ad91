"""Which providers are configured (environment), and the adapters for them.

:func:`check` is run before a command does anything: a provider variable that cannot be
used (a bad ``REFERRAL_SMTP_URL``, a DKIM key that does not load) is then a
configuration error, not a failure of the first message sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from referral_engine.delivery.channels import SendFailed
from referral_engine.settings import ProviderSettings


class ProviderConfigError(ValueError):
    """A provider variable that cannot be used; the message names it and says why."""


def check(env: ProviderSettings) -> None:
    """Raise :class:`ProviderConfigError` for provider settings that cannot work."""
    from referral_engine.delivery.dkim_signing import DkimConfigError, DkimSigner
    from referral_engine.delivery.smtp import SmtpConfig

    if env.smtp_url:
        try:
            SmtpConfig.from_url(env.smtp_url)
        except ValueError as exc:
            raise ProviderConfigError(f"REFERRAL_SMTP_URL: {exc}") from None
    try:
        DkimSigner.from_settings(env)
    except DkimConfigError as exc:
        raise ProviderConfigError(str(exc)) from None


@dataclass(frozen=True)
class Providers:
    env: ProviderSettings

    @classmethod
    def from_settings(cls, env: ProviderSettings) -> Providers:
        return cls(env)

    def has(self, channel: str) -> bool:
        """A channel without a provider sends nothing: its messages go to the outbox."""
        return self.env.email_configured if channel == "email" else self.env.sms_configured

    @property
    def status_callback_url(self) -> str:
        return f"{self.env.public_url.rstrip('/')}/hooks/twilio/status"

    def email_sender(self):  # type: ignore[no-untyped-def]
        """The SMTP adapter, signing with DKIM when configured. Settings that stopped
        working since :func:`check` (a key file removed) are a transient
        :class:`SendFailed`: the message waits for the fix and never goes out unsigned."""
        from referral_engine.delivery.dkim_signing import DkimConfigError, DkimSigner
        from referral_engine.delivery.smtp import SmtpConfig, SmtpSender

        try:
            signer = DkimSigner.from_settings(self.env)
        except DkimConfigError as exc:
            raise SendFailed(str(exc), transient=True) from None
        return SmtpSender(SmtpConfig.from_url(self.env.smtp_url), dkim=signer)

    def sms_sender(self):  # type: ignore[no-untyped-def]
        from referral_engine.delivery.twilio_sms import TwilioSms

        return TwilioSms(
            account_sid=self.env.twilio_account_sid,
            auth_token=self.env.twilio_auth_token,
            from_=self.env.twilio_from,
            api_base=self.env.twilio_api_base or None,
        )
