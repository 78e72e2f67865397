"""The dispatcher's sweep: offers that go unanswered, calls that end, wrap-ups that are over;
and no offer to an agent whose last answered call has no wrap-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from agent_console.simulator.calls import SimulatedCalls
from hotline.bus import InProcessBus
from ivr.dispatch.connect import SimulatorConnector
from ivr.dispatch.services import Dispatcher
from ivr.outbound.recording import RecordingProvider
from models import AgentPresence, Call, PresenceState, utcnow
from tests.dispatch.conftest import PUBLIC
from tests.dispatch.helpers import raw
from tests.dispatch.twilio_rest import DispatchStandIn
from tests.twilio.conftest import call_row, kinds
from tests.twilio.peer import KNOWN, PhoneCall, Twilio


def presence(engine: Engine, agent_id: int) -> AgentPresence:
    with Session(engine) as s:
        return s.scalars(select(AgentPresence).where(AgentPresence.agent_id == agent_id)).one()


def back_date(engine: Engine, agent_id: int, seconds: float) -> None:
    """The agent entered their present state ``seconds`` ago."""
    since = utcnow() - dt.timedelta(seconds=seconds)
    with Session(engine) as s:
        s.execute(
            update(AgentPresence).where(AgentPresence.agent_id == agent_id).values(since=since)
        )
        s.commit()


@pytest.fixture
def simulated() -> SimulatedCalls:
    return SimulatedCalls()


@pytest.fixture
def bus() -> InProcessBus:
    return InProcessBus()


@pytest.fixture
def on_simulator(
    sessions: Callable[[], Session],
    simulated: SimulatedCalls,
    rings: RecordingProvider,
    bus: InProcessBus,
) -> Dispatcher:
    return Dispatcher(
        sessions=sessions,
        connector=SimulatorConnector(simulated),
        provider=rings,
        bus=bus,
        offer_timeout=dt.timedelta(seconds=20),
        wrap_up_for=lambda queue: {"repair": 30}.get(queue or "", 0),
    )


def waiting_caller(twilio: Twilio, simulated: SimulatedCalls) -> PhoneCall:
    phone = twilio.call(KNOWN).press("2")
    simulated.place(phone.form)
    simulated.wait(phone.sid, "repair")
    return phone


def test_an_offer_is_announced_to_that_agent_only(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    on_simulator: Dispatcher,
    simulated: SimulatedCalls,
    bus: InProcessBus,
    engine: Engine,
) -> None:
    phone = waiting_caller(twilio, simulated)
    wang = agent("wang", [estate["community"]])
    heard = bus.subscribe("agent.*")
    assert len(on_simulator.run_once()) == 1
    event = heard.get(timeout=1)
    assert event is not None and event.topic == f"agent.{wang}.offered"
    assert event.payload == {"agent_id": wang, "call_id": call_row(engine, phone.sid).id}


def test_an_offer_not_answered_in_time_frees_the_agent_and_the_caller_is_offered_again(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    on_simulator: Dispatcher,
    simulated: SimulatedCalls,
    engine: Engine,
) -> None:
    phone = waiting_caller(twilio, simulated)
    wang = agent("wang", [estate["community"]])
    assert len(on_simulator.run_once()) == 1
    assert on_simulator.run_once() == []  # 0 s later: still offered
    assert presence(engine, wang).state is PresenceState.OFFERED
    back_date(engine, wang, 21)
    again = on_simulator.run_once()  # freed, then offered the same caller again
    assert [a.work.id for a in again] == [call_row(engine, phone.sid).id]
    assert "call.offer_ended" in kinds(engine, phone.sid)


def test_a_caller_who_hangs_up_while_offered_frees_the_agent_at_once(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    on_simulator: Dispatcher,
    simulated: SimulatedCalls,
    engine: Engine,
) -> None:
    phone = waiting_caller(twilio, simulated)
    wang = agent("wang", [estate["community"]])
    on_simulator.run_once()
    phone.leave_queue("hangup")
    phone.hang_up()
    freed = on_simulator.sweep(utcnow())
    assert [(f.agent_id, f.state, f.why) for f in freed] == [
        (wang, PresenceState.AVAILABLE, "caller hung up")
    ]
    assert presence(engine, wang).call_id is None


def test_after_the_call_wrap_up_then_available_once_disposed_and_the_time_is_over(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    on_simulator: Dispatcher,
    simulated: SimulatedCalls,
    engine: Engine,
) -> None:
    phone = waiting_caller(twilio, simulated)
    wang = agent("wang", [estate["community"]])
    on_simulator.run_once()
    call_id = call_row(engine, phone.sid).id
    with Session(engine) as s:  # answered on the desk
        s.execute(
            update(Call).where(Call.id == call_id).values(agent_id=wang, answered_at=utcnow())
        )
        s.execute(
            update(AgentPresence)
            .where(AgentPresence.agent_id == wang)
            .values(state=PresenceState.ON_CALL)
        )
        s.commit()
    assert on_simulator.sweep(utcnow()) == []  # talking
    phone.leave_queue("bridged")
    phone.hang_up()
    [ended] = on_simulator.sweep(utcnow())
    assert (ended.state, ended.why) == (PresenceState.WRAP_UP, "call ended")
    back_date(engine, wang, 31)
    assert on_simulator.sweep(utcnow()) == []  # time over, but no wrap-up given
    # A second caller waits meanwhile: nobody offers them to the agent.
    waiting_caller(twilio, simulated)
    with Session(engine) as s:
        s.execute(
            update(AgentPresence)
            .where(AgentPresence.agent_id == wang)
            .values(state=PresenceState.AVAILABLE)
        )
        s.commit()
    assert on_simulator.run_once() == []  # available by its row, but the call is undisposed
    with Session(engine) as s:
        s.execute(
            update(AgentPresence)
            .where(AgentPresence.agent_id == wang)
            .values(state=PresenceState.WRAP_UP, since=utcnow() - dt.timedelta(seconds=10))
        )
        s.execute(
            update(Call)
            .where(Call.id == call_id)
            .values(wrap_up_code="resolved", wrapped_up_at=utcnow())
        )
        s.commit()
    assert on_simulator.sweep(utcnow()) == []  # 10 s of the repair queue's 30
    [done] = on_simulator.sweep(utcnow() + dt.timedelta(seconds=21))
    assert (done.state, done.why) == (PresenceState.AVAILABLE, "wrap-up done")


def test_an_answered_caller_is_never_offered_again_even_before_the_page_hangs_up(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    on_simulator: Dispatcher,
    simulated: SimulatedCalls,
    engine: Engine,
) -> None:
    phone = waiting_caller(twilio, simulated)
    wang = agent("wang", [estate["community"]])
    on_simulator.run_once()
    simulated.answer(phone.sid, "wang")
    with Session(engine) as s:  # answered, then hung up from the desk: wrap-up, no call_id
        s.execute(
            update(Call)
            .where(Call.provider_call_id == phone.sid)
            .values(agent_id=wang, answered_at=utcnow())
        )
        s.execute(
            update(AgentPresence)
            .where(AgentPresence.agent_id == wang)
            .values(state=PresenceState.WRAP_UP, call_id=None)
        )
        s.commit()
    agent("li", [estate["community"]])
    assert on_simulator.run_once() == []
    assert kinds(engine, phone.sid).count("call.offered") == 1  # wang's only: li not reserved


def test_on_twilio_an_agent_whose_caller_never_reached_the_connect_url_is_freed(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
    engine: Engine,
) -> None:
    lost = twilio.call(KNOWN).press("2")
    wang = agent("wang", [estate["community"]], identity="wang")
    assert len(dispatcher.run_once()) == 1  # redirected; Twilio never fetched /dispatch/connect
    offered = presence(engine, wang).since  # timed from the offer, not from the test's clock
    assert dispatcher.sweep(offered + dt.timedelta(seconds=19)) == []
    [freed] = dispatcher.sweep(offered + dt.timedelta(seconds=21))
    assert (freed.agent_id, freed.state, freed.why) == (
        wang,
        PresenceState.AVAILABLE,
        "not answered in time",
    )
    assert "call.offer_ended" in kinds(engine, lost.sid)


def test_on_twilio_an_agent_being_dialled_is_left_to_the_dial(
    twilio: Twilio,
    estate: dict[str, int],
    agent: Callable[..., int],
    dispatcher: Dispatcher,
    standin: DispatchStandIn,
    engine: Engine,
) -> None:
    phone = twilio.call(KNOWN).press("2")
    wang = agent("wang", [estate["community"]], identity="wang")
    dispatcher.run_once()
    url = standin.redirects[0].form["Url"][0].removeprefix(PUBLIC)
    raw(twilio, url, {**phone.form, "CallStatus": "in-progress"})  # <Dial><Client>wang
    assert dispatcher.sweep(utcnow() + dt.timedelta(minutes=10)) == []  # talking, maybe
    assert presence(engine, wang).state is PresenceState.OFFERED
