"""Callers' recordings converted and kept with their call (real ffmpeg, checked with ffprobe)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.exceptions import BadRecording, ToolFailed
from audio.recordings import recording_path, store_recording, stored_kinds
from audio.tools import AudioTools
from tests.audio.conftest import tone


def test_a_voicemail_is_kept_as_telephone_wav_and_browser_mp3(
    tools: AudioTools, tmp_path: Path
) -> None:
    source = tone(tmp_path / "in.wav", hz=440, rate=44100, seconds=1.5, channels=2)
    data = tmp_path / "data"
    kept = store_recording(tools, source, data_dir=data, call_id=42, kind="voicemail")
    assert kept.wav == data / "recordings/42/voicemail.wav"
    assert kept.mp3 == recording_path(data, 42, "voicemail") == data / "recordings/42/voicemail.mp3"
    assert kept.seconds == pytest.approx(1.5, abs=0.01)
    (wav,) = tools.probe(kept.wav)["streams"]
    assert (wav["codec_name"], wav["sample_rate"], wav["channels"]) == ("pcm_s16le", "8000", 1)
    (mp3,) = tools.probe(kept.mp3)["streams"]
    assert (mp3["codec_name"], mp3["sample_rate"], mp3["channels"]) == ("mp3", "16000", 1)
    assert sorted(p.name for p in kept.wav.parent.iterdir()) == ["voicemail.mp3", "voicemail.wav"]
    assert stored_kinds(data, 42) == ["voicemail"]
    assert stored_kinds(data, 43) == []


def test_a_second_recording_of_a_kind_replaces_the_first(tools: AudioTools, tmp_path: Path) -> None:
    data = tmp_path / "data"
    for seconds in (1.0, 0.5):
        source = tone(tmp_path / f"{seconds}.wav", hz=440, rate=8000, seconds=seconds)
        kept = store_recording(tools, source, data_dir=data, call_id=7, kind="survey-comment")
    assert kept.seconds == pytest.approx(0.5, abs=0.01)
    assert stored_kinds(data, 7) == ["survey-comment"]


@pytest.mark.parametrize(("kind", "fmt"), [("../etc", "mp3"), ("Voicemail", "mp3"), ("a", "ogg")])
def test_names_outside_the_layout_are_refused(tmp_path: Path, kind: str, fmt: str) -> None:
    with pytest.raises(BadRecording):
        recording_path(tmp_path, 1, kind, fmt)


def test_an_unreadable_recording_is_not_kept(tools: AudioTools, tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF nonsense")
    with pytest.raises(ToolFailed, match="ffmpeg failed"):
        store_recording(tools, bad, data_dir=tmp_path, call_id=1, kind="voicemail")
    assert stored_kinds(tmp_path, 1) == []
    assert list((tmp_path / "recordings/1").iterdir()) == []
