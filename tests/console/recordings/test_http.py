"""Recordings play in the console for agents serving the call's community; prompts for anyone."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from audio.catalogue import web_urls
from audio.recordings import recording_dir
from audio.speak import sequence
from audio.speech.transcripts import save_transcript
from ivr.flow import Say
from models import AuditLog, Call, Direction
from tests.console.conftest import log_in


@pytest.fixture
def call_id(engine: Engine, estate: dict[str, int], app: Flask) -> int:
    """A call to 阳光花园 (SH01) with a voicemail kept."""
    with Session(engine) as s:
        call = Call(
            provider="asterisk",
            provider_call_id="1700000000.1",
            direction=Direction.INBOUND,
            community_id=estate["SH01"],
        )
        s.add(call)
        s.commit()
        found = call.id
    folder = recording_dir(app.config["HOTLINE"].data_dir, found)
    folder.mkdir(parents=True)
    (folder / "voicemail.mp3").write_bytes(b"ID3 not really an mp3")
    return found


def get(client: FlaskClient, url: str, **headers: str) -> tuple[int, bytes, str]:
    response = client.get(url, headers=headers)
    try:
        return response.status_code, response.get_data(), response.mimetype or ""
    finally:
        response.close()


def test_given_no_login_when_playing_then_sent_to_log_in(client: FlaskClient, call_id: int) -> None:
    response = client.get(f"/console/calls/{call_id}/recordings/voicemail.mp3")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("login", ["agent1", "supervisor1", "admin"])
def test_agents_serving_the_community_hear_it(
    client: FlaskClient, call_id: int, login: str
) -> None:
    log_in(client, login)
    status, body, mimetype = get(client, f"/console/calls/{call_id}/recordings/voicemail.mp3")
    assert (status, body, mimetype) == (200, b"ID3 not really an mp3", "audio/mpeg")


def test_an_agent_of_another_community_gets_404(client: FlaskClient, call_id: int) -> None:
    log_in(client, "agent3")
    assert get(client, f"/console/calls/{call_id}/recordings/voicemail.mp3")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "{id}/recordings/voicemail.wav",  # not kept in that format
        "{id}/recordings/survey-comment.mp3",  # no such recording
        "{id}/recordings/voicemail.ogg",  # not a format recordings are kept in
        "{id}/recordings/..%2Fvoicemail.mp3",
        "999999/recordings/voicemail.mp3",  # no such call
    ],
)
def test_what_does_not_exist_is_404(client: FlaskClient, call_id: int, path: str) -> None:
    log_in(client, "admin")
    assert get(client, "/console/calls/" + path.format(id=call_id))[0] == 404


def test_a_playback_is_audited_once_not_per_range(
    client: FlaskClient, call_id: int, engine: Engine
) -> None:
    log_in(client, "agent1")
    url = f"/console/calls/{call_id}/recordings/voicemail.mp3"
    assert get(client, url, Range="bytes=0-")[0] == 206
    assert get(client, url, Range="bytes=4-9")[:2] == (206, b"not re")
    with Session(engine) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.subject_type == "call_recording")).all()
    assert [(r.action, r.subject_id, r.detail) for r in rows] == [
        ("view", str(call_id), {"kind": "voicemail"})
    ]


def test_built_prompts_are_served_to_anyone(client: FlaskClient, app: Flask) -> None:
    folder = Path(app.config["HOTLINE"].data_dir) / "prompts/web/en"
    folder.mkdir(parents=True)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=0.2", str(folder / "menu-main.mp3")],
        check=True,
    )
    status, body, mimetype = get(client, "/prompts/en/menu-main.mp3")
    assert (status, mimetype) == (200, "audio/mpeg") and len(body) > 500
    assert get(client, "/prompts/en/menu-invalid.mp3")[0] == 404
    assert get(client, "/prompts/fr/menu-main.mp3")[0] == 404
    assert get(client, "/prompts/en/..%2F..%2Fmanifest.mp3")[0] == 404


def test_a_prompt_sequence_has_urls_the_app_serves(client: FlaskClient, app: Flask) -> None:
    names = sequence(Say("greeting.morning", {}, "en"), "SH01")
    urls = web_urls(names, "en", "https://hotline.example/")
    assert urls == [
        "https://hotline.example/prompts/en/greeting-morning.mp3",
        "https://hotline.example/prompts/en/community-SH01.mp3",
        "https://hotline.example/prompts/en/greeting-morning-part2.mp3",
    ]
    folder = Path(app.config["HOTLINE"].data_dir) / "prompts/web/en"
    folder.mkdir(parents=True)
    (folder / "community-SH01.mp3").write_bytes(b"ID3")
    assert get(client, urls[1].removeprefix("https://hotline.example"))[0] == 200


@pytest.fixture
def transcribed(engine: Engine, estate: dict[str, int], call_id: int) -> dict[str, int]:
    """The SH01 call's voicemail transcribed; a call to 翠湖苑 (SH02) with a transcript too."""
    with Session(engine) as s:
        other = Call(
            provider="asterisk",
            provider_call_id="1700000000.2",
            direction=Direction.INBOUND,
            community_id=estate["SH02"],
            caller_e164="+8613912345678",
        )
        s.add(other)
        s.flush()
        s.get_one(Call, call_id).caller_e164 = "+8613800138000"
        save_transcript(s, call_id=call_id, recording="voicemail", text="厨房 漏水 了", model="m")
        said = "楼道 漏水 100%"
        save_transcript(s, call_id=other.id, recording="voicemail", text=said, model="m")
        s.commit()
        return {"SH01": call_id, "SH02": other.id}


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-call="(\d+)">(.*?)</tr>', page, re.S)  # type: ignore[return-value]


def test_transcripts_are_searched_only_in_the_agents_communities_and_each_view_is_audited(
    client: FlaskClient, engine: Engine, transcribed: dict[str, int]
) -> None:
    log_in(client, "agent1")  # serves SH01 only
    page = client.get("/console/transcripts?q=漏水").get_data(as_text=True)
    [(shown, row)] = _rows(page)
    assert int(shown) == transcribed["SH01"]
    assert "厨房 漏水 了" in row and "阳光花园" in row
    assert "138****8000" in row and "13800138000" not in row  # masked, as every page shows it
    assert f'src="/console/calls/{shown}/recordings/voicemail.mp3"' in row  # kept: playable
    with Session(engine) as s:
        audits = s.scalars(select(AuditLog).where(AuditLog.subject_type == "call_recording"))
        assert [(a.action, a.subject_id, a.detail) for a in audits] == [
            ("view", shown, {"kind": "voicemail", "transcript": True})
        ]
    assert _rows(client.get("/console/transcripts?q=电梯").get_data(as_text=True)) == []


def test_a_supervisor_of_both_sees_both_newest_first_and_words_match_literally(
    client: FlaskClient, transcribed: dict[str, int]
) -> None:
    log_in(client, "admin")
    everything = _rows(client.get("/console/transcripts").get_data(as_text=True))
    assert [int(call) for call, _ in everything] == [transcribed["SH02"], transcribed["SH01"]]
    percent = _rows(client.get("/console/transcripts?q=100%25").get_data(as_text=True))
    assert [int(call) for call, _ in percent] == [transcribed["SH02"]]
    assert _rows(client.get("/console/transcripts?q=%25%25%25").get_data(as_text=True)) == []


@pytest.mark.parametrize(("language", "words"), [("en", "Transcripts"), ("zh-CN", "录音转写")])
def test_the_transcripts_page_speaks_the_agents_language(
    client: FlaskClient, transcribed: dict[str, int], language: str, words: str
) -> None:
    log_in(client, "agent1")
    page = client.get("/console/transcripts", headers={"Accept-Language": language})
    assert f"<h1>{words}</h1>" in page.get_data(as_text=True)
    assert 'href="/console/transcripts"' in client.get("/console/").get_data(as_text=True)


def test_transcripts_need_a_login(client: FlaskClient) -> None:
    response = client.get("/console/transcripts")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
