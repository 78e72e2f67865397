"""Recordings to text: decoding with ffmpeg, fetching (Twilio's recordings), failures kept small."""

from __future__ import annotations

import base64
import http.server
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio.speech import AudioDecodeError, SpeechService, decode, fetch, transcribe
from tests.speech.fakes import tone

SID, TOKEN = "AC" + "0" * 32, "secret-token"


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


class _Recordings(http.server.BaseHTTPRequestHandler):
    """Twilio's recording resource: basic auth with the account SID and token."""

    body = b""

    def do_GET(self) -> None:  # noqa: N802
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/x-wav")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recordings(tmp_path: Path) -> Iterator[str]:
    _Recordings.body = _wav(tmp_path / "r.wav", tone(300), 8000).read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recordings)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/2010-04-01/Accounts/{SID}/Recordings/RE1"
    server.shutdown()
    server.server_close()


def test_given_a_twilio_recording_when_fetched_with_the_account_then_transcribed(
    fake_speech: SpeechService, recordings: str
) -> None:
    data = fetch(recordings + ".wav", auth=(SID, TOKEN))
    assert data[:4] == b"RIFF"
    assert transcribe(fake_speech, data) == "漏水"


def test_given_wrong_credentials_when_fetching_then_a_decode_error(recordings: str) -> None:
    with pytest.raises(AudioDecodeError, match="401"):
        fetch(recordings + ".wav", auth=(SID, "wrong"))
