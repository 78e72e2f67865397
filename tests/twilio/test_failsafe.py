"""Whatever fails on our side, Twilio gets TwiML that queues the caller, and the record is kept."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from hotline.config import load_config
from ivr import calls, flow
from ivr.flow.script import sample_context
from ivr.recorder import replay_spool
from ivr.twilio.store import pack
from models.db import session_factory
from tests.twilio import twiml_rules
from tests.twilio.conftest import call_row, close_the_centre, events, kinds, twilio_config
from tests.twilio.peer import ACCOUNT, KNOWN, UNKNOWN, Twilio, call_sid, incoming_form

DOWN = "postgresql://nobody@127.0.0.1:1/none"


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug of ours")


@pytest.fixture
def outage(make_app: Any, tmp_path: Path) -> Twilio:
    """The app with its database unreachable (nothing listens on port 1)."""
    config = load_config(
        env={"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": DOWN}
    )
    app = make_app(twilio_config(config))
    return Twilio(app, app.test_client())


def test_given_the_database_is_down_then_the_flow_runs_and_the_caller_is_queued(
    outage: Twilio, engine: Engine, tmp_path: Path
) -> None:
    phone = outage.call(KNOWN)
    assert "欢迎致电物业服务中心" in phone.words[0]  # no community: the caller is unknown
    action = phone.verb("Gather").get("action", "")
    assert parse_qs(urlsplit(action).query)["s"], "the state travels in the URL meanwhile"
    phone.press("1").stay_silent()
    assert phone.enqueued == "emergency"
    phone.hang_up()
    spool = tmp_path / "data" / "spool" / "calls"
    assert list(spool.glob("*-twilio-*.jsonl"))
    assert replay_spool(session_factory(engine), spool) >= 1
    record = call_row(engine, phone.sid)
    assert (record.disposition, record.queue, record.priority) == ("queued", "emergency", 100)
    assert record.caller_e164 == KNOWN
    assert {"call.started", "ivr.step", "twilio.status"} <= set(kinds(engine, phone.sid))


def test_given_the_database_is_down_then_a_unit_lookup_finds_nothing_and_asks_again(
    outage: Twilio,
) -> None:
    phone = outage.call(UNKNOWN).press("2").press("3").press("21502")
    assert any("没有找到3栋2 1 5 0 2室" in words for words in phone.words)
    assert phone.press("3").press("21502").press("3").press("21502").enqueued == "repair"


def test_given_a_bug_in_a_step_then_queued_for_inquiry_and_the_error_recorded(
    twilio: Twilio, engine: Engine, estate: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    phone = twilio.call(KNOWN)
    monkeypatch.setattr(flow, "handle", _boom)
    phone.press("2")
    assert phone.tags() == ["Enqueue"] and phone.enqueued == "inquiry"
    record = call_row(engine, phone.sid)
    assert (record.disposition, record.disposition_step, record.queue) == (
        "queued",
        "main_menu",
        "inquiry",
    )
    error = next(e for e in events(engine, phone.sid) if e.kind == "call.error")
    assert error.data == {"webhook": "step", "step": "main_menu", "queue": "inquiry"}
    monkeypatch.undo()
    phone.hang_up()
    assert (call_row(engine, phone.sid).disposition_step) == "queue"


def test_given_a_bug_once_the_caller_chose_then_queued_for_their_choice(
    twilio: Twilio, engine: Engine, estate: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    phone = twilio.call(UNKNOWN).press("4").press("3")
    monkeypatch.setattr(calls, "answer_lookup", _boom)
    phone.press("21502")
    assert phone.enqueued == "complaint"
    assert call_row(engine, phone.sid).priority == 30


def test_given_a_bug_before_the_flow_starts_then_queued_for_inquiry(
    twilio: Twilio, engine: Engine, estate: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls, "build_context", _boom)
    phone = twilio.call(KNOWN)
    assert phone.tags() == ["Enqueue"] and phone.enqueued == "inquiry"
    record = call_row(engine, phone.sid)
    assert (record.disposition, record.disposition_step) == ("queued", "start")


def test_given_a_bug_when_on_call_does_not_answer_then_emergency_all_the_same(
    twilio: Twilio, engine: Engine, estate: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    close_the_centre(engine)
    phone = twilio.call(KNOWN).press("1").stay_silent()
    monkeypatch.setattr(flow, "fallback_route", _boom)
    assert phone.on_call_answers("failed").enqueued == "emergency"
    assert "call.error" in kinds(engine, phone.sid)


def test_given_a_bug_in_a_status_callback_then_204_and_logged(
    twilio: Twilio,
    estate: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone = twilio.call(KNOWN)
    monkeypatch.setattr(flow, "handle", _boom)
    assert phone.hang_up().status_code == 204
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


def test_given_no_callsid_then_still_queued_and_nothing_recorded(
    twilio: Twilio, engine: Engine, estate: dict[str, int]
) -> None:
    form = incoming_form("", KNOWN)
    doc = twilio.twiml("/twilio/voice", form)
    assert [(v.tag, v.text) for v in doc] == [("Enqueue", "inquiry")]


# Fuzzing: every endpoint, signed correctly, with parameters Twilio never sends.

ENDPOINTS = [
    "/twilio/voice",
    "/twilio/step",
    "/twilio/wait",
    "/twilio/queue-result",
    "/twilio/dial-result",
    "/twilio/status",
    "/twilio/recording",
]
PARAMS = [
    "From",
    "To",
    "CallStatus",
    "Direction",
    "ForwardedFrom",
    "CallerName",
    "Digits",
    "SpeechResult",
    "Confidence",
    "RecordingUrl",
    "RecordingDuration",
    "RecordingSid",
    "QueueResult",
    "QueuePosition",
    "QueueTime",
    "AvgQueueTime",
    "DialCallStatus",
    "CallDuration",
    "SequenceNumber",
    "RecordingStatus",
]
QUERY = ["seq", "on", "empty", "s", "queue", "lang", "attempt", "reason", "purpose"]
LIVE = [f"CA{'1' * 32}", f"CA{'2' * 32}"]  # calls started before the fuzzing
PACKED = pack(flow.start(sample_context()).state)
TYPICAL = {
    "Digits": ["1", "2", "9", "*", "#", "21502", "hangup"],
    "CallStatus": ["completed", "ringing", "busy", "no-answer", "in-progress"],
    "QueueResult": ["bridged", "hangup", "leave", "error", "queue-full"],
    "DialCallStatus": ["completed", "busy", "no-answer", "failed"],
    "seq": ["0", "1", "2", "3", "-1", "x"],
    "on": ["record", "gather", ""],
    "s": [PACKED, PACKED[:-3], "!!"],
}


def _value(name: str) -> st.SearchStrategy[str]:
    text = st.text(max_size=120)
    return st.one_of(st.sampled_from(TYPICAL[name]), text) if name in TYPICAL else text


def _fields(names: list[str]) -> st.SearchStrategy[dict[str, str]]:
    known = st.sampled_from(names).flatmap(lambda name: st.tuples(st.just(name), _value(name)))
    other = st.tuples(st.text(min_size=1, max_size=12), st.text(max_size=40))
    return st.lists(st.one_of(known, other), max_size=8).map(dict)


WEBHOOKS = st.fixed_dictionaries(
    {
        "sid": st.one_of(st.sampled_from(LIVE), st.just(call_sid()), st.text(max_size=80)),
        "form": _fields(PARAMS),
        "query": _fields(QUERY),
    }
)


@pytest.fixture
def live_calls(twilio: Twilio, estate: dict[str, int]) -> None:
    """Calls the fuzzed webhooks may belong to: one at the main menu, one in the repair queue."""
    for sid in LIVE:
        form = incoming_form(sid, KNOWN)
        twilio.twiml("/twilio/voice", form)
    twilio.twiml("/twilio/step?seq=1", {**incoming_form(LIVE[1], KNOWN), "Digits": "2"})


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(webhook=WEBHOOKS)
def test_given_any_signed_parameters_then_never_a_500_and_always_valid_twiml(
    twilio: Twilio, live_calls: None, endpoint: str, webhook: dict[str, Any]
) -> None:
    params = webhook["form"] | {"CallSid": webhook["sid"], "AccountSid": ACCOUNT}
    query = urlencode(webhook["query"])
    url = endpoint + (f"?{query}" if query else "")
    response = twilio.post(url, params)
    if endpoint in ("/twilio/status", "/twilio/recording"):
        assert response.status_code == 204
        return
    assert response.status_code == 200, response.get_data(as_text=True)
    twiml_rules.check(
        response.get_data(as_text=True),
        route_exists=twilio.route_exists,
        wait=endpoint == "/twilio/wait",
    )
