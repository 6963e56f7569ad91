"""`referral demo`: a simulated agency run through weeks of the loop on the real code.

The simulation makes an independent agency (a principal, producers, CSRs), its clients
and a few partners, and the events an agency management system would send: binds
(~40 a month, personal and commercial), renewals, feedback, service issues opened and
resolved, the odd complaint, webhook retries that repeat an event, and a malformed
export row. Each simulated day's events go through the same ingest path as the API,
then the clock is moved to the end of the day and the due work runs, exactly as
`referral tick --now …` would. Everything is seeded: the same seed tells the same story.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from referral_engine import clock
from referral_engine.agency.service import load_settings, save_settings
from referral_engine.db import normalize_url, unit_of_work
from referral_engine.demo.network import DemoNetwork, DemoProviders
from referral_engine.demo.people import (
    ask_outcomes,
    print_asks,
    print_replies,
    print_sign_ins,
    reply_outcomes,
    staff_workload,
    work_review_queue,
    work_tasks,
)
from referral_engine.demo.referrals import Pipeline, partner_referral
from referral_engine.events.service import RawEvent, ingest_retrying
from referral_engine.reports import service as reports
from referral_engine.settings import AgencySettings
from referral_engine.setup import initialize
from referral_engine.users import service as users
from referral_engine.users.models import Role
from referral_engine.worker import TickReport, run_due

SOURCE = "demo-ams"
ZONE = ZoneInfo("America/Chicago")
FIRST = [
    "Dana",
    "Luis",
    "Priya",
    "Marcus",
    "Elena",
    "Tom",
    "Aisha",
    "Ken",
    "Rosa",
    "Jamal",
    "Hannah",
    "Victor",
    "Mei",
    "Omar",
    "Grace",
    "Tyler",
    "Nina",
    "Andre",
    "Lucy",
    "Raj",
]
LAST = [
    "Reyes",
    "Nguyen",
    "Patel",
    "Johnson",
    "Kowalski",
    "Okafor",
    "Schmidt",
    "Garcia",
    "Murphy",
    "Chen",
    "Brooks",
    "Ivanova",
    "Haddad",
    "Larsen",
    "Mendoza",
    "Price",
]
BUSINESSES = [
    "Northside Bakery",
    "Prairie Landscaping",
    "Lakeview Dental",
    "Ortiz Plumbing",
    "Summit Logistics",
    "Greenleaf Florist",
    "Harbor Auto Repair",
    "Maple Daycare",
    "Keystone Roofing",
    "Riverbend Cafe",
]
PERSONAL_LINES = [("AUTOP", 1800), ("HOME", 2100), ("PUMBR", 420), ("BOAT", 650), ("Renters", 240)]
COMMERCIAL_LINES = [
    ("BOP", 3800),
    ("WORK", 9500),
    ("AUTOB", 14000),
    ("CGL", 2600),
    ("Commercial Property", 7200),
]
STAFF = [
    ("principal@lakeside.example", "Morgan Hale", Role.principal, True),
    ("sam.ortiz@lakeside.example", "Sam Ortiz", Role.producer, True),
    ("jo.park@lakeside.example", "Jo Park", Role.producer, True),
    ("lee.adams@lakeside.example", "Lee Adams", Role.producer, False),
    ("ria.singh@lakeside.example", "Ria Singh", Role.producer, False),
    ("ben.cole@lakeside.example", "Ben Cole", Role.producer, False),
    ("ana.ruiz@lakeside.example", "Ana Ruiz", Role.csr, True),
    ("kim.tran@lakeside.example", "Kim Tran", Role.csr, True),
    ("pat.obi@lakeside.example", "Pat Obi", Role.csr, False),
    ("dee.moss@lakeside.example", "Dee Moss", Role.csr, False),
    ("cal.webb@lakeside.example", "Cal Webb", Role.csr, False),
    ("ivy.lund@lakeside.example", "Ivy Lund", Role.csr, False),
    ("max.fry@lakeside.example", "Max Fry", Role.csr, False),
    ("zoe.hart@lakeside.example", "Zoe Hart", Role.csr, False),
]
PRODUCERS = [s for s in STAFF if s[2] == Role.producer]
SENIOR_CSR = "ana.ruiz@lakeside.example"
LEFT_FOR_YOU_DAYS = 5
DEMO_SETTINGS = {
    "agency": {
        "name": "Lakeside Insurance Group",
        "timezone": "America/Chicago",
        "holidays": "US-IL",
        "postal_address": "200 W Lake St, Suite 400, Chicago, IL 60606",
        "principal_email": "principal@lakeside.example",
        "phone": "(312) 555-0100",
    },
    "review": {"premium_threshold": 10000, "commercial_requires_review": True},
    # What the program costs (the software, the thank-you gifts, the time), for ROI.
    "program": {"cost_per_month": 450, "currency": "USD"},
}


# The wording on the demo agency's application, where clients tick "texts" (CTIA, R18).
SMS_CONSENT_WORDING = (
    "I agree to receive texts from Lakeside Insurance Group about my policies and "
    "referrals at the number above. Msg frequency varies. Msg & data rates may apply. "
    "Reply STOP to opt out, HELP for help. Consent is not a condition of purchase."
)


def _sms_consent(client: DemoClient) -> dict[str, object] | bool | None:
    """A yes comes with its proof (the signed application); a no or nothing stays bare."""
    if client.consent_sms is not True:
        return client.consent_sms
    return {
        "status": "granted",
        "method": "signed_application",
        "at": f"{client.since.isoformat()}T12:00:00-06:00",
        "wording": SMS_CONSENT_WORDING,
        "number": client.mobile,
    }


@dataclass
class DemoClient:
    external_id: str
    first_name: str
    last_name: str
    company: str | None
    email: str
    mobile: str
    since: date
    producer: tuple[str, str, Role, bool]
    consent_sms: bool | None
    preferred: str


class Agency:
    """The simulated agency: its clients and what happens to them each day."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clients: list[DemoClient] = []
        self.counter = Counter[str]()
        self.open_issues: list[tuple[DemoClient, str, date]] = []
        self.pipeline = Pipeline.start(random.Random(seed + 2), random.Random(seed + 3))

    def new_client(self, day: date, commercial: bool) -> DemoClient:
        rng = self.rng
        number = len(self.clients) + 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        client = DemoClient(
            external_id=f"C-{1000 + number}",
            first_name=first,
            last_name=last,
            company=rng.choice(BUSINESSES) if commercial else None,
            email=f"{first.lower()}.{last.lower()}{number}@example.com",
            mobile=f"+1312555{number % 10000:04d}",
            since=day if rng.random() < 0.7 else day - timedelta(days=rng.randint(400, 4000)),
            producer=rng.choice(PRODUCERS),
            consent_sms=rng.choice([True, True, True, None, False]),
            preferred=rng.choice(["sms", "email", "email"]),
        )
        self.clients.append(client)
        return client

    def book_client(self, day: date, *, commercial: bool) -> DemoClient:
        client = self.new_client(day, commercial)
        client.since = day - timedelta(days=self.rng.randint(370, 4000))
        return client

    def day_events(self, day: date) -> list[dict[str, Any]]:
        """The events the agency system reports on ``day`` (business days carry most)."""
        rng = self.rng
        weekday = day.weekday() < 5
        out: list[dict[str, Any]] = []
        for _ in range(rng.choice([1, 2, 2, 3]) if weekday else rng.choice([0, 0, 1])):
            commercial = rng.random() < 0.3
            client = (
                self.new_client(day, commercial)
                if rng.random() < 0.75 or not self.clients
                else rng.choice(self.clients)
            )
            bind = self.policy_event(client, day, "new", commercial)
            referral = partner_referral(rng, client)
            if referral is not None:
                bind["referral"] = referral
            out.append(bind)
        for prospect in self.pipeline.binding_on(day):
            # An introduced person became a client: the agency system reports the bind.
            client = self.new_client(day, False)
            client.first_name, client.last_name = prospect.first_name, prospect.last_name
            client.mobile = prospect.mobile or client.mobile
            client.email = prospect.email or client.email
            out.append(self.policy_event(client, day, "new", False))
        if weekday and rng.random() < 0.6:
            # Renewals come from the agency's existing book: clients of some years.
            client = self.book_client(day, commercial=rng.random() < 0.3)
            out.append(self.policy_event(client, day, "renewal", client.company is not None))
        if self.clients and rng.random() < 0.35:
            out.append(self.feedback_event(rng.choice(self.clients), day))
        if self.clients and rng.random() < 0.2:
            # New clients call most: a billing question or a first claim right after
            # the bind is what holds an ask back.
            recent = self.clients[-6:]
            client = rng.choice(recent if rng.random() < 0.7 else self.clients)
            issue_id = f"T-{self.next('issue')}"
            self.open_issues.append((client, issue_id, day))
            out.append(
                self.base(
                    "issue.opened",
                    client,
                    day,
                    issue={"id": issue_id, "kind": rng.choice(["ticket", "billing", "claim"])},
                )
            )
        for entry in list(self.open_issues):
            if (day - entry[2]).days >= rng.randint(2, 6):
                self.open_issues.remove(entry)
                out.append(
                    self.base(
                        "issue.resolved", entry[0], day, issue={"id": entry[1], "kind": "ticket"}
                    )
                )
        if self.clients and rng.random() < 0.03:
            out.append(self.base("complaint.received", rng.choice(self.clients), day))
        return out

    def next(self, kind: str) -> int:
        self.counter[kind] += 1
        return self.counter[kind]

    def at(self, day: date) -> str:
        moment = datetime.combine(
            day, time(self.rng.randint(9, 16), self.rng.choice([0, 15, 30, 45])), ZONE
        )
        return moment.isoformat()

    def base(self, kind: str, client: DemoClient, day: date, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"{kind}-{self.next(kind):05d}",
            "type": kind,
            "occurred_at": self.at(day),
            "source": SOURCE,
            "client": {
                "external_id": client.external_id,
                "first_name": client.first_name,
                "last_name": client.last_name,
                "company": client.company,
                "email": client.email,
                "mobile": client.mobile,
                "client_since": client.since.isoformat(),
                "consent": {"email": True, "sms": _sms_consent(client)},
                "preferred_channel": client.preferred,
            },
            "producer": {"name": client.producer[1], "email": client.producer[0]},
            **extra,
        }

    def policy_event(
        self, client: DemoClient, day: date, transaction: str, commercial: bool
    ) -> dict[str, Any]:
        line, typical = self.rng.choice(COMMERCIAL_LINES if commercial else PERSONAL_LINES)
        premium = round(typical * self.rng.uniform(0.6, 1.6), 2)
        kind = "policy.bound" if transaction == "new" else "policy.renewed"
        return self.base(
            kind,
            client,
            day,
            policy={
                "number": f"{line[:3].upper()}-{self.next('policy'):06d}",
                "line_of_business": line,
                "carrier": self.rng.choice(
                    ["Progressive", "Travelers", "Hartford", "Safeco", "Cincinnati"]
                ),
                "premium": premium,
                "commission": round(premium * 0.12, 2),
                "effective_date": (day + timedelta(days=self.rng.randint(1, 20))).isoformat(),
                "transaction": transaction,
            },
        )

    def feedback_event(self, client: DemoClient, day: date) -> dict[str, Any]:
        score, text = self.rng.choice(
            [
                (10, "Sam made switching so easy. Thank you!"),
                (9, "Quick answers and a better price than before."),
                (None, "Honestly the best service I have had from an insurance agency."),
                (None, "Thanks for the help, but I'm still waiting on the claim check."),
                (6, "It was fine."),
                (3, "Nobody called me back about my billing problem."),
            ]
        )
        return self.base("feedback.received", client, day, feedback={"score": score, "text": text})


def _staff(url: str) -> None:
    with unit_of_work(url) as session:
        for email, name, role, senior in STAFF:
            if users.find_by_email(session, email=email) is None:
                users.create_user(
                    session,
                    email=email,
                    name=name,
                    role=role,
                    senior=senior,
                    password=demo_password(email),
                )


def demo_password(email: str) -> str:
    """A staff member's published demo password: ``demo-`` and the mailbox name
    (demo-principal, demo-sam-ortiz): at least 12 characters, like any password here."""
    return "demo-" + email.split("@")[0].replace(".", "-")


def _last_working_days(end: date, count: int) -> date:
    """The first of the last ``count`` weekdays before ``end``: from then on the team
    leaves its work for whoever signs in to the demo."""
    day = end
    while count:
        day -= timedelta(days=1)
        count -= int(day.weekday() < 5)
    return day


def run_demo(url: str, *, weeks: int, seed: int, console: Console) -> dict[str, Any]:
    """Simulate ``weeks`` weeks ending at now; print and return the summary."""
    url = normalize_url(url)
    result = initialize(url)
    with unit_of_work(url) as session:
        save_settings(session, settings=load_settings(session).merged(DEMO_SETTINGS))
        settings = load_settings(session)
    _staff(url)
    end = clock.now()
    start_day = (end - timedelta(weeks=weeks)).astimezone(ZONE).date()
    agency = Agency(seed)
    ingested: Counter[str] = Counter()
    worked = TickReport()
    reviewed: Counter[str] = Counter()
    worked_tasks: Counter[str] = Counter()
    confirmed = 0
    network = DemoNetwork(random.Random(seed + 1))
    providers = DemoProviders.for_network(network)

    def tick(at: datetime) -> None:
        network.now = at
        network.deliver_answers(url, until=at)
        worked.merge(run_due(url, now=at, providers=providers))

    day = start_day
    # The last working week is left to the people who sign in: their review queues
    # and tasks hold that work when the demo ends.
    left_from = _last_working_days(end.astimezone(ZONE).date(), LEFT_FOR_YOU_DAYS)
    with console.status("Running the simulated agency…"):
        while day < end.astimezone(ZONE).date():
            working = day < left_from
            if working and day.weekday() < 5:
                confirmed += agency.pipeline.confirm_drafts(
                    url, day=day, zone=ZONE, staff_email=SENIOR_CSR
                )
            tick(_at(day, 10))  # the send slot
            if working:
                reviewed.update(
                    work_review_queue(
                        url, day=day, zone=ZONE, rng=agency.rng, principal=STAFF[0][0]
                    )
                )
            tick(_at(day, 13))
            if working:
                worked_tasks.update(
                    work_tasks(url, day=day, at=time(13, 15), zone=ZONE, rng=agency.rng)
                )
            ingested.update(_feed_day(url, agency, day, settings))
            tick(_at(day, 17, 30))
            if working:
                worked_tasks.update(
                    work_tasks(url, day=day, at=time(17, 45), zone=ZONE, rng=agency.rng)
                )
            tick(_end_of(day))
            agency.pipeline.take_new_referrals(url, day=day)
            if working and day.weekday() < 5:
                agency.pipeline.work(url, day=day, zone=ZONE, staff_email=SENIOR_CSR)
            day += timedelta(days=1)
    tick(end)
    summary = _summary(url, weeks=weeks, ingested=ingested, worked=worked, end=end)
    summary["reviewed"] = dict(reviewed)
    summary["tasks"] = dict(worked_tasks)
    summary["confirmed"] = confirmed
    summary["staff"] = staff_workload(url, [(email, demo_password(email)) for email, *_ in STAFF])
    _print(console, summary, result.credentials)
    return summary


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59), ZONE).astimezone(UTC)


def _feed_day(url: str, agency: Agency, day: date, settings: AgencySettings) -> Counter[str]:
    documents = agency.day_events(day)
    raws = [
        RawEvent.from_json_text(json.dumps(d), channel="webhook", source=SOURCE) for d in documents
    ]
    if documents and agency.rng.random() < 0.3:
        # A webhook retry: the same event delivered twice.
        raws.append(
            RawEvent.from_json_text(json.dumps(documents[0]), channel="webhook", source=SOURCE)
        )
    if agency.rng.random() < 0.05:
        raws.append(
            RawEvent.from_json_text(
                json.dumps(
                    {
                        "id": f"bad-{day}",
                        "type": "policy.bound",
                        "source": SOURCE,
                        "occurred_at": f"{day}T10:00:00-06:00",
                        "client": {"first_name": "Unknown", "email": "not-an-email"},
                    }
                ),
                channel="import",
                source=SOURCE,
            )
        )
    counts: Counter[str] = Counter()
    if not raws:
        return counts
    instant = max(
        datetime.combine(day, time(17), ZONE).astimezone(UTC),
        datetime.combine(day, time(0), ZONE).astimezone(UTC),
    )
    with unit_of_work(url) as session:
        for result in ingest_retrying(session, inputs=raws, settings=settings, now=instant):
            counts[result.outcome.value] += 1
    return counts


def _summary(
    url: str, *, weeks: int, ingested: Counter[str], worked: TickReport, end: datetime
) -> dict[str, Any]:
    with unit_of_work(url) as session:
        recent = reports.recent_weeks(
            session, until=reports.current_week(session, end), count=weeks + 1
        )
        asks = ask_outcomes(session)
        replies = reply_outcomes(session)
    return {
        "replies": replies,
        "asks": asks,
        "weeks": weeks,
        "events": dict(ingested),
        "work": dict(worked.ran),
        "outcomes": dict(worked.outcomes),
        "weekly": [w.as_dict() for w in reversed(recent)],
    }


def _print(console: Console, summary: dict[str, Any], credentials: users.Credentials) -> None:
    events = summary["events"]
    console.print(f"[bold]Lakeside Insurance Group[/] — {summary['weeks']} simulated weeks")
    console.print(
        f"Events: {events.get('accepted', 0)} accepted, "
        f"{events.get('duplicate', 0)} duplicate (webhook retries), "
        f"{events.get('rejected', 0)} rejected (kept for review)"
    )
    table = Table(title="Week by week", title_justify="left")
    table.add_column("Week")
    for _, label in reports.HEADLINE:
        table.add_column(label, justify="right")
    for week in summary["weekly"]:
        table.add_row(week["week"], *(str(week.get(key, 0)) for key, _ in reports.HEADLINE))
    console.print(table)
    print_asks(console, summary["asks"], summary.get("reviewed", {}))
    print_replies(console, summary.get("replies", {}), summary.get("tasks", {}))
    console.print(
        f"Referrals drafted from replies and confirmed by the team: {summary.get('confirmed', 0)}"
        " (each then got its 24-hour contact task and the referrer's thank-you)"
    )
    print_sign_ins(console, summary.get("staff", []))
    if credentials.created:
        console.print(
            f"The service's own admin: {credentials.email} / {credentials.password}",
            highlight=False,
        )
