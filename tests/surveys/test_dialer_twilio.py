"""The dialer through Twilio's REST API (the local stand-in holding every request to
Twilio's OpenAPI description of ``CreateCall``), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from ivr.dialer.services import Dialer
from ivr.outbound.pacing import Pacer
from ivr.outbound.twilio_rest import TwilioProvider
from models.db import session_factory
from models.outbound import AttemptOutcome, JobPurpose, JobStatus, OutboundAttempt, OutboundJob
from tests.outbound.conftest import CALLER_ID, PUBLIC, provider, standin, twilio_spec
from tests.outbound.twilio_rest import TwilioRestStandIn, error_body
from tests.surveys.dialing import NOW, add_jobs, community
from tests.twilio.peer import ACCOUNT

__all__ = ["provider", "standin", "twilio_spec"]  # the stand-in's fixtures, used here

CALLS = f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"


@pytest.mark.parametrize(
    "purpose",
    [JobPurpose.SURVEY, JobPurpose.NOTICE, JobPurpose.FEE_REMINDER, JobPurpose.SENIOR_CARE],
)
def test_calls_create_carries_the_answer_webhook_status_callback_and_machine_detection(
    engine: Engine, provider: TwilioProvider, standin: TwilioRestStandIn, purpose: JobPurpose
) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        [job_id] = add_jobs(session, community(session), 1, purpose=purpose)
    dialer = Dialer(sessions=sessions, provider=provider, pacer=Pacer(100.0), clock=lambda: NOW)

    [claimed] = dialer.run_once()

    [request] = standin.requests
    assert (request.method, request.path, request.status, request.problems) == (
        "POST", CALLS, 201, ()
    )  # fmt: skip
    query = f"correlation_id=attempt-{claimed.attempt_id}&purpose={purpose.value}"
    assert request.form["To"] == ["+8613800000000"] and request.form["From"] == [CALLER_ID]
    assert request.form["Url"] == [f"{PUBLIC}/twilio/outbound/answer?{query}"]
    assert request.form["StatusCallback"] == [f"{PUBLIC}/twilio/outbound/status?{query}"]
    assert request.form["MachineDetection"] == ["Enable"]
    [call] = standin.calls
    with sessions() as session:
        attempt = session.get_one(OutboundAttempt, claimed.attempt_id)
        assert attempt.provider_call_id == call["sid"] and attempt.placed_at == NOW
        assert session.get_one(OutboundJob, job_id).status is JobStatus.CALLING


def test_a_number_twilio_refuses_ends_the_attempt_failed(
    engine: Engine, provider: TwilioProvider, standin: TwilioRestStandIn
) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        [job_id] = add_jobs(session, community(session), 1)
    standin.answer_next(400, error_body(400, 21211, "The 'To' number is not a valid phone number."))
    dialer = Dialer(sessions=sessions, provider=provider, pacer=Pacer(100.0), clock=lambda: NOW)

    dialer.run_once()

    with sessions() as session:
        attempt = session.scalars(select(OutboundAttempt)).one()
        job = session.get_one(OutboundJob, job_id)
        assert attempt.outcome is AttemptOutcome.FAILED and attempt.provider_call_id is None
        assert job.status is JobStatus.SCHEDULED and job.attempts == 1
    [request] = standin.requests
    assert (request.status, request.problems) == (400, ())  # a valid request, refused
