"""Errors of the audio tools, the prompt catalogue and stored recordings.

HotlineError (hotline.exceptions)
└── AudioError             anything audio that an operator has to act on
    ├── ToolMissing        ffmpeg, ffprobe or the TTS command is not installed
    ├── ToolFailed         a tool ran and failed; the last line of what it said
    ├── UnknownPrompt      a name the catalogue does not have, in that language
    └── BadRecording       a recording that cannot be stored (unknown kind, unreadable audio)
"""

from __future__ import annotations

from hotline.exceptions import HotlineError


class AudioError(HotlineError):
    """Base of the audio errors."""


class ToolMissing(AudioError):
    """A command-line tool the pipeline needs is not installed."""

    def __init__(self, tool: str) -> None:
        super().__init__(f"{tool} is not installed (Debian: `make system` installs it)")
        self.tool = tool


class ToolFailed(AudioError):
    """A tool exited with an error."""

    def __init__(self, tool: str, status: int, stderr: str) -> None:
        last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
        super().__init__(f"{tool} failed (exit status {status}): {last}")
        self.tool = tool
        self.status = status
        self.stderr = stderr


class UnknownPrompt(AudioError):
    """A prompt or piece the catalogue has no entry for."""

    def __init__(self, name: str, language: str) -> None:
        super().__init__(f"no prompt {name!r} in {language} in the catalogue")
        self.name = name
        self.language = language


class BadRecording(AudioError):
    """A recording that cannot be stored."""
