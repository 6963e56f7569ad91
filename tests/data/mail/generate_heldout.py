# ruff: noqa: E501, UP017
"""Generates the held-out labeled emails (frozen in ``heldout/``; do not regenerate to
tune): varied wording and formatting, fake people, invented carriers, example domains.

Written after the layouts and the general extractor, and never used to tune them. Each
email's label is what a careful person reads in it: the fields, or ``"quarantine"`` when
the email does not state a required field (policy number, insured, effective date, line
of business, transaction) or states it two ways. Run from the repository root:
``python3 tests/data/mail/generate_heldout.py``.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "heldout"
rng = random.Random(20261202)

FIRST = [
    "Avery",
    "Noah",
    "Elena",
    "Samir",
    "Hana",
    "Victor",
    "Lena",
    "Omar",
    "Greta",
    "Rafael",
    "June",
    "Theo",
    "Imani",
    "Caleb",
    "Sofia",
    "Desmond",
    "Mei",
    "Arjun",
]
LAST = [
    "Holloway",
    "Brennan",
    "Castillo",
    "Farouk",
    "Lindqvist",
    "Osei",
    "Marsh",
    "Petrov",
    "Quintero",
    "Sato",
    "Whitfield",
    "Adeyemi",
    "Kowalski",
    "Duarte",
]
BUSINESSES = [
    "Riverside Auto Repair LLC",
    "Maple Street Dental PC",
    "Bright Path Tutoring Inc",
    "Copper Kettle Cafe LLC",
    "North Yard Landscaping Co",
]
PERSONAL = [
    ("Personal Auto", "AUTOP"),
    ("Homeowners", "HOME"),
    ("Renters", "HOME"),
    ("Personal Umbrella", "PUMBR"),
    ("Dwelling Fire", "DFIRE"),
    ("Boat", "BOAT"),
    ("Motorcycle", "MOTOR"),
    ("Flood", "FLOOD"),
]
COMMERCIAL = [
    ("General Liability", "CGL"),
    ("Business Auto", "AUTOB"),
    ("Workers Compensation", "WORK"),
    ("Businessowners", "BOP"),
    ("Commercial Property", "PROP"),
]
SENT = datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)
LABELS: dict[str, Any] = {}
counter = iter(range(1, 1000))


def person() -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def eff() -> date:
    return date(2026, 12, 1) + timedelta(days=rng.randrange(0, 75))


def fmt_date(day: date, style: str) -> str:
    return {
        "us": day.strftime("%m/%d/%Y"),
        "iso": day.isoformat(),
        "long": f"{day.strftime('%B')} {day.day}, {day.year}",
        "short": f"{day.strftime('%b')} {day.day}, {day.year}",
        "euro": f"{day.day} {day.strftime('%B')} {day.year}",
        "dots": day.strftime("%m.%d.%Y"),
        "ordinal": f"{day.strftime('%B')} {day.day}th, {day.year}",
    }[style]


def money(amount: float, style: str) -> str:
    return {
        "dollars": f"${amount:,.2f}",
        "plain": f"{amount:.2f}",
        "usd": f"USD {amount:,.2f}",
        "round": f"${amount:,.0f}",
    }[style]


def phone() -> tuple[str, str]:
    digits = f"312555{rng.randrange(100, 199):04d}"
    shown = rng.choice(
        [
            f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
            f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
        ]
    )
    return shown, digits


def mail_of(name: str) -> str:
    first, _, last = name.partition(" ")
    return f"{first.lower()}.{last.lower()}@example.com"


def write(
    kind: str, *, sender: str, subject: str, text: str = "", html: str = "", label: Any
) -> None:
    name = f"{kind}-{next(counter):03d}"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@agency.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT)
    message["Message-ID"] = f"<{name}.{rng.randrange(10**8)}@mail.example>"
    if text:
        message.set_content(text)
        if html:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html, subtype="html")
    (HERE / f"{name}.eml").write_bytes(bytes(message))
    LABELS[name] = label


def fields(
    number: str,
    insured: str,
    day: date,
    code: str,
    transaction: str,
    premium: float | None = None,
    email: str | None = None,
    phone_digits: str | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "policy_number": number,
        "insured_name": insured,
        "effective_date": day.isoformat(),
        "line_of_business": code,
        "transaction": transaction,
    }
    for key, value in (
        ("premium", premium),
        ("email", email),
        ("phone", phone_digits),
        ("client_id", client_id),
    ):
        if value is not None:
            out[key] = value
    return out


# --- the six known senders, as they write -------------------------------------------------


def northwind() -> None:
    insured, (line, code), day = person(), rng.choice(PERSONAL[:4]), eff()
    number = f"NWM-{code[:2]}-{rng.randrange(10**6, 10**7)}"
    premium = round(rng.uniform(400, 3000), 2)
    shown_phone, digits = phone()
    with_contact = rng.random() < 0.7
    lines = [
        f"Policy Number: {number}",
        f"Named Insured: {insured}",
        f"Effective Date: {fmt_date(day, 'us')}",
        f"Line of Coverage: {line}",
        f"Total Term Premium: {money(premium, 'dollars')}",
    ]
    if with_contact:
        lines += [f"Insured Email: {mail_of(insured)}", f"Insured Phone: {shown_phone}"]
    rng.shuffle(lines)
    subject = rng.choice(
        [f"Policy Issued: {number}", f"FW: Policy Issued: {number}", f"Policy issued - {insured}"]
    )
    text = "Northwind Mutual has issued the policy below.\n\n" + "\n".join(lines) + "\n"
    write(
        "northwind",
        sender="notices@mail.northwind-mutual.example",
        subject=subject,
        text=text,
        label=fields(
            number,
            insured,
            day,
            code,
            "new",
            premium,
            mail_of(insured) if with_contact else None,
            digits if with_contact else None,
        ),
    )


def bluestem() -> None:
    insured, day = person(), eff()
    product, code = rng.choice(
        [("BC-PAUTO", "AUTOP"), ("BC-HOME", "HOME"), ("BC-UMB", "PUMBR"), ("BC-PET", None)]
    )
    number = f"BC-{rng.randrange(10**6, 10**7):07d}"
    premium = round(rng.uniform(200, 2500), 2)
    rows = [
        ("Policy #", number),
        ("Insured", insured),
        ("Coverage Start", fmt_date(day, "iso")),
        ("Product", product),
        ("Annual Premium", money(premium, "dollars")),
    ]
    if rng.random() < 0.5:
        rows.append(("Email on File", mail_of(insured)))
    html = (
        "<p>The following new business has been bound.</p><table>"
        + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        + "</table>"
    )
    label = (
        "quarantine"
        if code is None
        else fields(
            number, insured, day, code, "new", premium, mail_of(insured) if len(rows) == 6 else None
        )
    )
    write(
        "bluestem",
        sender="no-reply@bluestem-casualty.example",
        subject=f"New Business Bound - {insured}",
        html=html,
        label=label,
    )


def granite() -> None:
    insured, (line, code), day = person(), rng.choice(PERSONAL[:3]), eff()
    number = f"GS-{rng.choice(['HO', 'PA', 'RT'])}-{rng.randrange(10**5, 10**6)}"
    premium = round(rng.uniform(500, 2500), 2)
    text = (
        f"Hello,\n\nGood news: policy {number} for {insured} renews on "
        f"{fmt_date(day, 'long')}.\nThe renewal premium is {money(premium, 'dollars')} for your "
        f"{line} coverage.\n"
    )
    write(
        "granite",
        sender="renewals@graniteshield.example",
        subject=rng.choice(["Your policy renews soon", "Renewal notice"]),
        text=text,
        label=fields(number, insured, day, code, "renewal", premium),
    )


def harborline() -> None:
    business, (line, code), day = rng.choice(BUSINESSES), rng.choice(COMMERCIAL), eff()
    number = f"HL-{code}-{rng.randrange(10**4, 10**5)}"
    premium = round(rng.uniform(1500, 15000), 2)
    contact = person()
    shown_phone, digits = phone()
    text = (
        f"This confirms coverage is bound as follows.\n\nCoverage Part: {line}\n"
        f"Inception: {fmt_date(day, 'us')}\nPremium: {money(premium, 'dollars')}\n"
        f"Contact: {contact}\nContact Email: {mail_of(contact)}\nContact Phone: {shown_phone}\n"
    )
    forwarded = rng.random() < 0.25
    subject = f"Binder Confirmation - {number} - {business}"
    write(
        "harborline",
        sender="binders@harborline.example",
        subject=f"Fwd: {subject}" if forwarded else subject,
        text=text,
        # A forwarded binder still states every field: a person reads it, so it is labeled.
        label=fields(number, business, day, code, "new", premium, mail_of(contact), digits),
    )


def agencydesk() -> None:
    insured, day = person(), eff()
    activity, transaction = rng.choice(
        [
            ("New Business", "new"),
            ("Renewal", "renewal"),
            ("Cancellation", "cancellation"),
            ("Rewrite", "rewrite"),
        ]
    )
    lob, code = rng.choice([("PA", "AUTOP"), ("HO", "HOME"), ("PUMB", "PUMBR"), ("GL", "CGL")])
    client = f"C-{rng.randrange(1000, 9999)}"
    number = f"{lob}-{rng.randrange(10**5, 10**6)}"
    premium = round(rng.uniform(300, 4000), 2)
    if code == "CGL":
        insured = rng.choice(BUSINESSES)
    text = (
        f"Activity: {activity}\nClient Code: {client}\nClient Name: {insured}\n"
        f"Policy: {number}\nLOB: {lob}\nEff: {fmt_date(day, 'us')}\n"
        f"Written Premium: {money(premium, 'plain')}\nCarrier: Example Mutual\n"
    )
    write(
        "agencydesk",
        sender="activity@notify.agencydesk.example",
        subject=f"[AgencyDesk] Activity: {activity} entered for {client}",
        text=text,
        label=fields(number, insured, day, code, transaction, premium, client_id=client),
    )


def policyhub() -> None:
    insured, (line, code), day = person(), rng.choice(PERSONAL), eff()
    tx_code, transaction, word = rng.choice(
        [("RWL", "renewal", "Renewal"), ("NBS", "new", "New business")]
    )
    account = f"PH-{rng.randrange(10**4, 10**5)}"
    number = f"{code}-{rng.randrange(10**6, 10**7)}"
    premium = round(rng.uniform(150, 3000), 2)
    parts = [
        ("Transaction Code", tx_code),
        ("Account ID", account),
        ("Account Name", insured),
        ("Policy Number", number),
        ("Line", line),
        ("Term Effective", fmt_date(day, "us")),
        ("Term Premium", money(premium, "dollars")),
    ]
    html = "".join(f"<p><strong>{k}</strong><br>{v}</p>" for k, v in parts)
    write(
        "policyhub",
        sender="updates@policyhub.example",
        subject=f"{word} processed: {insured}",
        html=html,
        label=fields(number, insured, day, code, transaction, premium, client_id=account),
    )


# --- senders nobody wrote a layout for ----------------------------------------------------

CARRIERS = [
    "Summit Ridge Insurance",
    "Old Mill Mutual",
    "Clearwater Indemnity",
    "Pinecrest Assurance",
    "Silver Lake Casualty",
    "Iron Bridge Insurance Co",
]
NUMBER_LABELS = [
    "Policy Number",
    "Policy No.",
    "Policy #",
    "Policy Ref",
    "Policy ID",
    "Contract Number",
]
INSURED_LABELS = [
    "Insured",
    "Named Insured",
    "Policyholder",
    "Insured Name",
    "Customer",
    "Insured Party",
    "Member",
]
DATE_LABELS = [
    "Effective Date",
    "Effective",
    "Policy Period",
    "Coverage Begins",
    "Start of Coverage",
    "Eff. Date",
    "Inception Date",
]
LINE_LABELS = ["Line of Business", "Coverage", "Policy Type", "Product", "Coverage Line", "Plan"]
PREMIUM_LABELS = ["Premium", "Total Premium", "Annual Premium", "Amount Due", "Term Premium"]
KNOWN = {
    "Policy Number",
    "Policy No.",
    "Policy #",
    "Policy ID",
    "Insured",
    "Named Insured",
    "Policyholder",
    "Insured Name",
    "Customer",
    "Effective Date",
    "Effective",
    "Policy Period",
    "Coverage Begins",
    "Eff. Date",
    "Inception Date",
    "Line of Business",
    "Coverage",
    "Policy Type",
    "Product",
    "Premium",
    "Total Premium",
    "Annual Premium",
    "Term Premium",
}
SUBJECTS = {
    "new": [
        "{line} policy issued",
        "New business confirmation",
        "Your {line} policy is bound",
        "Policy issuance notice",
        "Welcome to {carrier}",
        "Bind confirmation",
    ],
    "renewal": [
        "{line} renewal confirmation",
        "Policy renewed",
        "Renewal notice",
        "Your policy has renewed",
    ],
    "cancellation": ["Cancellation notice", "Policy cancelled"],
}


def generic(trap: str | None = None) -> None:
    carrier = rng.choice(CARRIERS)
    domain = carrier.split()[0].lower() + "-" + carrier.split()[1].lower() + ".example"
    transaction = rng.choice(["new", "new", "renewal", "cancellation"])
    commercial = rng.random() < 0.25
    line, code = rng.choice(COMMERCIAL if commercial else PERSONAL)
    insured = rng.choice(BUSINESSES) if commercial else person()
    number = f"{carrier[:2].upper()}{rng.randrange(10**6, 10**8)}"
    day = eff()
    premium = round(rng.uniform(300, 6000), 2)
    labels = {
        "number": rng.choice(NUMBER_LABELS),
        "insured": rng.choice(INSURED_LABELS),
        "date": rng.choice(DATE_LABELS),
        "line": rng.choice(LINE_LABELS),
        "premium": rng.choice(PREMIUM_LABELS),
    }
    date_style = rng.choice(["us", "iso", "long", "short", "euro", "dots", "ordinal"])
    date_text = fmt_date(day, date_style)
    if labels["date"] == "Policy Period":
        date_text = f"{date_text} to {fmt_date(day.replace(year=day.year + 1), date_style)}"
    rows = [
        (labels["number"], number),
        (labels["insured"], insured),
        (labels["date"], date_text),
        (labels["line"], line),
        (labels["premium"], money(premium, rng.choice(["dollars", "plain", "usd", "round"]))),
    ]
    expected: Any = fields(
        number,
        insured,
        day,
        code,
        transaction,
        premium
        if not rows[4][1].endswith(f"{premium:,.0f}") or "." in rows[4][1]
        else float(f"{premium:.0f}"),
    )
    insured_email = None
    if rng.random() < 0.4 and not commercial:
        insured_email = mail_of(insured)
        rows.append(("Email", insured_email))
        expected["email"] = insured_email
    footer = ""
    subject = rng.choice(SUBJECTS[transaction]).format(line=line, carrier=carrier)
    if trap == "second_policy":
        footer = f"\nThis policy replaces prior {labels['number']}: {number[:2]}{rng.randrange(10**6, 10**8)}\n"
        expected = "quarantine"
    elif trap == "no_line":
        rows = [r for r in rows if r[0] != labels["line"]]
        subject = rng.choice(["Policy issued", "Confirmation", "Renewal confirmation"])
        expected = "quarantine"
    elif trap == "no_insured":
        rows = [r for r in rows if r[0] != labels["insured"]]
        expected = "quarantine"
    elif trap == "payment":
        subject = rng.choice(
            ["Payment received - thank you", "Renewal payment received", "Your payment was applied"]
        )
        footer = "\nWe received your payment. This is not a policy change.\n"
        expected = "quarantine"
    elif trap == "two_dates":
        rows.append(
            (
                "Effective Date" if labels["date"] != "Effective Date" else "Effective",
                fmt_date(day + timedelta(days=30), "us"),
            )
        )
        expected = "quarantine"
    elif trap == "service_desk":
        footer = (
            f"\nQuestions? Email: service@{domain}\nPhone: 1-800-555-01{rng.randrange(10, 99)}\n"
        )
    elif trap == "unknown_line":
        rows = [(k, "Pet Health" if k == labels["line"] else v) for k, v in rows]
        subject = subject.replace(line, "Pet Health")
        expected = "quarantine"
    style = rng.choice(["plain", "plain", "html_table", "html_para"])
    intro = rng.choice(
        [
            "Dear agent,",
            "Hello,",
            "Please see the details below.",
            f"{carrier} confirms the following transaction.",
        ]
    )
    if style == "plain":
        sep = rng.choice([": ", ":\t", ":   "])
        text = intro + "\n\n" + "\n".join(f"{k}{sep}{v}" for k, v in rows) + "\n" + footer
        write(
            "generic",
            sender=f"{carrier} <service@{domain}>",
            subject=subject,
            text=text,
            label=expected,
        )
    else:
        if style == "html_table":
            body = (
                "<table>"
                + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
                + "</table>"
            )
        else:
            body = "".join(f"<p><b>{k}:</b> {v}</p>" for k, v in rows)
        html = f"<html><body><p>{intro}</p>{body}<p>{footer}</p></body></html>"
        write(
            "generic",
            sender=f"{carrier} <service@{domain}>",
            subject=subject,
            html=html,
            label=expected,
        )


def marketing() -> None:
    subject = rng.choice(
        [
            "Winter driving tips",
            "Quarterly agent newsletter",
            "Your commission statement is ready",
            "Webinar: cyber risk",
        ]
    )
    text = rng.choice(
        [
            "Join us for a webinar on cyber liability next Tuesday.\n",
            "Your commission statement for November is available in the portal.\n",
            "Tips: keep an emergency kit in your car; check tire pressure monthly.\n",
        ]
    )
    write(
        "other",
        sender=f"news@{rng.choice(['summit-ridge', 'old-mill'])}.example",
        subject=subject,
        text=text,
        label="quarantine",
    )


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for old in HERE.glob("*"):
        old.unlink()
    for make, times in (
        (northwind, 7),
        (bluestem, 7),
        (granite, 6),
        (harborline, 6),
        (agencydesk, 7),
        (policyhub, 6),
    ):
        for _ in range(times):
            make()
    for _ in range(28):
        generic()
    for trap in (
        "second_policy",
        "no_line",
        "no_insured",
        "payment",
        "two_dates",
        "service_desk",
        "unknown_line",
    ):
        for _ in range(3):
            generic(trap)
    for _ in range(5):
        marketing()
    (HERE / "labels.json").write_text(json.dumps(LABELS, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
