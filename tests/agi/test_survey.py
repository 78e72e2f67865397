"""Whole survey and notice calls through the FastAGI server, byte for byte as Asterisk runs
them (``AGI(agi://…/survey,${HOTLINE_ATTEMPT_ID},${AMDSTATUS})``)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from audio.catalogue import message_name
from audio.commands import comment_to_survey
from audio.fetch import RecordingSource
from audio.recordings import collect_recordings
from audio.speech import SpeechService
from audio.tools import AudioTools
from hotline.config import Config
from ivr.agi.server import FastAGIServer
from ivr.agi.service import build_server
from models import Resident
from models.outbound import AttemptOutcome, JobPurpose, JobStatus, TaskKind
from tests.agi.peer import CallScript, Transcript, call, environment
from tests.audio.conftest import tone
from tests.speech.fakes import FakeEngine
from tests.surveys.outbound_estate import (
    Placed,
    attempt_of,
    call_of,
    event_kinds,
    job_of,
    placed_call,
    response_of,
    tasks,
)


def survey_call(
    survey_agi: FastAGIServer, placed: Placed, script: CallScript, amd: str = "HUMAN"
) -> Transcript:
    env = environment("survey", port=survey_agi.port, uniqueid=f"1763877600.{placed.attempt}")
    env += [("agi_arg_1", str(placed.attempt)), ("agi_arg_2", amd)]
    return call(survey_agi.port, script, env)


def test_a_whole_survey_over_asterisk(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine)
    t = survey_call(survey_agi, placed, CallScript(keys=["4", "5", "3", "1"]))
    assert t.variables["CHANNEL(language)"] == "zh"
    assert t.files[:4] == [
        "hotline/survey-intro",
        "hotline/community-SH01",
        "hotline/survey-intro-part2",
        "hotline/survey-about-leak",
    ]
    assert "hotline/month-11" in t.files and "hotline/ordinal-20" in t.files
    assert any(c.startswith('RECORD FILE "hotline/comments/') for c in t.commands)
    assert "hotline/survey-thanks" in t.files and t.hung_up_by_server

    answers = response_of(engine, placed)
    assert answers is not None
    assert (answers.timeliness, answers.skill, answers.attitude, answers.solved) == (4, 5, 3, True)
    assert answers.complete
    assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED
    assert job_of(engine, placed).status is JobStatus.COMPLETED
    record = call_of(engine, placed)
    assert (record.direction.value, record.provider) == ("outbound", "asterisk")
    assert record.provider_call_id == f"1763877600.{placed.attempt}"
    assert record.disposition == "completed" and record.ended_at is not None
    assert "survey.comment" in event_kinds(engine, placed)


def test_english_sounds_for_an_english_speaker(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine, language="en")
    t = survey_call(survey_agi, placed, CallScript(keys=["5", "5", "5", "1"]))
    assert t.variables["CHANNEL(language)"] == "en"


def test_hanging_up_part_way_keeps_the_answers(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine)
    full = survey_call(survey_agi, placed_call(engine), CallScript(keys=["5", "1"]))
    # hang up during the third question (attitude), after two answers
    third = [i for i, c in enumerate(full.commands) if c.startswith("GET DATA")][2]
    t = survey_call(survey_agi, placed, CallScript(keys=["5", "1"], hangup_at=third))
    assert t.closed_cleanly
    answers = response_of(engine, placed)
    assert answers is not None
    assert (answers.timeliness, answers.skill, answers.attitude) == (5, 1, None)
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PARTIAL
    assert job_of(engine, placed).status is JobStatus.SCHEDULED
    assert call_of(engine, placed).disposition == "partial"
    mine = [t.kind for t in tasks(engine) if t.job_id == placed.job]
    assert mine == [TaskKind.SUPERVISOR_FOLLOW_UP]  # skill 1: the supervisor follows it up


def test_hanging_up_at_any_command_ends_the_attempt_once(
    survey_agi: FastAGIServer, engine: Engine
) -> None:
    length = len(survey_call(survey_agi, placed_call(engine), CallScript(keys=["4"] * 4)).commands)
    for index in range(0, length, 3):
        placed = placed_call(engine)
        t = survey_call(survey_agi, placed, CallScript(keys=["4"] * 4, hangup_at=index))
        assert t.closed_cleanly, index
        outcome = attempt_of(engine, placed).outcome
        assert outcome in (AttemptOutcome.PARTIAL, AttemptOutcome.COMPLETED), (index, outcome)


def test_9_opts_out(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine)
    t = survey_call(survey_agi, placed, CallScript(keys=["2", "9", "1"]))
    assert "hotline/survey-opted_out" in t.files
    assert attempt_of(engine, placed).outcome is AttemptOutcome.OPTED_OUT
    assert job_of(engine, placed).status is JobStatus.OPTED_OUT
    with Session(engine) as s:
        assert s.get_one(Resident, placed.resident).survey_opt_out


def test_no_input_ends_the_call_for_a_later_try(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine)
    t = survey_call(survey_agi, placed, CallScript(keys=[None, None]))
    assert t.files[-1] == "hotline/survey-later" and t.hung_up_by_server
    assert attempt_of(engine, placed).outcome is AttemptOutcome.PARTIAL
    assert response_of(engine, placed) is None


def test_invalid_keys_skip_a_question(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine)
    survey_call(survey_agi, placed, CallScript(keys=["7", "8", "4", "4", "1"]))
    answers = response_of(engine, placed)
    assert answers is not None
    assert (answers.timeliness, answers.skill, answers.attitude, answers.solved) == (
        None,
        4,
        4,
        True,
    )
    assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED


def test_an_answering_machine_is_left_politely(survey_agi: FastAGIServer, engine: Engine) -> None:
    placed = placed_call(engine)
    t = survey_call(survey_agi, placed, CallScript(), amd="MACHINE")
    assert t.files == ["hotline/outbound-machine"] and t.hung_up_by_server
    assert attempt_of(engine, placed).outcome is AttemptOutcome.MACHINE
    assert job_of(engine, placed).status is JobStatus.SCHEDULED


def test_an_unknown_attempt_is_hung_up_on(survey_agi: FastAGIServer, engine: Engine) -> None:
    env = environment("survey", port=survey_agi.port) + [("agi_arg_1", "999999")]
    t = call(survey_agi.port, CallScript(), env)
    assert t.hung_up_by_server and t.files == []


def test_a_notice_plays_its_recording(survey_agi: FastAGIServer, engine: Engine) -> None:
    payload = {"message": "停水通知", "recording": "hotline/notices/water-off"}
    placed = placed_call(engine, purpose=JobPurpose.NOTICE, payload=payload)
    t = survey_call(survey_agi, placed, CallScript(keys=["1", None]))
    assert t.files.count("hotline/notices/water-off") == 2
    assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED


def test_a_notice_with_words_only_plays_them_as_built_for_its_campaign(
    survey_agi: FastAGIServer, engine: Engine
) -> None:
    placed = placed_call(engine, purpose=JobPurpose.NOTICE, payload={"message": "停水通知"})
    t = survey_call(survey_agi, placed, CallScript(keys=[None]))
    built = "hotline/" + message_name("停水通知").replace(".", "-")
    assert t.files.count(built) == 1 and t.files[0] == "hotline/notice-intro"


def test_the_comment_recorded_on_asterisk_is_kept_with_the_call(
    survey_agi: FastAGIServer, engine: Engine, tmp_path: Path
) -> None:
    placed = placed_call(engine)
    survey_call(survey_agi, placed, CallScript(keys=["4", "4", "4", "1"]))
    sounds = tmp_path / "sounds"
    uniqueid = call_of(engine, placed).provider_call_id
    (sounds / "hotline" / "comments").mkdir(parents=True)
    tone(sounds / "hotline" / "comments" / f"{uniqueid}.wav", hz=440, rate=8000, seconds=1.0)
    speech = SpeechService(FakeEngine(words="师傅 很 专业"), timeout_s=5)
    with Session(engine) as s:
        done = collect_recordings(
            s,
            tools=AudioTools(),
            source=RecordingSource(asterisk_sounds_dir=sounds),
            data_dir=tmp_path / "data",
            speech=speech,
            on_transcript=comment_to_survey,
        )
    speech.close()
    assert [(kept.call_id, kept.kind) for kept in done.stored] == [
        (call_of(engine, placed).id, "survey-comment")
    ]
    answers = response_of(engine, placed)  # the transcript is the survey's written comment
    assert done.transcribed == 1 and answers is not None and answers.comment == "师傅 很 专业"


def test_the_agi_service_routes_survey_to_the_survey_script(engine: Engine, config: Config) -> None:
    server = build_server(config, engine, host="127.0.0.1", port=0)
    server.start()
    try:
        placed = placed_call(engine)
        env = environment("survey", port=server.port, uniqueid="1763877600.900")
        t = call(server.port, CallScript(keys=["5", "5", "5", "1"]), env + [
            ("agi_arg_1", str(placed.attempt))
        ])  # fmt: skip
        assert "HOTLINE_QUEUE" not in t.variables  # not the unknown-script fallback
        assert "hotline/survey-thanks" in t.files
        assert attempt_of(engine, placed).outcome is AttemptOutcome.COMPLETED
    finally:
        server.shutdown()
        server.server_close()
