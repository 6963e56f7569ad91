"""The kill test: a sending worker process is killed at random points; afterwards no
client got a text twice and every ask went out exactly once."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections import Counter
from email.message import EmailMessage

import pytest

from tests.agency import Agency, bind
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

CLIENTS = 30
DUE = "2026-12-01T16:00:00Z"


def batch() -> list[dict[str, object]]:
    return [
        bind(
            id=f"bind-{i}",
            client__external_id=f"C-{i}",
            client__email=f"client{i}@example.com",
            client__mobile=f"+1312555{1000 + i:04d}",
            policy={"number": f"PA-{i}", "line_of_business": "AUTOP", "transaction": "new"},
        )
        for i in range(CLIENTS)
    ]


@pytest.mark.parametrize("seed", [7])
def test_killed_senders_never_send_twice_and_lose_nothing(
    agency: Agency, twilio_double: TwilioDouble, seed: int
) -> None:
    agency.feed(*batch(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    assert len(agency.asks(status="scheduled")) == CLIENTS
    env = {
        **os.environ,
        "REFERRAL_DB": agency.url,
        "REFERRAL_NOW": DUE,
        "REFERRAL_TWILIO_ACCOUNT_SID": twilio_double.account_sid,
        "REFERRAL_TWILIO_AUTH_TOKEN": twilio_double.auth_token,
        "REFERRAL_TWILIO_FROM": "+13125550100",
        "REFERRAL_TWILIO_API_BASE": twilio_double.base_url,
        # A new worker treats what a killed one left "sending" as stale at once.
        "REFERRAL_SEND_LEASE_SECONDS": "0",
    }
    command = [shutil.which("referral") or "referral", "tick"]
    rng = random.Random(seed)
    kills = 0
    for _ in range(8):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        target = len(twilio_double.messages) + rng.randint(1, 4)

        def kill_at(count: int, target: int = target, process: subprocess.Popen = process) -> None:  # type: ignore[type-arg]
            # Twilio has taken text number `count`; its answer has not left yet.
            if count >= target:
                process.kill()

        twilio_double.after_create = kill_at
        code = process.wait(timeout=120)
        twilio_double.after_create = None
        kills += code != 0
    for _ in range(3):  # workers that are not killed finish the job
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)

    assert kills >= 4, "the sender was really killed mid-send"
    per_number = Counter(m["to"] for m in twilio_double.messages)
    assert len(per_number) == CLIENTS, "no ask lost"
    assert max(per_number.values()) == 1, f"sent twice: {per_number.most_common(3)}"
    statuses = Counter(a["status"] for a in agency.asks(limit="1000"))
    assert statuses == {"sent": CLIENTS}


def test_killed_email_senders_never_send_twice_and_leave_the_rest_to_a_person(
    agency: Agency, smtp_server: SmtpServer
) -> None:
    """SMTP cannot be asked what it took: an ask its sender died on is not sent again but
    becomes delivery_unknown with a task for its producer."""
    agency.configure('[agency]\npostal_address = "200 W Lake St, Chicago, IL 60606"\n')
    emails = [
        {**document, "client": {**document["client"], "preferred_channel": "email"}}  # type: ignore[dict-item]
        for document in batch()
    ]
    agency.feed(*emails, now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    env = {
        **os.environ,
        "REFERRAL_DB": agency.url,
        "REFERRAL_NOW": DUE,
        "REFERRAL_SMTP_URL": smtp_server.url,
        "REFERRAL_MAIL_FROM": "Lakeside Insurance <asks@agency.example>",
        "REFERRAL_SEND_LEASE_SECONDS": "0",
    }
    command = [shutil.which("referral") or "referral", "tick"]
    rng = random.Random(11)
    kills = 0
    for _ in range(5):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        target = len(smtp_server.messages) + rng.randint(1, 4)

        def kill_at(count: int, target: int = target, process: subprocess.Popen = process) -> None:  # type: ignore[type-arg]
            if count >= target:
                process.kill()

        smtp_server.after_data = kill_at
        kills += process.wait(timeout=120) != 0
        smtp_server.after_data = None
    for _ in range(2):
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)

    assert kills >= 3
    # Each client gets one ask; the producer is told once of each task a killed sender left.
    each = Counter((str(m["To"]), str(m["Subject"]), _text(m)) for m in smtp_server.messages)
    assert max(each.values()) == 1, "never sent twice"
    asks = agency.asks(limit="1000")
    statuses = Counter(a["status"] for a in asks)
    assert set(statuses) <= {"sent", "delivery_unknown"} and sum(statuses.values()) == CLIENTS
    assert statuses["sent"] + statuses["delivery_unknown"] == CLIENTS
    unknown = {a["id"] for a in asks if a["status"] == "delivery_unknown"}
    assert unknown, "a killed sender leaves asks for a person to check"
    tasks = agency.api.get("/api/v1/tasks").json()
    assert {t["ask_id"] for t in tasks if t["kind"] == "delivery_unknown"} == unknown
    sent_to = {a["client_external_id"] for a in asks if a["status"] == "sent"}
    assert len(sent_to) == statuses["sent"]


def _text(email: EmailMessage) -> str:
    """An email's plain text: a task notice names its own task's link."""
    return str(email.get_body(preferencelist=("plain",)).get_content())
