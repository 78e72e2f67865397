"""Real audio tools on real files: ffmpeg, ffprobe, sox and espeak-ng from Debian."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from audio.tools import AudioTools

TOOLS = ("ffmpeg", "ffprobe", "sox", "espeak-ng")


@pytest.fixture(scope="session")
def tools() -> AudioTools:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run `make system`")
    return AudioTools()


def tone(
    path: Path,
    *,
    hz: int,
    rate: int,
    seconds: float,
    amplitude: float = 0.5,
    channels: int = 1,
    pad_s: float = 0.0,
) -> Path:
    """A sine tone written by sox, with ``pad_s`` of silence before and after it."""
    command = ["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", "16", str(path)]
    command += ["synth", str(seconds), "sine", str(hz), "vol", str(amplitude)]
    if pad_s:
        command += ["pad", str(pad_s), str(pad_s)]
    subprocess.run(command, check=True, capture_output=True)
    return path


def sox_stats(path: Path, *input_options: str) -> dict[str, str]:
    """``sox stats`` of a file (RMS lev dB, Pk lev dB, Length s …)."""
    command = ["sox", *input_options, str(path), "-n", "stats"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    out: dict[str, str] = {}
    for line in done.stderr.splitlines():
        label, _, value = line.rpartition(" ")
        if label.strip():
            out[label.strip()] = value
    return out
