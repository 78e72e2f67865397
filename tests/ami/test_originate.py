"""The dialer's Asterisk provider: AMI Originate into the survey context, and its outcome."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from ivr.ami.settings import parse_ami_url
from ivr.dialer.asterisk import AsteriskProvider, outcome_of
from ivr.dialer.services import Dialer
from ivr.outbound.calls import OutboundCall, Purpose
from ivr.outbound.exceptions import CallRejected, ProviderUnavailable
from ivr.outbound.pacing import Pacer
from models.db import session_factory
from models.outbound import AttemptOutcome, JobStatus, OutboundAttempt, OutboundJob
from tests.ami.peer import FakeAsterisk
from tests.surveys.dialing import NOW, add_jobs, community

CHANNEL = "PJSIP/{digits}@carrier"


class Outcomes:
    """What the provider reported, waited for from the test's thread."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, AttemptOutcome]] = []
        self._cond = threading.Condition()

    def __call__(self, correlation_id: str, outcome: AttemptOutcome) -> None:
        with self._cond:
            self.seen.append((correlation_id, outcome))
            self._cond.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> list[tuple[str, AttemptOutcome]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.seen) >= n, timeout), self.seen
            return list(self.seen)


@pytest.fixture
def asterisk() -> Iterator[FakeAsterisk]:
    with FakeAsterisk() as fake:
        yield fake


def _provider(fake: FakeAsterisk, outcomes: Outcomes) -> AsteriskProvider:
    return AsteriskProvider(
        parse_ami_url(fake.url),
        channel=CHANNEL,
        context="hotline-survey",
        caller_id="+862160000001",
        on_outcome=outcomes,
    )


def _call(number: str = "+8613800138000", attempt: int = 12) -> OutboundCall:
    return OutboundCall(
        to=number,
        purpose=Purpose.SURVEY,
        answer_path="/twilio/outbound/answer",
        correlation_id=f"attempt-{attempt}",
    )


def test_originate_names_the_channel_the_context_and_the_attempt(asterisk: FakeAsterisk) -> None:
    outcomes = Outcomes()
    provider = _provider(asterisk, outcomes)
    try:
        placed = provider.place(_call())
    finally:
        provider.close()

    [originate] = [a for a in asterisk.actions if a["Action"] == "Originate"]
    assert originate == {
        "Action": "Originate",
        "ActionID": "attempt-12",
        "Channel": "PJSIP/8613800138000@carrier",
        "Context": "hotline-survey",
        "Exten": "s",
        "Priority": "1",
        "Timeout": "30000",
        "Variable": "HOTLINE_ATTEMPT_ID=12",
        "ChannelId": placed.provider_call_id,
        "Async": "true",
        "CallerID": "<+862160000001>",
    }
    assert placed.provider_call_id.startswith("hotline-") and placed.status == "queued"
    assert outcomes.seen == []  # answered: the survey's AGI reports the rest


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [
        (0, AttemptOutcome.FAILED),
        (1, AttemptOutcome.NO_ANSWER),
        (3, AttemptOutcome.NO_ANSWER),
        (5, AttemptOutcome.BUSY),
        (8, AttemptOutcome.FAILED),
    ],
)
def test_an_originate_that_fails_reports_its_reason_as_the_outcome(
    asterisk: FakeAsterisk, reason: int, outcome: AttemptOutcome
) -> None:
    asterisk.originate_results["PJSIP/8613800138000@carrier"] = ("Failure", reason)
    outcomes = Outcomes()
    provider = _provider(asterisk, outcomes)
    try:
        provider.place(_call())
        assert outcomes.wait(1) == [("attempt-12", outcome)]
    finally:
        provider.close()


def test_reasons_asterisk_does_not_document_are_failures() -> None:
    assert outcome_of("42") is AttemptOutcome.FAILED
    assert outcome_of("") is AttemptOutcome.FAILED


def test_another_dialers_originate_response_is_ignored(asterisk: FakeAsterisk) -> None:
    outcomes = Outcomes()
    provider = _provider(asterisk, outcomes)
    try:
        provider.place(_call())  # opens the session
        asterisk.emit(
            [
                ("Event", "OriginateResponse"),
                ("ActionID", "attempt-99"),
                ("Response", "Failure"),
                ("Reason", "5"),
            ]
        )
        asterisk.originate_results["PJSIP/8613900000000@carrier"] = ("Failure", 5)
        provider.place(_call("+8613900000000", attempt=13))
        assert outcomes.wait(1) == [("attempt-13", AttemptOutcome.BUSY)]
    finally:
        provider.close()


def test_refusals_and_an_unreachable_asterisk_are_the_providers_errors(
    asterisk: FakeAsterisk,
) -> None:
    outcomes = Outcomes()
    provider = AsteriskProvider(
        parse_ami_url(asterisk.url), channel="", context="s", on_outcome=outcomes
    )
    try:
        with pytest.raises(CallRejected, match="Channel not specified"):
            provider.place(_call())
    finally:
        provider.close()
    gone = parse_ami_url(asterisk.url)
    asterisk.close()
    unreachable = AsteriskProvider(
        gone, channel=CHANNEL, context="s", on_outcome=outcomes, connect_timeout=0.5
    )
    with pytest.raises(ProviderUnavailable):
        unreachable.place(_call())


def test_a_busy_resident_on_asterisk_is_retried_by_the_policy(
    asterisk: FakeAsterisk, engine: Engine
) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        [job_id] = add_jobs(session, community(session), 1)
    asterisk.originate_results["PJSIP/8613800000000@carrier"] = ("Failure", 5)
    done = Outcomes()
    provider = _provider(asterisk, done)
    dialer = Dialer(sessions=sessions, provider=provider, pacer=Pacer(100.0), clock=lambda: NOW)

    def finish(correlation_id: str, outcome: AttemptOutcome) -> None:
        dialer.finish(correlation_id, outcome)  # as ivr.dialer.plugin wires it
        done(correlation_id, outcome)

    provider.on_outcome = finish
    try:
        [claimed] = dialer.run_once()
        done.wait(1)
    finally:
        provider.close()

    with sessions() as session:
        attempt = session.scalars(select(OutboundAttempt)).one()
        job = session.get_one(OutboundJob, job_id)
        assert attempt.id == claimed.attempt_id and attempt.outcome is AttemptOutcome.BUSY
        assert attempt.provider_call_id and attempt.provider_call_id.startswith("hotline-")
        assert job.status is JobStatus.SCHEDULED and job.next_attempt_at > NOW
        assert job.next_attempt_at - NOW >= dt.timedelta(minutes=30)  # spaced, not at once
