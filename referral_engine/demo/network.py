"""The simulated agency's phones and mailboxes in `referral demo`.

Asks leave through the real sender into this network instead of a provider (no real
message is ever sent); some of the simulated clients answer, and their answers come back
through the real reply code — read, classified, routed to tasks — exactly as a Twilio
webhook or a polled mailbox would bring them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from referral_engine.db import unit_of_work
from referral_engine.delivery.channels import Sent
from referral_engine.delivery.providers import Providers
from referral_engine.settings import ProviderSettings

# What clients answer, by weight: warm moments get warm answers, now and then a STOP.
ANSWERS: list[tuple[float, str, str]] = [
    (0.10, "hot", "Yes! My neighbor {name} just bought a house - {phone}"),
    (0.06, "hot", "My brother-in-law {name} needs a quote for his business, {phone}"),
    (0.10, "interested", "Maybe! Let me think about who might need it."),
    (0.14, "neutral", "Thanks, appreciate it!"),
    (0.03, "opt_out", "STOP"),
    (0.02, "complaint", "Please don't text me about this, I'm still waiting on my claim check"),
]
PROSPECTS = ["Maria Lopez", "Tom Reed", "Ana Diaz", "Jay Patel", "Rosa Kim", "Ben Ortiz"]


@dataclass
class Outgoing:
    channel: str
    to: str
    body: str
    message_id: str
    sent_at: datetime


@dataclass
class Answer:
    at: datetime
    channel: str
    sender: str
    text: str
    in_reply_to: str
    sid: str


@dataclass
class DemoNetwork:
    """Stands in for Twilio and SMTP; records what was sent, schedules what comes back."""

    rng: random.Random
    now: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    sent: list[Outgoing] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    counter: int = 0

    # -- the two channel Protocols --------------------------------------------------------

    def send(self, message: EmailMessage | None = None, **sms: str | None) -> Sent:
        self.counter += 1
        if message is not None:
            out = Outgoing(
                "email",
                str(message["To"]),
                message.get_body(preferencelist=("plain",)).get_content(),  # type: ignore[union-attr]
                str(message["Message-ID"]),
                self.now,
            )
        else:
            out = Outgoing(
                "sms", str(sms["to"]), str(sms["body"]), f"SMdemo{self.counter:026d}", self.now
            )
        self.sent.append(out)
        if message is None or message["Auto-Submitted"] is None:
            self._maybe_answer(out)  # a notification to staff is not a client to answer
        return Sent(out.message_id, "simulated")

    def find_sent(self, to: str, body_marker: str, since: datetime) -> str | None:
        return next((o.message_id for o in self.sent if o.to == to and o.body == body_marker), None)

    def _maybe_answer(self, out: Outgoing) -> None:
        roll = self.rng.random()
        for weight, _, template in ANSWERS:
            if roll < weight:
                name = self.rng.choice(PROSPECTS)
                phone = f"(773) 555-01{self.rng.randint(10, 99)}"
                text = template.format(name=name, phone=phone)
                delay = timedelta(minutes=self.rng.randint(20, 26 * 60))
                self.answers.append(
                    Answer(
                        out.sent_at + delay,
                        out.channel,
                        out.to,
                        text,
                        out.message_id,
                        f"SMreply{len(self.answers):025d}",
                    )
                )
                return
            roll -= weight

    # -- answers coming back through the real reply code ---------------------------------

    def deliver_answers(self, url: str, *, until: datetime) -> int:
        from referral_engine.replies.service import receive_email, receive_sms

        due = sorted((a for a in self.answers if a.at <= until), key=lambda a: a.at)
        self.answers = [a for a in self.answers if a.at > until]
        for answer in due:
            with unit_of_work(url) as session:
                if answer.channel == "sms":
                    receive_sms(
                        session,
                        sid=answer.sid,
                        sender=answer.sender,
                        body=answer.text,
                        now=answer.at,
                    )
                else:
                    receive_email(session, raw=_email_reply(answer), now=answer.at)
        return len(due)


def _email_reply(answer: Answer) -> bytes:
    message = EmailMessage()
    message["From"] = answer.sender
    message["To"] = "asks@lakeside.example"
    message["Subject"] = "Re: thank you"
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    message["In-Reply-To"] = answer.in_reply_to
    message.set_content(answer.text)
    return message.as_bytes()


@dataclass(frozen=True)
class DemoProviders(Providers):
    """Providers whose both channels lead into the simulated network."""

    network: DemoNetwork = field(default_factory=lambda: DemoNetwork(random.Random(0)))

    @classmethod
    def for_network(cls, network: DemoNetwork) -> DemoProviders:
        env = ProviderSettings(
            mail_from="Lakeside Insurance Group <asks@lakeside.example>",
            public_url="http://127.0.0.1:8000",
        )
        return cls(env=env, network=network)

    def has(self, channel: str) -> bool:
        return True

    def email_sender(self) -> DemoNetwork:
        return self.network

    def sms_sender(self) -> DemoNetwork:
        return self.network
