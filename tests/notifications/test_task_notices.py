"""A task given to a person tells them: a hot SMS reply (through the real Twilio webhook)
emails its producer once, texts them where they said yes, waits out their quiet night;
a reassigned or escalated task tells the new person."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from referral_engine import clock
from referral_engine.db import unit_of_work
from referral_engine.delivery.messages import send_queued
from referral_engine.tasks import service as tasks
from referral_engine.tasks.models import Task
from referral_engine.users.models import User
from tests.agency import AGENCY_NUMBER, PUBLIC_URL, Agency, bind
from tests.conftest import at
from tests.notifications.support import (
    PRINCIPAL,
    PRODUCER,
    SAM_MOBILE,
    add_person,
    emails_to,
    notices,
    set_person,
)
from tests.smtp_server import SmtpServer
from tests.twilio_double import TwilioDouble

SENT = "2026-12-01T16:00:00Z"  # Tuesday 10:00 in Chicago: the ask goes out
REPLIED = "2026-12-01T17:30:00Z"  # 11:30
NIGHT = "2026-12-02T04:00:00Z"  # Tuesday 22:00
HOT = "Yes! My neighbor Maria Lopez just bought a house, 312-555-0142"


@pytest.fixture
def asked(wired: Agency) -> Agency:
    """Dana was asked by text on Tuesday; Sam Ortiz is her producer."""
    agency = wired
    agency.feed(bind(), now="2026-11-25T22:00:00Z")
    agency.tick("2026-11-25T23:00:00Z")
    agency.tick(SENT)
    assert agency.only_ask()["status"] == "sent"
    return agency


def text_in(agency: Agency, twilio: TwilioDouble, body: str, *, now: str, sid: str = "") -> Any:
    params = {
        "MessageSid": sid or "SM" + "1" * 32,
        "From": "+13125550123",
        "To": AGENCY_NUMBER,
        "Body": body,
    }
    url = f"{PUBLIC_URL}/hooks/twilio/sms"
    signature = RequestValidator(twilio.auth_token).compute_signature(url, params)
    with clock.frozen(at(now)):
        response = agency.api.post(
            "/hooks/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert response.status_code == 200, response.text
    return response


def hot_task(url: str) -> Task:
    with unit_of_work(url) as session:
        task = session.scalars(select(Task).where(Task.priority == "hot")).one()
        session.expunge(task)
        return task


def test_a_hot_sms_reply_emails_its_producer_exactly_once(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    text_in(asked, twilio_double, HOT, now=REPLIED)
    asked.tick("2026-12-01T17:31:00Z")
    [email] = emails_to(smtp_server.messages, PRODUCER)
    task = hot_task(asked.url)
    assert email["Subject"].startswith("Hot task: Hot reply from Dana Reyes")
    assert email["Auto-Submitted"] == "auto-generated"
    body = email.get_content()
    assert f"{PUBLIC_URL}/tasks#task-{task.id}" in body
    assert "Maria" in body and "Due Tue 1 Dec 15:30 CST" in body
    # The sender runs again, the same text is delivered again, the task is routed again.
    send_queued(asked.url, now=at("2026-12-01T17:32:00Z"))
    text_in(asked, twilio_double, HOT, now="2026-12-01T17:33:00Z")
    with unit_of_work(asked.url) as session:
        again = tasks.create(
            session,
            key=task.key,
            kind=task.kind,
            title=task.title,
            detail="",
            now=at("2026-12-01T17:34:00Z"),
            assignee_id=task.assignee_id,
        )
        assert again.id == task.id
    asked.tick("2026-12-01T17:35:00Z")
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1
    [notice] = notices(asked.url, kind="task_assigned")
    assert notice.status == "sent" and notice.client_id is None
    assert notice.dedupe_key == f"task:{task.id}:assigned:{task.assignee_id}:email"
    assert not [m for m in twilio_double.messages if m["to"] == SAM_MOBILE]


def test_a_producer_who_gave_a_mobile_and_said_yes_is_texted_too(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    set_person(asked.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=True)
    text_in(asked, twilio_double, HOT, now=REPLIED)
    asked.tick("2026-12-01T17:31:00Z")
    asked.tick("2026-12-01T17:40:00Z")
    [text] = [m for m in twilio_double.messages if m["to"] == SAM_MOBILE]
    task = hot_task(asked.url)
    assert text["body"].startswith("Hot task: Hot reply from Dana Reyes")
    assert text["body"].endswith(f"{PUBLIC_URL}/tasks#task-{task.id}")
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1


def test_a_mobile_without_consent_gets_no_text(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    set_person(asked.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=False)
    text_in(asked, twilio_double, HOT, now=REPLIED)
    asked.tick("2026-12-01T17:31:00Z")
    assert not [m for m in twilio_double.messages if m["to"] == SAM_MOBILE]
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1


def test_email_turned_off_sends_no_email(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    set_person(asked.url, PRODUCER, notify_email=False)
    text_in(asked, twilio_double, HOT, now=REPLIED)
    asked.tick("2026-12-01T17:31:00Z")
    assert emails_to(smtp_server.messages, PRODUCER) == []
    assert notices(asked.url, kind="task_assigned") == []


def test_a_hot_reply_at_night_is_told_at_once(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    set_person(asked.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=True)
    text_in(asked, twilio_double, HOT, now=NIGHT)
    asked.tick("2026-12-02T04:01:00Z")
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1
    assert len([m for m in twilio_double.messages if m["to"] == SAM_MOBILE]) == 1


def test_quiet_nights_hold_the_email_and_the_text_until_seven(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    set_person(asked.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=True, quiet_nights=True)
    text_in(asked, twilio_double, HOT, now=NIGHT)
    asked.tick("2026-12-02T04:01:00Z")
    asked.tick("2026-12-02T12:59:00Z")  # 06:59
    assert emails_to(smtp_server.messages, PRODUCER) == []
    assert not [m for m in twilio_double.messages if m["to"] == SAM_MOBILE]
    asked.tick("2026-12-02T13:00:00Z")  # 07:00 in Chicago
    asked.tick("2026-12-02T13:05:00Z")
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1
    assert len([m for m in twilio_double.messages if m["to"] == SAM_MOBILE]) == 1
    assert {n.send_after for n in notices(asked.url)} == {at("2026-12-02T13:00:00Z")}


def test_a_reassigned_task_tells_its_new_assignee_once(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    text_in(asked, twilio_double, HOT, now=REPLIED)
    csr = add_person(asked.url, "riley@agency.example", role="csr", name="Riley", now=at(REPLIED))
    task = hot_task(asked.url)
    for minute in (40, 45):  # the second time it is already theirs
        with unit_of_work(asked.url) as session:
            stored = session.get(Task, task.id)
            person = session.get(User, csr)
            assert stored is not None and person is not None
            tasks.reassign(
                session, task=stored, assignee=person, now=at(f"2026-12-01T17:{minute}:00Z")
            )
        asked.tick(f"2026-12-01T17:{minute + 1}:00Z")
    [email] = emails_to(smtp_server.messages, "riley@agency.example")
    assert email["Subject"].startswith("Hot task:")
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1


def test_an_escalated_task_tells_the_principal_once(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    text_in(asked, twilio_double, HOT, now=REPLIED)
    asked.tick("2026-12-01T21:00:00Z")  # due 21:30 UTC: not yet
    assert emails_to(smtp_server.messages, PRINCIPAL) == []
    asked.tick("2026-12-01T21:31:00Z")
    asked.tick("2026-12-01T21:40:00Z")
    [email] = emails_to(smtp_server.messages, PRINCIPAL)
    task = hot_task(asked.url)
    assert email["Subject"].startswith("Escalated to you: Hot reply from Dana Reyes")
    body = email.get_content()
    assert "assigned to Sam Ortiz" in body and f"/tasks#task-{task.id}" in body
    [notice] = notices(asked.url, kind="task_escalated")
    assert notice.dedupe_key == f"task:{task.id}:escalated:{notice.user_id}:email"


def test_the_messages_api_lists_notifications_to_staff_apart(
    asked: Agency, twilio_double: TwilioDouble
) -> None:
    text_in(asked, twilio_double, HOT, now=REPLIED)
    asked.tick("2026-12-01T17:31:00Z")
    to_clients = asked.api.get("/api/v1/messages").json()
    assert to_clients and all(m["user_id"] is None for m in to_clients)
    [notice] = asked.api.get("/api/v1/messages", params={"recipient": "staff"}).json()
    assert notice["kind"] == "task_assigned" and notice["to"] == PRODUCER
    assert notice["status"] == "sent" and notice["user_id"] is not None
    every = asked.api.get("/api/v1/messages", params={"recipient": "all"}).json()
    assert len(every) == len(to_clients) + 1
    wrong = asked.api.get("/api/v1/messages", params={"recipient": "everyone"})
    assert wrong.status_code == 422


def test_a_staff_mobile_the_carrier_reports_opted_out_gets_no_more_texts(
    asked: Agency, smtp_server: SmtpServer, twilio_double: TwilioDouble
) -> None:
    set_person(asked.url, PRODUCER, mobile=SAM_MOBILE, notify_sms=True)
    text_in(asked, twilio_double, HOT, now=REPLIED)
    twilio_double.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    asked.tick("2026-12-01T17:31:00Z")
    [text] = notices(asked.url, kind="task_assigned", channel="sms")
    assert text.status == "failed" and text.error_code == "21610"
    with unit_of_work(asked.url) as session:
        sam = session.scalars(select(User).where(User.email == PRODUCER)).one()
        assert sam.notify_sms is False and sam.mobile == SAM_MOBILE
    assert len(emails_to(smtp_server.messages, PRODUCER)) == 1
