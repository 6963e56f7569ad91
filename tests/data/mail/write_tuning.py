"""Writes the hand-made tuning emails (fake people, invented carriers, example domains).

These are the emails the layouts and the general extractor were written against; the
held-out set (``heldout/``, made by ``generate_heldout.py``) was not looked at while
writing rules. Run from the repository root: ``python3 tests/data/mail/write_tuning.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).parent / "tuning"
SENT = datetime(2026, 11, 30, 15, 5, tzinfo=UTC)


def email(name: str, *, sender: str, subject: str, text: str = "", html: str = "") -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@agency.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(SENT)
    message["Message-ID"] = f"<{name}@mail.example>"
    if text:
        message.set_content(text)
    if html:
        if text:
            message.add_alternative(html, subtype="html")
        else:
            message.set_content(html, subtype="html")
    (HERE / f"{name}.eml").write_bytes(bytes(message))


LABELS: dict[str, object] = {}


def expect(name: str, value: object) -> None:
    LABELS[name] = value


email(
    "northwind-auto",
    sender="Northwind Mutual Notices <notices@mail.northwind-mutual.example>",
    subject="Policy Issued: NWM-PA-2261904",
    text="""Northwind Mutual has issued the policy below for your agency.

Policy Number: NWM-PA-2261904
Named Insured: Dana Reyes
Effective Date: 12/01/2026
Line of Coverage: Personal Auto
Total Term Premium: $1,820.00
Insured Email: dana.reyes@example.com
Insured Phone: (312) 555-0123
Agent of Record: Sam Ortiz

Documents are available in the agent portal.
""",
)
expect(
    "northwind-auto",
    {
        "policy_number": "NWM-PA-2261904",
        "insured_name": "Dana Reyes",
        "effective_date": "2026-12-01",
        "line_of_business": "AUTOP",
        "transaction": "new",
        "premium": 1820.0,
        "email": "dana.reyes@example.com",
        "phone": "3125550123",
    },
)

email(
    "northwind-home-no-contact",
    sender="notices@mail.northwind-mutual.example",
    subject="Policy Issued: NWM-HO-7712035",
    text="""Policy Number:   NWM-HO-7712035
Named Insured:   Priya Natarajan
Effective Date:  01/15/2027
Line of Coverage: Homeowners
Total Term Premium: $2,145.50
""",
)
expect(
    "northwind-home-no-contact",
    {
        "policy_number": "NWM-HO-7712035",
        "insured_name": "Priya Natarajan",
        "effective_date": "2027-01-15",
        "line_of_business": "HOME",
        "transaction": "new",
        "premium": 2145.5,
    },
)

email(
    "bluestem-html",
    sender="Bluestem Casualty <no-reply@bluestem-casualty.example>",
    subject="New Business Bound - Marcus Webb",
    html="""<html><body><p>The following new business has been bound.</p>
<table>
<tr><td>Policy #</td><td>BC-0093318</td></tr>
<tr><td>Insured</td><td>Marcus Webb</td></tr>
<tr><td>Coverage Start</td><td>2026-12-04</td></tr>
<tr><td>Product</td><td>BC-HOME</td></tr>
<tr><td>Annual Premium</td><td>$1,204.00</td></tr>
<tr><td>Email on File</td><td>marcus.webb@example.net</td></tr>
</table><p>Thank you for your business.</p></body></html>""",
)
expect(
    "bluestem-html",
    {
        "policy_number": "BC-0093318",
        "insured_name": "Marcus Webb",
        "effective_date": "2026-12-04",
        "line_of_business": "HOME",
        "transaction": "new",
        "premium": 1204.0,
        "email": "marcus.webb@example.net",
    },
)

email(
    "granite-renewal",
    sender="Granite Shield Insurance <renewals@graniteshield.example>",
    subject="Your policy renews soon",
    text="""Hello,

Good news: policy GS-HO-448812 for Maria Chen renews on January 15, 2027.
The renewal premium is $1,432.00 for your Homeowners coverage.
We will email maria.chen@example.org the new declarations.

Granite Shield Insurance
""",
)
expect(
    "granite-renewal",
    {
        "policy_number": "GS-HO-448812",
        "insured_name": "Maria Chen",
        "effective_date": "2027-01-15",
        "line_of_business": "HOME",
        "transaction": "renewal",
        "premium": 1432.0,
        "email": "maria.chen@example.org",
    },
)

email(
    "harborline-cgl",
    sender="Harborline Specialty Underwriting <binders@harborline.example>",
    subject="Binder Confirmation - HL-CGL-22910 - Lakeview Bakery LLC",
    text="""This confirms coverage is bound as follows.

Coverage Part: General Liability
Inception: 12/01/2026
Premium: $3,980.00
Contact: Ana Lopez
Contact Email: ana@lakeviewbakery.example
Contact Phone: 312-555-0188
""",
)
expect(
    "harborline-cgl",
    {
        "policy_number": "HL-CGL-22910",
        "insured_name": "Lakeview Bakery LLC",
        "effective_date": "2026-12-01",
        "line_of_business": "CGL",
        "transaction": "new",
        "premium": 3980.0,
        "email": "ana@lakeviewbakery.example",
        "phone": "3125550188",
    },
)

email(
    "agencydesk-new",
    sender="AgencyDesk <activity@notify.agencydesk.example>",
    subject="[AgencyDesk] Activity: New Business entered for C-2291",
    text="""Activity: New Business
Client Code: C-2291
Client Name: Jordan Ellis
Client Email: jordan.ellis@example.com
Client Mobile: 312-555-0142
Policy: PA-778812
LOB: PA
Eff: 12/01/2026
Written Premium: 1,640.00
Carrier: Example Mutual
Producer: Sam Ortiz
Producer Email: sam@agency.example
""",
)
expect(
    "agencydesk-new",
    {
        "policy_number": "PA-778812",
        "insured_name": "Jordan Ellis",
        "effective_date": "2026-12-01",
        "line_of_business": "AUTOP",
        "transaction": "new",
        "premium": 1640.0,
        "email": "jordan.ellis@example.com",
        "phone": "3125550142",
        "client_id": "C-2291",
    },
)

email(
    "agencydesk-renewal",
    sender="activity@notify.agencydesk.example",
    subject="[AgencyDesk] Activity: Renewal entered for C-1044",
    text="""Activity: Renewal
Client Code: C-1044
Client Name: Ruth Okafor
Policy: HO-55120
LOB: HO
Eff: 01/02/2027
Written Premium: 988.00
Carrier: Example Mutual
""",
)
expect(
    "agencydesk-renewal",
    {
        "policy_number": "HO-55120",
        "insured_name": "Ruth Okafor",
        "effective_date": "2027-01-02",
        "line_of_business": "HOME",
        "transaction": "renewal",
        "premium": 988.0,
        "client_id": "C-1044",
    },
)

email(
    "policyhub-renewal",
    sender="PolicyHub <updates@policyhub.example>",
    subject="Renewal processed: Tomasz Nowak",
    html="""<html><body>
<p><strong>Transaction Code</strong><br>RWL</p>
<p><strong>Account ID</strong><br>PH-40077</p>
<p><strong>Account Name</strong><br>Tomasz Nowak</p>
<p><strong>Primary Email</strong><br>tomasz.nowak@example.com</p>
<p><strong>Policy Number</strong><br>UMB-3302145</p>
<p><strong>Line</strong><br>Personal Umbrella</p>
<p><strong>Term Effective</strong><br>02/01/2027</p>
<p><strong>Term Premium</strong><br>$415.00</p>
<p><strong>Writing Carrier</strong><br>Example Mutual</p>
</body></html>""",
)
expect(
    "policyhub-renewal",
    {
        "policy_number": "UMB-3302145",
        "insured_name": "Tomasz Nowak",
        "effective_date": "2027-02-01",
        "line_of_business": "PUMBR",
        "transaction": "renewal",
        "premium": 415.0,
        "email": "tomasz.nowak@example.com",
        "client_id": "PH-40077",
    },
)

email(
    "general-issued",
    sender="Service Center <service@lakeshore-underwriters.example>",
    subject="Homeowners policy issued",
    text="""Dear agent,

The homeowners policy for your client has been issued.

Policy No.: LU-HO-100245
Insured: Grace Kim
Effective: 12/10/2026
Premium: $1,115.00
Email: grace.kim@example.com
""",
)
expect(
    "general-issued",
    {
        "policy_number": "LU-HO-100245",
        "insured_name": "Grace Kim",
        "effective_date": "2026-12-10",
        "line_of_business": "HOME",
        "transaction": "new",
        "premium": 1115.0,
        "email": "grace.kim@example.com",
    },
)

email(
    "general-renewal-html",
    sender="Renewals <renewals@meadowbrook-assurance.example>",
    subject="Renewal confirmation",
    html="""<table>
<tr><th>Policyholder</th><td>Luis Ortega</td></tr>
<tr><th>Policy Number</th><td>MBA-774411</td></tr>
<tr><th>Line of Business</th><td>Personal Auto</td></tr>
<tr><th>Policy Period</th><td>12/15/2026 - 06/15/2027</td></tr>
<tr><th>Renewal Premium</th><td>$702.40</td></tr>
<tr><th>Phone</th><td>(773) 555-0199</td></tr>
</table>""",
)
expect(
    "general-renewal-html",
    {
        "policy_number": "MBA-774411",
        "insured_name": "Luis Ortega",
        "effective_date": "2026-12-15",
        "line_of_business": "AUTOP",
        "transaction": "renewal",
        "premium": 702.4,
        "phone": "7735550199",
    },
)

email(
    "general-two-policies",
    sender="service@lakeshore-underwriters.example",
    subject="Auto policy issued (rewrite)",
    text="""Policy Number: LU-PA-300871
Insured: Kevin Brandt
Effective Date: 12/01/2026
Line of Business: Personal Auto
This policy replaces Policy Number: LU-PA-200114.
""",
)
expect("general-two-policies", "quarantine")

email(
    "general-no-date",
    sender="service@lakeshore-underwriters.example",
    subject="Your auto policy is bound",
    text="""Policy Number: LU-PA-300999
Insured: Olivia Grant
Coverage: Personal Auto
Premium: $990.00
""",
)
expect("general-no-date", "quarantine")

email(
    "general-newsletter",
    sender="news@agency-marketing.example",
    subject="December newsletter",
    text="Tips for winter driving and a reminder to review your coverage.\n",
)
expect("general-newsletter", "quarantine")

(HERE / "labels.json").write_text(json.dumps(LABELS, indent=2, sort_keys=True) + "\n")
