"""Speech recognition with Vosk: menus by grammar, messages by free transcription.

    speech = SpeechService.from_config(config)        # one per process; off without a model
    words = speech.grammar(gather.language, gather.hints)
    text = speech.recognise(pcm, rate=8000, grammar=words)   # None: use the keypad
    text = transcribe(speech, Path("message.wav"))           # a recording, any rate

Live audio from Asterisk arrives through :mod:`ivr.audiosocket`, which feeds an
:class:`Utterance` per call. The text goes to the flow as ``Speech(text)``; the
flow's intent rules (:mod:`ivr.flow.intents`) decide what it means.
"""

from audio.speech.engine import Engine, Recogniser, VoskEngine
from audio.speech.exceptions import AudioDecodeError, ModelUnavailable, SpeechError
from audio.speech.recognizer import TELEPHONY_RATE, SpeechService, Utterance
from audio.speech.transcribe import decode, transcribe

__all__ = [
    "TELEPHONY_RATE",
    "AudioDecodeError",
    "Engine",
    "ModelUnavailable",
    "Recogniser",
    "SpeechError",
    "SpeechService",
    "Utterance",
    "VoskEngine",
    "decode",
    "transcribe",
]
