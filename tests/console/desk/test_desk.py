"""The desk page, presence, answering and declining, and the wrap-up."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from agent_console.simulator.calls import SimulatedCalls
from hotline.config import Config
from ivr.dispatch.sweep import sweep
from models import AgentPresence, Call, CallEvent, PresenceState, utcnow
from models.presence import available_agents, reserve
from tests.console.desk.conftest import WANG, agent_id, answered, logged_in, put, token

ROUTES = [
    ("get", "/console/desk/"),
    ("get", "/console/desk/state"),
    ("get", "/console/desk/events"),
    ("post", "/console/desk/presence"),
    ("get", "/console/desk/calls/1/card"),
    ("post", "/console/desk/calls/1/answer"),
    ("post", "/console/desk/calls/1/decline"),
    ("post", "/console/desk/calls/1/hang-up"),
    ("post", "/console/desk/calls/1/wrap-up"),
    ("post", "/console/desk/calls/1/unmask"),
    ("get", "/console/desk/residents?q=3"),
    ("post", "/console/desk/calls/1/attach"),
    ("post", "/console/desk/calls/1/residents"),
]


def presence_of(engine: Engine, login: str) -> AgentPresence:
    with Session(engine) as s:
        return s.scalars(
            select(AgentPresence).where(AgentPresence.agent_id == agent_id(engine, login))
        ).one()


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_route_wants_a_login(client: FlaskClient, method: str, url: str) -> None:
    app_client = client
    if method == "post":
        app_client.application.config["WTF_CSRF_ENABLED"] = False
    response = getattr(app_client, method)(url)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_posts_without_the_csrf_token_are_refused(client: FlaskClient) -> None:
    logged_in(client, "agent1")
    assert client.post("/console/desk/presence", json={"state": "available"}).status_code == 400


def test_the_desk_page_is_in_the_navigation_and_shows_presence_buttons(
    client: FlaskClient,
) -> None:
    logged_in(client, "agent1")
    home = client.get("/console/").get_data(as_text=True)
    assert 'href="/console/desk/"' in home
    page = client.get("/console/desk/").get_data(as_text=True)
    for state in ("available", "paused", "wrap_up", "offline"):
        assert f'data-presence="{state}"' in page
    assert 'id="pop"' in page and 'form id="wrap-up"' in page
    # The server's time, from which desk.js counts deadlines down whatever the PC's clock says.
    server_now = page.split('<meta name="server-now" content="', 1)[1].split('"', 1)[0]
    assert abs(dt.datetime.fromisoformat(server_now) - utcnow()) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh_CN", ("工作台", "空闲", "话后整理", "暂停原因")),
        ("en", ("Desk", "Available", "Wrap-up")),
    ],
)
def test_the_desk_speaks_chinese_and_english(
    client: FlaskClient, language: str, words: tuple[str, ...]
) -> None:
    logged_in(client, "agent1")
    assert client.get(f"/language/{language}").status_code == 302
    page = client.get("/console/desk/").get_data(as_text=True)
    for word in words:
        assert word in page
    if language == "en":
        assert "工作台" not in page


def test_presence_available_paused_with_reason_and_offline(
    client: FlaskClient, engine: Engine
) -> None:
    logged_in(client, "agent1")
    headers = token(client)
    answer = client.post("/console/desk/presence", json={"state": "available"}, headers=headers)
    assert answer.status_code == 200 and answer.json["presence"]["state"] == "available"
    refused = client.post("/console/desk/presence", json={"state": "paused"}, headers=headers)
    assert refused.status_code == 409 and refused.json["error"]
    paused = client.post(
        "/console/desk/presence",
        json={"state": "paused", "reason": "meal", "reason_text": " 午饭  "},
        headers=headers,
    )
    assert paused.json["presence"] == paused.json["presence"] | {
        "state": "paused",
        "reason": "meal: 午饭",
    }
    assert presence_of(engine, "agent1").reason == "meal: 午饭"
    offline = client.post("/console/desk/presence", json={"state": "offline"}, headers=headers)
    assert offline.json["presence"]["state"] == "offline"
    for wrong in ("offered", "on_call", "asleep"):
        response = client.post("/console/desk/presence", json={"state": wrong}, headers=headers)
        assert response.status_code == 409, wrong


def test_a_chosen_wrap_up_lasts_until_the_agent_ends_it(
    config: Config,
    make_app: Callable[[Config], Flask],
    engine: Engine,
    make_call: Callable[..., int],
) -> None:
    """After-call work of the agent's own: no call is offered, the sweep that ends a
    call's wrap-up leaves it, and Available ends it at once (no queue's wrap-up time)."""
    app = make_app(dataclasses.replace(config, wrap_up_seconds="repair=600,600"))
    client = app.test_client()
    call = make_call(WANG, queue="repair")
    answered(engine, "agent1", call, wrapped=True)
    logged_in(client, "agent1")
    headers = token(client)
    ready = client.post("/console/desk/presence", json={"state": "available"}, headers=headers)
    assert ready.json["presence"]["state"] == "available"
    chosen = client.post("/console/desk/presence", json={"state": "wrap_up"}, headers=headers)
    assert chosen.status_code == 200
    assert chosen.json["presence"]["state"] == "wrap_up"
    me = agent_id(engine, "agent1")
    with Session(engine) as session:
        assert me not in [a.id for a in available_agents(session)]
        freed = sweep(
            session,
            utcnow() + dt.timedelta(hours=3),
            offer_timeout=dt.timedelta(seconds=20),
            wrap_up_for=lambda queue: 600,
        )
        assert me not in [f.agent_id for f in freed]
        session.commit()
    assert presence_of(engine, "agent1").state is PresenceState.WRAP_UP
    back = client.post("/console/desk/presence", json={"state": "available"}, headers=headers)
    assert back.status_code == 200 and back.json["presence"]["state"] == "available"


def test_no_presence_change_while_offered_or_on_a_call(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    headers = token(client)
    for state in ("available", "paused", "offline"):
        response = client.post(
            "/console/desk/presence", json={"state": state, "reason": "break"}, headers=headers
        )
        assert response.status_code == 409
    assert presence_of(engine, "agent1").state is PresenceState.OFFERED


def test_not_available_with_an_answered_call_that_has_no_wrap_up(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    answered(engine, "agent1", call)
    put(engine, "agent1", PresenceState.WRAP_UP)
    logged_in(client, "agent1")
    headers = token(client)
    response = client.post("/console/desk/presence", json={"state": "available"}, headers=headers)
    assert response.status_code == 409
    assert presence_of(engine, "agent1").state is PresenceState.WRAP_UP
    # Nor does any dispatcher reserve them, whatever their row says.
    put(engine, "agent1", PresenceState.AVAILABLE)
    with Session(engine) as s:
        assert reserve(s, agent_id(engine, "agent1"), call_id=make_call(WANG)) is False


def simulated_call(app: Flask, engine: Engine, call_id: int) -> SimulatedCalls:
    """The simulator's record of ``call_id``, waiting in its queue."""
    calls: SimulatedCalls = app.extensions["hotline.simulator.calls"]
    with Session(engine) as s:
        sid = s.get_one(Call, call_id).provider_call_id
    calls.place({"CallSid": sid, "From": WANG})
    calls.wait(sid, "repair")
    return calls


def test_answering_a_simulated_call_puts_the_caller_through(
    app: Flask, client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    calls = simulated_call(app, engine, call)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    headers = token(client)
    state = client.get("/console/desk/state").json
    assert state["call"] == state["call"] | {"id": call, "status": "offered", "answerable": True}
    response = client.post(f"/console/desk/calls/{call}/answer", headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["call"]["status"] == "connected"
    assert response.json["presence"]["state"] == "on_call"
    me = agent_id(engine, "agent1")
    with Session(engine) as s:
        row = s.get_one(Call, call)
        assert row.agent_id == me and row.answered_at is not None
        kinds = s.scalars(select(CallEvent.kind).where(CallEvent.call_id == call)).all()
    assert "agent.connected" in kinds
    place = calls.place_of(row.provider_call_id)
    assert place is not None and place.answered_by == "agent1"
    # Answering twice, or a call offered to nobody, is refused.
    assert client.post(f"/console/desk/calls/{call}/answer", headers=headers).status_code == 409


def test_a_call_not_offered_to_this_agent_cannot_be_answered_or_declined(
    app: Flask, client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    simulated_call(app, engine, call)
    put(engine, "supervisor1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    headers = token(client)
    for action in ("answer", "decline"):
        assert client.post(f"/console/desk/calls/{call}/{action}", headers=headers).status_code in (
            404,
            409,
        )
    assert presence_of(engine, "supervisor1").state is PresenceState.OFFERED


def test_a_caller_who_hung_up_before_the_answer_frees_the_agent(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)  # not on the simulator: nobody waits
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    response = client.post(f"/console/desk/calls/{call}/answer", headers=token(client))
    assert response.status_code == 409  # answered on the phone, not here
    assert presence_of(engine, "agent1").state is PresenceState.OFFERED


def test_declining_frees_the_agent_and_keeps_the_caller_in_line(
    app: Flask, client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    calls = simulated_call(app, engine, call)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    response = client.post(f"/console/desk/calls/{call}/decline", headers=token(client))
    assert response.status_code == 200
    assert response.json["presence"]["state"] == "available" and response.json["call"] is None
    with Session(engine) as s:
        assert s.get_one(Call, call).agent_id is None
        kinds = s.scalars(select(CallEvent.kind).where(CallEvent.call_id == call)).all()
    assert "call.declined" in kinds
    with Session(engine) as s:
        place = calls.place_of(s.get_one(Call, call).provider_call_id)
    assert place is not None and place.answered_by == ""


def test_wrap_up_needs_a_code_and_notes_then_the_agent_is_available(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    answered(engine, "agent1", call)
    put(engine, "agent1", PresenceState.WRAP_UP)
    logged_in(client, "agent1")
    headers = token(client)
    url = f"/console/desk/calls/{call}/wrap-up"
    assert client.get("/console/desk/state").json["wrap_up"]["call_id"] == call
    for form in ({"code": "resolved"}, {"notes": "ok"}, {"code": "bogus", "notes": "ok"}):
        assert client.post(url, json=form, headers=headers).status_code == 400
    done = client.post(url, json={"code": "work_order", "notes": "漏水，已派单"}, headers=headers)
    assert done.status_code == 200, done.json
    assert done.json["presence"]["state"] == "available" and done.json["wrap_up"] is None
    with Session(engine) as s:
        row = s.get_one(Call, call)
    assert (row.wrap_up_code, row.wrap_up_notes) == ("work_order", "漏水，已派单")
    assert row.wrapped_up_at is not None
    assert (
        client.post(url, json={"code": "resolved", "notes": "x"}, headers=headers).status_code
        == 400
    )


def test_wrap_up_then_pause_with_a_reason(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    answered(engine, "agent1", call)
    put(engine, "agent1", PresenceState.WRAP_UP)
    logged_in(client, "agent1")
    done = client.post(
        f"/console/desk/calls/{call}/wrap-up",
        json={"code": "resolved", "notes": "ok", "then": "paused", "reason": "break"},
        headers=token(client),
    )
    assert done.json["presence"] == done.json["presence"] | {"state": "paused", "reason": "break"}


def test_wrap_up_is_refused_for_a_call_still_on_and_for_another_agents_call(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    on_call, theirs = make_call(WANG), make_call(WANG)
    answered(engine, "agent1", on_call)
    put(engine, "agent1", PresenceState.ON_CALL, on_call)
    answered(engine, "supervisor1", theirs)
    logged_in(client, "agent1")
    headers = token(client)
    form = {"code": "resolved", "notes": "ok"}
    still_on = client.post(f"/console/desk/calls/{on_call}/wrap-up", json=form, headers=headers)
    assert still_on.status_code == 400
    other = client.post(f"/console/desk/calls/{theirs}/wrap-up", json=form, headers=headers)
    assert other.status_code == 404


def test_the_queues_wrap_up_time_keeps_the_agent_in_wrap_up_after_the_notes(
    config: Config,
    make_app: Callable[[Config], Flask],
    engine: Engine,
    make_call: Callable[..., int],
) -> None:
    app = make_app(dataclasses.replace(config, wrap_up_seconds="repair=60,30"))
    client = app.test_client()
    call = make_call(WANG, queue="repair")
    answered(engine, "agent1", call)
    put(engine, "agent1", PresenceState.WRAP_UP, since=utcnow() - dt.timedelta(seconds=10))
    logged_in(client, "agent1")
    headers = token(client)
    done = client.post(
        f"/console/desk/calls/{call}/wrap-up", json={"code": "resolved", "notes": "ok"},
        headers=headers,
    )  # fmt: skip
    assert done.json["presence"]["state"] == "wrap_up"
    until = dt.datetime.fromisoformat(done.json["wrap_up"]["until"])
    assert 40 < (until - utcnow()).total_seconds() <= 50
    early = client.post("/console/desk/presence", json={"state": "available"}, headers=headers)
    assert early.status_code == 409


def test_the_agent_hangs_up_a_simulated_call_and_goes_to_wrap_up(
    app: Flask, client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    calls = simulated_call(app, engine, call)
    put(engine, "agent1", PresenceState.OFFERED, call)
    logged_in(client, "agent1")
    headers = token(client)
    assert client.post(f"/console/desk/calls/{call}/hang-up", headers=headers).status_code == 409
    client.post(f"/console/desk/calls/{call}/answer", headers=headers)
    done = client.post(f"/console/desk/calls/{call}/hang-up", headers=headers)
    assert done.status_code == 200
    assert done.json["presence"]["state"] == "wrap_up" and done.json["call"] is None
    assert done.json["wrap_up"]["call_id"] == call
    with Session(engine) as s:
        place = calls.place_of(s.get_one(Call, call).provider_call_id)
    assert place is not None and place.agent_hung_up is True


def test_an_agent_on_a_call_the_simulator_forgot_can_still_hang_up(
    client: FlaskClient, engine: Engine, make_call: Callable[..., int]
) -> None:
    call = make_call(WANG)
    answered(engine, "agent1", call)
    put(engine, "agent1", PresenceState.ON_CALL, call)
    logged_in(client, "agent1")
    done = client.post(f"/console/desk/calls/{call}/hang-up", headers=token(client))
    assert done.status_code == 200 and done.json["presence"]["state"] == "wrap_up"


def test_a_callback_in_progress_shows_its_call(
    client: FlaskClient, engine: Engine, homes: dict[str, int], make_call: Callable[..., int]
) -> None:
    from models import CallbackRequest, CallbackStatus

    call = make_call(WANG)
    me = agent_id(engine, "agent1")
    with Session(engine) as s:
        request = CallbackRequest(
            call_id=call, number=WANG, language="zh-CN", queue="repair",
            enqueued_at=utcnow(), status=CallbackStatus.CALLING, agent_id=me,
        )  # fmt: skip
        s.add(request)
        s.commit()
        request_id = request.id
    put(engine, "agent1", PresenceState.OFFERED)
    with Session(engine) as s:
        row = s.scalars(select(AgentPresence).where(AgentPresence.agent_id == me)).one()
        row.callback_id = request_id
        s.commit()
    logged_in(client, "agent1")
    state = client.get("/console/desk/state").json
    assert state["call"] == state["call"] | {"id": call, "status": "callback"}
    assert client.get(f"/console/desk/calls/{call}/card").status_code == 200
