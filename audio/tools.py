"""The one adapter over the audio tools: ffmpeg, ffprobe and a text-to-speech command.

Everything that runs a subprocess for audio goes through :meth:`AudioTools.run`,
so tests and callers see one place where tools are found, run and fail. Services
(the prompt build, stored recordings) receive an :class:`AudioTools`, never call
``subprocess`` themselves.

Resampling is ffmpeg's ``aresample`` filter with the SoX resampler: it low-passes
before decimating. pydub's ``set_frame_rate`` (``audioop.ratecv``) does not, so a
5 kHz tone taken from 44.1 kHz to 8 kHz folds back to 3 kHz almost at full level
(the tests measure both).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import shlex
import shutil
import subprocess
import wave
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audio.exceptions import ToolFailed, ToolMissing

DEFAULT_TTS_COMMAND = "espeak-ng -v {voice} -w {output} {text}"
# espeak-ng's voices: Mandarin is ``cmn`` (its ``zh`` alias reads Latin letters as pinyin).
DEFAULT_VOICES: Mapping[str, str] = {"zh-CN": "cmn", "en": "en"}
TELEPHONE_RATE = 8000
WEB_RATE = 22050
RESAMPLE = "aresample={rate}:resampler=soxr:precision=28"
# Leading and trailing silence: everything quieter than -50 dBFS, leaving 50 ms of it.
# silenceremove trims only the start, so the end is trimmed reversed. 100 ms of silence
# is added at both ends first: ffmpeg 5.1's silenceremove passes nothing at all when
# its input starts loud right away (a reversed recording that ends mid-word).
_TRIM_START = "silenceremove=start_periods=1:start_threshold=-50dB:start_silence=0.05"
TRIM = f"adelay=delays=100:all=1,apad=pad_dur=0.1,{_TRIM_START},areverse,{_TRIM_START},areverse"
# No encoder tags or dates in the files: the same input gives the same bytes.
_BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
_ASTATS = "astats=measure_perchannel=none"
_STAT = re.compile(r"^\[Parsed_astats[^\]]*\]\s*(?P<key>[^:]+):\s*(?P<value>\S+)", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Level:
    """How loud a file is: RMS and sample peak in dBFS, and its length in seconds."""

    rms_db: float
    peak_db: float
    seconds: float


@dataclasses.dataclass(frozen=True)
class Outputs:
    """Where one rendering writes: the telephone formats and the web file."""

    wav: Path  # 8 kHz mono 16-bit PCM WAV
    sln: Path  # the same samples, headerless (Asterisk's signed linear)
    ulaw: Path  # G.711 mu-law, headerless
    gsm: Path  # GSM 06.10 frames
    web: Path  # MP3 for Twilio's <Play> and the browser

    def all(self) -> list[Path]:
        return [self.wav, self.sln, self.ulaw, self.gsm, self.web]


class AudioTools:
    """Runs ffmpeg, ffprobe and the TTS command; their failures become AudioErrors.

    :param tts_command: a command line with ``{voice}``, ``{output}`` and ``{text}``
        placeholders, each replaced inside its own argument (no shell).
    """

    def __init__(
        self,
        *,
        ffmpeg: str = "ffmpeg",
        ffprobe: str = "ffprobe",
        tts_command: str = "",
        voices: Mapping[str, str] | None = None,
        timeout_s: float = 120.0,
    ) -> None:
        self.ffmpeg = ffmpeg
        self.ffprobe = ffprobe
        self.tts_command = tts_command or DEFAULT_TTS_COMMAND
        self.voices = dict(voices or DEFAULT_VOICES)
        self.timeout_s = timeout_s

    def run(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        """Run one tool to completion: its exit status, standard output and error.

        :raises ToolMissing: when the program is not on the PATH.
        :raises ToolFailed: on a non-zero exit status or a timeout.
        """
        if shutil.which(argv[0]) is None:
            raise ToolMissing(argv[0])
        try:
            done = subprocess.run(
                list(argv), capture_output=True, text=True, timeout=self.timeout_s, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ToolFailed(argv[0], -1, f"timed out after {self.timeout_s} s") from exc
        if done.returncode != 0:
            raise ToolFailed(argv[0], done.returncode, done.stderr or done.stdout)
        return done

    def synthesise(self, text: str, language: str, output: Path) -> None:
        """Speak ``text`` in ``language`` into the WAV file ``output``."""
        voice = self.voices.get(language, language)
        values = {"voice": voice, "output": str(output), "text": text}
        argv = [part.format_map(values) for part in shlex.split(self.tts_command)]
        self.run(argv)
        if not output.exists() or output.stat().st_size == 0:
            raise ToolFailed(argv[0], 0, f"wrote no audio to {output}")

    def trim(self, source: Path, output: Path) -> Level:
        """Any file ffmpeg reads → mono 16-bit WAV at its own rate, silence trimmed; its level."""
        said = self.run(
            [self.ffmpeg, "-nostdin", "-y", "-v", "info", "-i", str(source), "-vn"]
            + ["-af", f"aformat=channel_layouts=mono,{TRIM},{_ASTATS}", "-c:a", "pcm_s16le"]
            + [*_BITEXACT, str(output)]
        ).stderr
        return _level(said, _wav_seconds(output))

    def silence(self, seconds: float, output: Path) -> Level:
        """A WAV file of digital silence."""
        self.run(
            [self.ffmpeg, "-nostdin", "-y", "-v", "error", "-f", "lavfi"]
            + ["-i", f"anullsrc=r={TELEPHONE_RATE}:cl=mono", "-t", f"{seconds:.3f}"]
            + ["-c:a", "pcm_s16le", *_BITEXACT, str(output)]
        )
        return Level(rms_db=-math.inf, peak_db=-math.inf, seconds=_wav_seconds(output))

    def level(self, path: Path) -> Level:
        """RMS and sample-peak level (ffmpeg's astats) and duration of any audio file."""
        said = self.run(
            [self.ffmpeg, "-nostdin", "-v", "info", "-i", str(path), "-vn"]
            + ["-af", _ASTATS, "-f", "null", "-"]
        ).stderr
        return _level(said, float(self.probe(path)["format"].get("duration", 0.0)))

    def render(self, source: Path, gain_db: float, outputs: Outputs) -> None:
        """Apply ``gain_db`` and write every telephone format and the web file in one run."""
        graph = (
            f"[0:a]volume={gain_db:.2f}dB,asplit=2[tel][webin];"
            f"[tel]{RESAMPLE.format(rate=TELEPHONE_RATE)},"
            "aformat=sample_fmts=s16:channel_layouts=mono,asplit=4[w][s][u][g];"
            f"[webin]{RESAMPLE.format(rate=WEB_RATE)},aformat=channel_layouts=mono[web]"
        )
        argv = [self.ffmpeg, "-nostdin", "-y", "-v", "error", "-i", str(source)]
        argv += ["-filter_complex", graph]
        argv += ["-map", "[w]", "-c:a", "pcm_s16le", *_BITEXACT, str(outputs.wav)]
        argv += ["-map", "[s]", "-c:a", "pcm_s16le", "-f", "s16le", str(outputs.sln)]
        argv += ["-map", "[u]", "-c:a", "pcm_mulaw", "-f", "mulaw", str(outputs.ulaw)]
        argv += ["-map", "[g]", "-c:a", "libgsm", "-f", "gsm", str(outputs.gsm)]
        argv += ["-map", "[web]", "-c:a", "libmp3lame", "-b:a", "48k", *_BITEXACT]
        argv += [str(outputs.web)]
        self.run(argv)

    def convert(
        self, source: Path, output: Path, *, rate: int, codec: str, fmt: str = "", bitrate: str = ""
    ) -> None:
        """One file → mono at ``rate`` in ``codec``; ``fmt`` defaults to the name's suffix."""
        self.run(
            [self.ffmpeg, "-nostdin", "-y", "-v", "error", "-i", str(source), "-vn"]
            + ["-af", f"aformat=channel_layouts=mono,{RESAMPLE.format(rate=rate)}"]
            + ["-c:a", codec, *(["-b:a", bitrate] if bitrate else [])]
            + [*(["-f", fmt] if fmt else []), *_BITEXACT, str(output)]
        )

    def probe(self, path: Path) -> dict[str, Any]:
        """ffprobe's description of a file: its ``format`` and ``streams``."""
        argv = [self.ffprobe, "-v", "error", "-print_format", "json"]
        argv += ["-show_format", "-show_streams", str(path)]
        data: dict[str, Any] = json.loads(self.run(argv).stdout)
        return data


def _level(said: str, seconds: float) -> Level:
    """The levels astats wrote for the whole file (its ``Overall`` section comes last)."""
    stats = {m["key"].strip(): m["value"] for m in _STAT.finditer(said)}
    rms, peak = stats.get("RMS level dB", "-inf"), stats.get("Peak level dB", "-inf")
    return Level(rms_db=_db(rms), peak_db=_db(peak), seconds=seconds)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def _db(value: str) -> float:
    """astats writes ``-inf`` for silence."""
    try:
        return float(value)
    except ValueError:
        return float("-inf")
