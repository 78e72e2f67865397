"""Recordings to text: decoding with ffmpeg at the model's rate, failures kept small."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from audio.speech import AudioDecodeError, SpeechService, decode, transcribe
from tests.speech.fakes import tone


def _wav(path: Path, pcm: bytes, rate: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


def test_given_an_8khz_wav_when_decoded_for_a_16khz_model_then_twice_the_samples(
    tmp_path: Path,
) -> None:
    wav = _wav(tmp_path / "m.wav", tone(500), 8000)
    pcm = decode(wav, 16000)
    assert abs(len(pcm) - 16000) <= 64  # 0.5 s at 16 kHz, 16-bit
    assert decode(wav.read_bytes(), 8000) == tone(500)


def test_given_a_file_that_is_not_audio_when_transcribed_then_none_and_counted(
    fake_speech: SpeechService, tmp_path: Path
) -> None:
    junk = tmp_path / "message.wav"
    junk.write_text("not audio")
    with pytest.raises(AudioDecodeError, match="could not decode"):
        decode(junk, 16000)
    assert transcribe(fake_speech, junk) is None
    assert fake_speech.health()["failures"] == 1


def test_given_speech_off_when_transcribing_then_none_without_decoding(tmp_path: Path) -> None:
    assert transcribe(SpeechService(None), tmp_path / "missing.wav") is None


def test_given_a_recording_when_transcribed_then_the_models_rate_is_fed(
    fake_speech: SpeechService, tmp_path: Path
) -> None:
    wav = _wav(tmp_path / "m.wav", tone(400), 8000)
    assert transcribe(fake_speech, wav) == "漏水"
    made = fake_speech.engine.made  # type: ignore[union-attr]
    assert [(r.rate, r.grammar) for r in made] == [(16000, None)]
