"""Speech for a gather on a FastAGI session: keys and words, whichever comes first.

The AGI script cannot read the caller's audio itself, and ``AudioSocket()`` run on
the caller's channel would hang the caller up when the server ends it. So the
caller's voice is copied to a second leg: the script puts the caller in a spy
group of its own and originates a Local channel whose one side spies on that
group (``ChanSpy`` with ``o``: the caller's voice only, not the prompts) and
whose other side runs ``AudioSocket()`` to this server. Ending the leg (our
hangup frame) ends only the Local channel. The dialplan it needs is shipped in
deploy/asterisk/extensions.conf (``[hotline-audiosocket]``, ``[hotline-spy]``):

    [hotline-audiosocket]   ; Local/<hex>@hotline-audiosocket
    exten => _[0-9a-f].,1,Answer()
     same => n,AudioSocket(<${EXTEN} as a dashed UUID>,${HOTLINE_AUDIOSOCKET})
     same => n,Hangup()
    [hotline-spy]
    exten => _[0-9a-f].,1,ChanSpy(,qoESg(${EXTEN}))

While the leg listens, the script polls the keypad with ``WAIT FOR DIGIT`` in
short steps and the result with :meth:`Listening.poll`, so the menu moves on
as soon as either arrives.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Protocol

from audio.speech.engine import UNKNOWN_WORD
from audio.speech.recognizer import SpeechService
from ivr.audiosocket.server import AudioSocketServer, Heard, Listening
from ivr.flow import Gather

log = logging.getLogger(__name__)

LISTEN_CONTEXT = "hotline-audiosocket"
SPY_CONTEXT = "hotline-spy"
POLL_MS = 50  # keypad polling step: the most a spoken answer waits to be noticed
MAX_SPEAKING_S = 8.0  # past the gather's timeout, how long a caller mid-sentence is heard out


class AGIChannel(Protocol):
    """What this needs of ``ivr.agi.channel.Channel``."""

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]: ...


@dataclasses.dataclass
class SpeechGather:
    """Opens a listening leg for a speech gather and waits for keys or words."""

    server: AudioSocketServer
    speech: SpeechService
    poll_ms: int = POLL_MS

    def start(self, channel: AGIChannel, gather: Gather) -> Listening | None:
        """Before the prompt plays: announce the gather and have Asterisk open the leg.

        None when speech is off or the gather takes keys only; the caller then uses
        the keypad as before.
        """
        if not gather.speech or not self.speech.enabled:
            return None
        grammar = self.speech.grammar(gather.language, gather.hints)
        if not grammar or grammar == [UNKNOWN_WORD]:
            return None  # the model knows none of the menu's words (another language's model)
        listening = self.server.expect(grammar=grammar)
        group = listening.uuid.hex
        channel.execute("SET VARIABLE", "SPYGROUP", group)
        # exten type, 5 arguments, then the 'a' option: do not wait for the leg to answer
        channel.execute(
            "EXEC", "Originate", f"Local/{group}@{LISTEN_CONTEXT},exten,{SPY_CONTEXT},{group},1,,a"
        )
        return listening

    def wait(self, channel: AGIChannel, listening: Listening, timeout_s: float) -> Heard | None:
        """After the prompt: the first key or the words heard, or None after ``timeout_s``.

        A caller still speaking at the timeout is heard out (up to MAX_SPEAKING_S).
        The recogniser has a hard bound, the speech service's ``timeout_s``: words
        not ready that long after the end of speech, or a recogniser that falls that
        far behind the caller's voice, are given up on at once (the caller has spoken
        and is waiting: None, and the menu is asked again); a leg that has not
        connected that long after the prompt ended, or that failed, leaves the keys
        to count until the timeout. Either way ``listening.failed`` is set and the
        caller's script takes the keypad for the rest of the call. The leg is hung
        up on the way out.
        """
        started = time.monotonic()
        deadline = started + timeout_s
        try:
            while True:
                heard = listening.poll()
                if heard is not None:
                    return heard
                now = time.monotonic()
                if not listening.done and self._too_slow(listening, now, started):
                    return None
                if now >= deadline and (
                    listening.done or not listening.heard_speech or now > deadline + MAX_SPEAKING_S
                ):
                    return None
                key = self._key(channel, self.poll_ms)
                if key:
                    return Heard(digits=key)
        finally:
            listening.cancel()

    def _too_slow(self, listening: Listening, now: float, started: float) -> bool:
        """Give up on the words past the recogniser's bound; true: stop waiting now."""
        bound = self.speech.timeout_s
        if listening.ended_at and now - listening.ended_at > bound:
            self._give_up(listening, "words not ready in time after end of speech")
            return True
        if listening.behind_s(now) > bound:
            self._give_up(listening, f"recogniser over {bound:g}s behind the caller")
            return True
        if not listening.connected.is_set() and now - started > bound:
            self._give_up(listening, "the AudioSocket leg never connected")
        return False

    def _give_up(self, listening: Listening, problem: str) -> None:
        self.speech.record(ok=False, problem=problem, late=True)
        listening.fail(problem)

    @staticmethod
    def _key(channel: AGIChannel, ms: int) -> str:
        """``WAIT FOR DIGIT``: ``200 result=0`` for none, else the key's ASCII code."""
        code = channel.execute("WAIT FOR DIGIT", ms)["result"][0]
        return chr(int(code)) if code not in ("", "0") else ""
