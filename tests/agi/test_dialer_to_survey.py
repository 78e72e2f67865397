"""One survey from end to end, over Asterisk: a work order completed, its survey scheduled
by the policy, placed by the dialer with AMI ``Originate`` (the AMI peer), run by the
dialplan's ``[hotline-survey]`` context as deploy/asterisk/extensions.conf writes it, and
answered through the FastAGI server byte for byte as Asterisk speaks it.

What the dialer asked Asterisk for (context, channel id, variables) is what reaches the
survey script: the AGI line is read from the shipped dialplan and its variables expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.agi.server import FastAGIServer
from ivr.ami.settings import parse_ami_url
from ivr.dialer.asterisk import AsteriskProvider
from ivr.dialer.services import Dialer
from ivr.outbound.pacing import Pacer
from models import Call
from models.db import session_factory
from models.outbound import AttemptOutcome, JobStatus, OutboundAttempt, OutboundJob, SurveyResponse
from tests.agi.peer import CallScript, call, environment
from tests.ami.peer import FakeAsterisk
from tests.surveys.outbound_estate import NOW, RESIDENT, completed_repair

DIALPLAN = Path(__file__).resolve().parents[2] / "deploy" / "asterisk" / "extensions.conf"


def dialplan_context(name: str) -> tuple[dict[str, str], list[str]]:
    """The ``[globals]`` of the shipped dialplan and the applications of context ``name``."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in DIALPLAN.read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if header := re.fullmatch(r"\[([\w-]+)\].*", line):
            current = header.group(1)
        elif line and current:
            sections.setdefault(current, []).append(line)
    globals_ = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition("=") for line in sections["globals"])
    )
    apps = []  # exten => s,1,App(…) then same => n,App(…)
    for line in sections[name]:
        kind, _, rest = line.partition("=>")
        fields = 2 if kind.strip() == "exten" else 1 if kind.strip() == "same" else 0
        if fields:
            apps.append(rest.strip().split(",", fields)[fields])
    return globals_, apps


def expand(text: str, variables: dict[str, str]) -> str:
    """Asterisk's ``${NAME}`` substitution (unknown names become empty, as Asterisk does)."""
    return re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), ""), text)


@pytest.fixture
def asterisk() -> Iterator[FakeAsterisk]:
    with FakeAsterisk() as fake:
        yield fake


def test_a_completed_repair_is_surveyed_end_to_end_over_asterisk(
    engine: Engine, survey_agi: FastAGIServer, asterisk: FakeAsterisk
) -> None:
    order_id = completed_repair(engine)
    provider = AsteriskProvider(
        parse_ami_url(asterisk.url),
        channel="PJSIP/{digits}@carrier",
        context="hotline-survey",
        caller_id="+862160000001",
        on_outcome=lambda *outcome: None,
    )
    dialer = Dialer(
        sessions=session_factory(engine), provider=provider, pacer=Pacer(100.0), clock=lambda: NOW
    )
    try:
        [claimed] = dialer.run_once()
    finally:
        provider.close()
    [originate] = [a for a in asterisk.actions if a["Action"] == "Originate"]
    assert originate["Channel"] == f"PJSIP/{RESIDENT.lstrip('+')}@carrier"

    # Asterisk runs the context the dialer named, with the variables it set.
    globals_, apps = dialplan_context(originate["Context"])
    [agi_app] = [app for app in apps if app.startswith("AGI(")]
    variables = globals_ | dict(
        pair.split("=", 1) for pair in originate["Variable"].split(",")
    ) | {"AMDSTATUS": "HUMAN"}  # fmt: skip
    url, *args = expand(agi_app.removeprefix("AGI(").removesuffix(")"), variables).split(",")
    script = url.rsplit("/", 1)[1]
    env = environment(script, port=survey_agi.port, uniqueid=originate["ChannelId"], language="zh")
    env += [(f"agi_arg_{n}", value) for n, value in enumerate(args, start=1)]
    transcript = call(survey_agi.port, CallScript(keys=["5", "5", "4", "1", None]), env)
    assert transcript.hung_up_by_server

    with Session(engine) as s:
        job = s.scalars(select(OutboundJob)).one()
        attempt = s.get_one(OutboundAttempt, claimed.attempt_id)
        answers = s.scalars(select(SurveyResponse)).one()
        record = s.get_one(Call, attempt.call_id)
        assert (job.work_order_id, job.status) == (order_id, JobStatus.COMPLETED)
        assert attempt.outcome is AttemptOutcome.COMPLETED
        assert attempt.provider_call_id == originate["ChannelId"] == record.provider_call_id
        assert (answers.timeliness, answers.skill, answers.attitude, answers.solved) == (
            5, 5, 4, True
        )  # fmt: skip
        assert (record.provider, record.disposition) == ("asterisk", "completed")
