"""Which providers are configured (environment), and the adapters for them."""

from __future__ import annotations

from dataclasses import dataclass

from referral_engine.settings import ProviderSettings


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
        from referral_engine.delivery.smtp import SmtpConfig, SmtpSender

        return SmtpSender(SmtpConfig.from_url(self.env.smtp_url))

    def sms_sender(self):  # type: ignore[no-untyped-def]
        from referral_engine.delivery.twilio_sms import TwilioSms

        return TwilioSms(
            account_sid=self.env.twilio_account_sid,
            auth_token=self.env.twilio_auth_token,
            from_=self.env.twilio_from,
            api_base=self.env.twilio_api_base or None,
        )
