"""What can go wrong in speech recognition.

SpeechError
├── ModelUnavailable   the configured Vosk model cannot be loaded (missing, unreadable, not a model)
└── AudioDecodeError   a recording ffmpeg cannot turn into PCM (missing tool, corrupt file)
"""


class SpeechError(Exception):
    """Base of the speech service's errors."""


class ModelUnavailable(SpeechError):
    """The Vosk model named by ``HOTLINE_VOSK_MODEL`` cannot be loaded."""


class AudioDecodeError(SpeechError):
    """A recording could not be decoded to 16-bit mono PCM."""
