"""Prompt conversion on real files, checked with sox and ffprobe: formats, length, level."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

from audio.build import PromptBuilder
from audio.catalogue import Catalogue, CommunityName, Entry, build_catalogue
from audio.exceptions import ToolFailed, ToolMissing
from audio.tools import AudioTools, Outputs
from tests.audio.conftest import sox_stats, tone

TARGET = -20.0


def outputs_in(folder: Path) -> Outputs:
    names = {fmt: folder / f"out.{fmt}" for fmt in ("wav", "sln", "ulaw", "gsm")}
    return Outputs(web=folder / "out.mp3", **names)


def rms(path: Path, *options: str) -> float:
    return float(sox_stats(path, *options)["RMS lev dB"])


def test_given_a_5khz_tone_at_44k1_when_resampled_to_8k_then_it_is_filtered_not_aliased(
    tools: AudioTools, tmp_path: Path
) -> None:
    source = tone(tmp_path / "tone.wav", hz=5000, rate=44100, seconds=2, amplitude=0.5)
    assert rms(source) == pytest.approx(-9.0, abs=0.2)
    out = outputs_in(tmp_path)
    tools.render(source, 0.0, out)
    ours = rms(out.wav)
    assert ours < -45.0  # 5 kHz is above 8 kHz's 4 kHz Nyquist: it must be removed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pydub imports audioop
        from pydub import AudioSegment

    aliased = tmp_path / "pydub.wav"
    with source.open("rb") as fh, aliased.open("wb") as out:  # pydub leaves paths open
        AudioSegment.from_wav(fh).set_frame_rate(8000).export(out, format="wav")
    theirs = rms(aliased)
    assert theirs > -12.0  # folded back to 3 kHz at nearly full level
    assert theirs - ours > 30.0


def test_telephone_and_web_formats(tools: AudioTools, tmp_path: Path) -> None:
    master = tone(tmp_path / "m.wav", hz=1000, rate=44100, seconds=1.0, channels=2, pad_s=0.5)
    builder = PromptBuilder(tools=tools, prompts_dir=tmp_path / "p", loudness_db=TARGET)
    entry = Entry("test.tone", "en", "a tone", master=master)
    built = builder.build_entry(entry)
    out = builder.outputs(entry)
    assert out.wav == tmp_path / "p/asterisk/en/hotline/test-tone.wav"
    assert out.web == tmp_path / "p/web/en/test-tone.mp3"

    (wav,) = tools.probe(out.wav)["streams"]
    assert (wav["codec_name"], wav["sample_rate"], wav["channels"]) == ("pcm_s16le", "8000", 1)
    assert wav["bits_per_sample"] == 16
    samples = int(wav["duration_ts"])
    assert 1.0 <= samples / 8000 <= 1.15  # 0.5 s of silence trimmed each side, 50 ms kept
    assert built.seconds == pytest.approx(samples / 8000, abs=0.02)
    assert out.sln.stat().st_size == 2 * samples
    assert out.ulaw.stat().st_size == samples
    assert out.gsm.stat().st_size == 33 * math.ceil(samples / 160)  # 33-byte frames of 20 ms
    (mp3,) = tools.probe(out.web)["streams"]
    assert (mp3["codec_name"], mp3["sample_rate"], mp3["channels"]) == ("mp3", "22050", 1)

    raw = ("-r", "8000", "-c", "1")
    assert rms(out.wav) == pytest.approx(TARGET, abs=0.3)
    assert rms(out.sln, "-t", "raw", "-e", "signed", "-b", "16", *raw) == pytest.approx(
        TARGET, abs=0.3
    )
    assert rms(out.ulaw, "-t", "ul", *raw) == pytest.approx(TARGET, abs=0.5)
    assert rms(out.gsm, "-t", "gsm", *raw) == pytest.approx(TARGET, abs=1.5)
    assert tools.level(out.web).rms_db == pytest.approx(TARGET, abs=0.5)


def test_a_loud_peak_lowers_the_gain_rather_than_clip(tools: AudioTools, tmp_path: Path) -> None:
    quiet = tone(tmp_path / "q.wav", hz=440, rate=16000, seconds=1.0, amplitude=0.01)
    burst = tone(tmp_path / "b.wav", hz=440, rate=16000, seconds=0.001, amplitude=0.9)
    master = tmp_path / "peaky.wav"
    tools.run(
        ["sox", str(quiet), str(burst), str(master)]  # the quiet tone, then the burst
    )
    builder = PromptBuilder(tools=tools, prompts_dir=tmp_path / "p", loudness_db=TARGET)
    built = builder.build_entry(Entry("peaky", "zh-CN", "", master=master))
    stats = sox_stats(builder.outputs(Entry("peaky", "zh-CN", "")).wav)
    assert float(stats["Pk lev dB"]) <= -0.5
    assert float(stats["RMS lev dB"]) < TARGET - 10
    assert built.peak_db == pytest.approx(-1.0, abs=0.01)


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-CN", "正在为您转接报修服务，请稍候。"), ("en", "Connecting you to our repair service.")],
)
def test_synthesised_speech_in_each_language(
    tools: AudioTools, tmp_path: Path, language: str, text: str
) -> None:
    builder = PromptBuilder(tools=tools, prompts_dir=tmp_path, loudness_db=TARGET)
    entry = Entry("route.repair", language, text)
    built = builder.build_entry(entry)
    wav = builder.outputs(entry).wav
    stats = sox_stats(wav)
    assert 1.0 < float(stats["Length s"]) < 6.0
    assert TARGET - 1.5 <= float(stats["RMS lev dB"]) <= TARGET + 0.5
    assert float(stats["Pk lev dB"]) <= -0.5
    assert built.seconds == pytest.approx(float(stats["Length s"]), abs=0.02)
    assert wav.parent.parent.name == {"zh-CN": "zh", "en": "en"}[language]


def test_silence_is_not_trimmed_away(tools: AudioTools, tmp_path: Path) -> None:
    builder = PromptBuilder(tools=tools, prompts_dir=tmp_path)
    entry = Entry("silence.1", "en", "", silence_s=1.0)
    builder.build_entry(entry)
    stats = sox_stats(builder.outputs(entry).wav)
    assert float(stats["Length s"]) == pytest.approx(1.0, abs=0.001)
    assert stats["RMS lev dB"] == "-inf"


def test_the_tts_command_is_configurable(tmp_path: Path) -> None:
    # A stand-in "synthesiser": 0.8 s of a tone, whatever the words.
    tools = AudioTools(tts_command="sox -n -r 16000 -c 1 {output} synth 0.8 sine 300")
    builder = PromptBuilder(tools=tools, prompts_dir=tmp_path)
    built = builder.build_entry(Entry("menu.invalid", "en", "Sorry."))
    assert built.seconds == pytest.approx(0.8 + 2 * 0.05, abs=0.01)  # 50 ms of silence each end


def test_tool_failures_say_which_tool(tmp_path: Path) -> None:
    missing = AudioTools(tts_command="no-such-synthesiser {output} {text}")
    with pytest.raises(ToolMissing, match="no-such-synthesiser"):
        missing.synthesise("hello", "en", tmp_path / "x.wav")
    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("not audio")
    with pytest.raises(ToolFailed, match="ffmpeg failed"):
        AudioTools().trim(not_audio, tmp_path / "t.wav")


VALUE_KINDS = {"char", "clock", "community", "digit", "month", "number", "ordinal", "status"}


def one_of_each_kind() -> Catalogue:
    """In each language: a value piece of every kind, a word, a silence and a prompt part."""
    everything = build_catalogue([CommunityName("SH01", "阳光花园", "Sunshine Garden")])
    chosen: dict[tuple[str, str], Entry] = {}
    for entry in everything:
        kind = entry.name.split(".")[0]
        if kind not in VALUE_KINDS | {"word", "silence"}:
            kind = "prompt" if entry.text else "empty prompt head"
        chosen.setdefault((entry.language, kind), entry)
    return Catalogue(chosen.values())


def test_every_kind_of_catalogue_entry_builds_to_audible_sound_at_the_target(
    tools: AudioTools, tmp_path: Path
) -> None:
    sample = one_of_each_kind()
    assert len(sample) == 2 * (len(VALUE_KINDS) + 3) + 1  # only zh-CN has an empty head
    builder = PromptBuilder(tools=tools, prompts_dir=tmp_path, loudness_db=TARGET)
    assert len(builder.build(sample).built) == len(sample)
    for entry in sample:
        stats = sox_stats(builder.outputs(entry).wav)
        if entry.silence_s:
            assert float(stats["Length s"]) == pytest.approx(entry.silence_s, abs=0.001)
            continue
        assert float(stats["Length s"]) > 0.2, entry
        assert TARGET - 3 <= float(stats["RMS lev dB"]) <= TARGET + 0.5, entry
