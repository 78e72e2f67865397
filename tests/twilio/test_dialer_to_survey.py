"""One survey from end to end, over Twilio: a work order completed, its survey scheduled by
the policy, claimed and placed by the dialer through Twilio's REST API (the local stand-in
holding every request to Twilio's OpenAPI description), then answered on the webhooks at
exactly the URLs the dialer gave Twilio, and closed by Twilio's status callbacks.

No fixture hands one part to the next: what Twilio is asked to request is what is requested.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dialer.services import Dialer
from ivr.outbound.pacing import Pacer
from ivr.outbound.twilio_rest import TwilioProvider
from ivr.twilio import outbound
from models import Call
from models.db import session_factory
from models.outbound import (
    AttemptOutcome,
    FollowUpTask,
    JobStatus,
    OutboundAttempt,
    OutboundJob,
    SurveyResponse,
)
from models.work_orders import Status, WorkOrder
from tests.outbound.conftest import PUBLIC, provider, standin, twilio_spec
from tests.outbound.twilio_rest import TwilioRestStandIn
from tests.surveys.outbound_estate import DONE_TODAY as DONE
from tests.surveys.outbound_estate import RESIDENT, completed_repair
from tests.twilio.peer import PhoneCall, Twilio

__all__ = ["provider", "standin", "twilio_spec"]  # the stand-in's fixtures, used here


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(DONE)


@pytest.fixture
def webhooks(app: Flask, engine: Engine, clock: Clock) -> Twilio:
    """Twilio, requesting the public URLs the dialer gave it (the app sees the same origin)."""
    app.extensions[outbound.EXTENSION] = outbound.OutboundWebhooks(
        session_factory(engine), clock=clock
    )
    return Twilio(app, app.test_client(), public=PUBLIC)


def placed_by_the_dialer(
    engine: Engine, provider: TwilioProvider, standin: TwilioRestStandIn, clock: Clock
) -> tuple[str, str, str]:
    """The dialer's round (the survey is due once the work is done, within calling hours);
    the call Twilio was asked for: its sid, answer URL and status URL."""
    dialer = Dialer(
        sessions=session_factory(engine), provider=provider, pacer=Pacer(100.0), clock=clock
    )
    with Session(engine) as s:
        job = s.scalars(select(OutboundJob)).one()
        assert (job.status, job.due_from, job.next_attempt_at) == (JobStatus.SCHEDULED, DONE, DONE)
    [claimed] = dialer.run_once()
    [request] = standin.requests
    assert (request.status, request.problems) == (201, ())
    assert request.form["To"] == [RESIDENT]
    [call] = standin.calls
    assert claimed.correlation_id in request.form["Url"][0]
    return call["sid"], request.form["Url"][0], request.form["StatusCallback"][0]


def answered(webhooks: Twilio, sid: str, url: str, form: dict[str, str]) -> PhoneCall:
    """Twilio requests the answer URL once the resident picks up (a person, per AMD)."""
    phone = PhoneCall(webhooks, form | {"CallSid": sid, "CallStatus": "in-progress"})
    return phone.answer(webhooks.twiml(url, phone.form))


def call_form(standin: TwilioRestStandIn, sid: str) -> dict[str, str]:
    """The parameters Twilio sends with the call's webhooks, from the call it holds."""
    [call] = [c for c in standin.calls if c["sid"] == sid]
    return {
        "AccountSid": call["account_sid"],
        "CallSid": sid,
        "From": call["from"],
        "To": call["to"],
        "Direction": "outbound-api",
        "ApiVersion": "2010-04-01",
        "AnsweredBy": "human",
    }


def test_a_completed_repair_is_surveyed_end_to_end_over_twilio(
    engine: Engine,
    provider: TwilioProvider,
    standin: TwilioRestStandIn,
    webhooks: Twilio,
    clock: Clock,
) -> None:
    order_id = completed_repair(engine)
    sid, answer_url, status_url = placed_by_the_dialer(engine, provider, standin, clock)
    assert urlsplit(answer_url).netloc == urlsplit(PUBLIC).netloc
    form = call_form(standin, sid)

    phone = answered(webhooks, sid, answer_url, form)
    phone.press("5").press("4").press("2").press("2")  # timeliness, skill, attitude, not solved
    phone.say_nothing_at_the_beep()  # no comment
    assert phone.tags()[-1] == "Hangup"
    done = webhooks.post(status_url, form | {"CallStatus": "completed", "CallDuration": "52"})
    assert done.status_code == 204

    with Session(engine) as s:
        job = s.scalars(select(OutboundJob)).one()
        attempt = s.scalars(select(OutboundAttempt)).one()
        answers = s.scalars(select(SurveyResponse)).one()
        call = s.get_one(Call, attempt.call_id)
        order = s.get_one(WorkOrder, order_id)
        tasks = list(s.scalars(select(FollowUpTask)))
        assert (job.work_order_id, job.status) == (order_id, JobStatus.COMPLETED)
        assert (attempt.outcome, attempt.provider_call_id) == (AttemptOutcome.COMPLETED, sid)
        assert (answers.timeliness, answers.skill, answers.attitude, answers.solved) == (
            5, 4, 2, False
        )  # fmt: skip
        assert (call.provider_call_id, call.disposition) == (sid, "completed")
        # A score of 2 and "not solved": a supervisor's follow-up, and the work reopened.
        assert [t.work_order_id for t in tasks] == [order_id]
        assert order.status is Status.OPEN and order.rework_count == 1


def test_a_busy_resident_is_called_again_by_the_next_round_not_the_same_attempt(
    engine: Engine,
    provider: TwilioProvider,
    standin: TwilioRestStandIn,
    webhooks: Twilio,
    clock: Clock,
) -> None:
    completed_repair(engine)
    sid, _, status_url = placed_by_the_dialer(engine, provider, standin, clock)
    form = call_form(standin, sid)
    busy = webhooks.post(status_url, form | {"CallStatus": "busy", "CallDuration": "0"})
    assert busy.status_code == 204
    again = webhooks.post(status_url, form | {"CallStatus": "busy", "CallDuration": "0"})
    assert again.status_code == 204  # Twilio retries callbacks: nothing changes twice

    with Session(engine) as s:
        job = s.scalars(select(OutboundJob)).one()
        [attempt] = s.scalars(select(OutboundAttempt))
        assert attempt.outcome is AttemptOutcome.BUSY
        assert (job.status, job.attempts) == (JobStatus.SCHEDULED, 1)
        retry_at = job.next_attempt_at
    dialer = Dialer(
        sessions=session_factory(engine), provider=provider, pacer=Pacer(100.0), clock=clock
    )
    assert dialer.run_once() == []  # spaced: not at once
    clock.now = retry_at
    [second] = dialer.run_once()
    assert second.seq == 2 and len(standin.calls) == 2
    query = parse_qs(urlsplit(standin.requests[-1].form["Url"][0]).query)
    assert query["correlation_id"] == [second.correlation_id]
