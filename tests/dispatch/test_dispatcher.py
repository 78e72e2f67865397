"""``Dispatcher.run_once``: the right caller for an available agent, redirected through
Twilio's REST API (held to Twilio's description); callbacks ring the simulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ivr.dispatch.decide import WorkKind
from ivr.dispatch.services import Dispatcher
from ivr.outbound.recording import RecordingProvider
from models import (
    AgentPresence,
    Call,
    CallbackRequest,
    CallbackStatus,
    PresenceState,
)
from tests.dispatch.conftest import PUBLIC
from tests.dispatch.helpers import press_while_waiting, raw, request_callback
from tests.dispatch.twilio_rest import DispatchStandIn
from tests.twilio.conftest import call_row, kinds
from tests.twilio.peer import KNOWN, UNKNOWN, Twilio


def presence(engine: Engine, agent_id: int) -> AgentPresence:
    with Session(engine) as s:
        return s.scalars(select(AgentPresence).where(AgentPresence.agent_id == agent_id)).one()


def queued(engine: Engine, sid: str, minutes_ago: float) -> None:
    """The call joined the line ``minutes_ago`` (the flow closed then)."""
    when = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    with Session(engine) as s:
        s.execute(update(Call).where(Call.provider_call_id == sid).values(ended_at=when))
        s.commit()


def test_run_once_redirects_the_highest_priority_caller_to_the_available_agent(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    repair = twilio.call(KNOWN).press("2")  # waiting longer, lower priority
    queued(engine, repair.sid, 10)
    emergency = twilio.call(UNKNOWN).press("1").stay_silent()  # no kind given: queued
    assert emergency.enqueued == "emergency", emergency.tags()
    wang = agent("wang", [estate["community"]], identity="wang")

    made = dispatcher.run_once()

    assert [(a.agent_id, a.work.kind) for a in made] == [(wang, WorkKind.CALLER)]
    [redirect] = standin.redirects
    assert redirect.call_sid == emergency.sid
    emergency_id = call_row(engine, emergency.sid).id
    assert redirect.form == {
        "Url": [f"{PUBLIC}/twilio/dispatch/connect?call={emergency_id}&agent={wang}"],
        "Method": ["POST"],
    }
    assert all(not r.problems and r.status == 200 for r in standin.requests)
    offered = presence(engine, wang)
    assert offered.state is PresenceState.OFFERED and offered.call_id == emergency_id
    assert "call.offered" in kinds(engine, emergency.sid)
    # Offered once: the next round finds the agent busy and offers nothing.
    assert dispatcher.run_once() == []
    assert len(standin.redirects) == 1


def test_redirected_caller_dials_the_agent_then_agent_wraps_up(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wang = agent("wang", [estate["community"]], identity="wang")
    dispatcher.run_once()
    url = standin.redirects[0].form["Url"][0].removeprefix(PUBLIC)
    doc = raw(twilio, url, {**phone.form, "CallStatus": "in-progress"})
    dial = doc.find("Dial")
    assert dial is not None and dial.findtext("Client") == "wang"
    phone.leave_queue("redirected")  # Twilio tells the <Enqueue> action
    # The <Dial> is over in the action: the agent talked 47 s, answering 47 s ago.
    ended = {**phone.form, "DialCallStatus": "completed", "DialCallDuration": "47"}
    done = raw(twilio, dial.attrib["action"], ended)
    assert [v.tag for v in done] == ["Hangup"]
    row = call_row(engine, phone.sid)
    assert row.disposition == "answered" and row.agent_id == wang
    assert row.answered_at is not None and row.wrapped_up_at is None
    talked = dt.datetime.now(dt.UTC) - row.answered_at
    assert dt.timedelta(seconds=46) < talked < dt.timedelta(seconds=60)
    assert presence(engine, wang).state is PresenceState.WRAP_UP
    # No next call before the wrap-up, even when the agent's row says available.
    with Session(engine) as s:
        s.execute(
            update(AgentPresence)
            .where(AgentPresence.agent_id == wang)
            .values(state=PresenceState.AVAILABLE)
        )
        s.commit()
    twilio.call(KNOWN).press("2")
    assert dispatcher.run_once() == []


def test_agent_not_answering_puts_the_caller_back_in_line(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wang = agent("wang", [estate["community"]], extension="+8613900001111")
    dispatcher.run_once()
    url = standin.redirects[0].form["Url"][0].removeprefix(PUBLIC)
    dial = raw(twilio, url, {**phone.form, "CallStatus": "in-progress"}).find("Dial")
    assert dial is not None and dial.findtext("Number") == "+8613900001111"
    back = twilio.twiml(dial.attrib["action"], {**phone.form, "DialCallStatus": "no-answer"})
    assert back.findtext("Enqueue") == "repair"
    assert presence(engine, wang).state is PresenceState.AVAILABLE
    assert call_row(engine, phone.sid).disposition == "queued"
    dispatcher.run_once()  # in line again, and offered again
    assert [r.call_sid for r in standin.redirects] == [phone.sid, phone.sid]


def test_agents_only_get_callers_of_their_communities_and_twilio_reachable_ones(
    twilio: Twilio,
    estate: dict[str, int],
    engine: Engine,
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    twilio.call(KNOWN).press("2")
    with Session(engine) as s:
        from tests import factories

        other = factories.community(s, code="SH02", name="明月小区").id
        s.commit()
    agent("li", [other], identity="li")
    agent("zhao", [estate["community"]], extension="8001")  # a PJSIP extension only
    agent("qian", [estate["community"]], PresenceState.PAUSED, identity="qian")
    assert dispatcher.run_once() == []
    assert standin.redirects == []


def test_caller_gone_releases_the_agent(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wang = agent("wang", [estate["community"]], identity="wang")
    with Session(engine) as s:  # available since long before the offer
        s.execute(update(AgentPresence).values(since=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
        s.commit()
    standin.gone.add(phone.sid)
    assert dispatcher.run_once() == []
    after = presence(engine, wang)
    assert after.state is PresenceState.AVAILABLE
    # A failed offer is not the agent's doing: they keep their place among free agents.
    assert after.since == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_pending_callback_rings_the_simulator_with_the_agent_reserved(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    rings: RecordingProvider,
) -> None:
    request_callback(twilio, KNOWN)
    wang = agent("wang", [estate["community"]], identity="wang")

    [made] = dispatcher.run_once()

    assert made.work.kind is WorkKind.CALLBACK
    [ring] = rings.pending()
    assert ring.call.to == KNOWN and ring.call.purpose == "callback"
    assert ring.call.answer_path == "/twilio/callback/answer"
    assert ring.call.status_path == "/twilio/callback/status"
    with Session(engine) as s:
        request = s.scalars(select(CallbackRequest)).one()
    assert request.status is CallbackStatus.CALLING and request.agent_id == wang
    assert request.provider_call_id == ring.provider_call_id
    assert ring.call.correlation_id == f"callback-{request.id}-1"
    assert presence(engine, wang).callback_id == request.id
    assert dispatcher.run_once() == []  # neither the request nor the agent twice
    assert len(rings.placed) == 1


def test_callback_survives_a_restart(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    sessions: Callable[[], Session],
    connector: object,
) -> None:
    request_callback(twilio, KNOWN)
    agent("wang", [estate["community"]], identity="wang")
    fresh = RecordingProvider()  # a new process: nothing in memory but the rows
    restarted = Dispatcher(sessions=sessions, connector=connector, provider=fresh)  # type: ignore[arg-type]
    assert len(restarted.run_once()) == 1
    assert len(fresh.pending()) == 1


def test_on_the_simulator_the_chosen_caller_waits_for_the_agent_to_answer(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    sessions: Callable[[], Session],
    rings: RecordingProvider,
) -> None:
    from agent_console.simulator.calls import SimulatedCalls
    from ivr.dispatch.connect import SimulatorConnector

    phone = twilio.call(KNOWN).press("2")
    simulated = SimulatedCalls()
    simulated.place(phone.form)
    simulated.wait(phone.sid, "repair")
    wang = agent("wang", [estate["community"]])  # no Twilio identity needed on the simulator
    on_simulator = Dispatcher(
        sessions=sessions, connector=SimulatorConnector(simulated), provider=rings
    )
    assert len(on_simulator.run_once()) == 1
    place = simulated.place_of(phone.sid)
    # Offered, not answered: the caller waits until the agent answers on the desk.
    assert place is not None and place.answered_by == ""
    offered = presence(engine, wang)
    assert offered.state is PresenceState.OFFERED
    assert offered.call_id == call_row(engine, phone.sid).id


def test_on_the_simulator_a_caller_who_is_gone_is_not_offered(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    sessions: Callable[[], Session],
    rings: RecordingProvider,
) -> None:
    from agent_console.simulator.calls import SimulatedCalls
    from ivr.dispatch.connect import SimulatorConnector

    twilio.call(KNOWN).press("2")  # queued in the database, unknown to this simulator
    wang = agent("wang", [estate["community"]])
    on_simulator = Dispatcher(
        sessions=sessions, connector=SimulatorConnector(SimulatedCalls()), provider=rings
    )
    assert on_simulator.run_once() == []
    assert presence(engine, wang).state is PresenceState.AVAILABLE


@pytest.mark.parametrize(("callback_waited", "first"), [(10, "callback"), (2, "caller")])
def test_a_callback_keeps_its_callers_place_against_callers_still_waiting(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
    rings: RecordingProvider,
    callback_waited: float,
    first: str,
) -> None:
    asked = twilio.call(KNOWN).press("2")
    queued(engine, asked.sid, callback_waited)
    press_while_waiting(asked, asked.wait_in_queue(), "1")
    asked.leave_queue("leave")
    waiting = twilio.call(KNOWN).press("2")
    queued(engine, waiting.sid, 5)
    agent("wang", [estate["community"]], identity="wang")
    [made] = dispatcher.run_once()
    assert made.work.kind == first
    assert (len(rings.placed), len(standin.redirects)) == (
        (1, 0) if first == "callback" else (0, 1)
    )


def test_caller_hanging_up_while_the_agent_rings_is_abandoned_and_not_offered_again(
    twilio: Twilio,
    engine: Engine,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wang = agent("wang", [estate["community"]], identity="wang")
    dispatcher.run_once()
    url = standin.redirects[0].form["Url"][0].removeprefix(PUBLIC)
    dial = raw(twilio, url, {**phone.form, "CallStatus": "in-progress"}).find("Dial")
    assert dial is not None
    gone = {**phone.form, "CallStatus": "completed", "DialCallStatus": "canceled"}
    assert list(raw(twilio, dial.attrib["action"], gone)) == []
    assert call_row(engine, phone.sid).disposition == "abandoned"
    assert presence(engine, wang).state is PresenceState.AVAILABLE
    assert dispatcher.run_once() == []
