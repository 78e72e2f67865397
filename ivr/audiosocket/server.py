"""The AudioSocket server: the caller's voice, live, into a per-call recogniser.

The AGI script announces a gather with :meth:`AudioSocketServer.expect` (a fresh
UUID, the menu's grammar), has Asterisk open ``AudioSocket(uuid,host:port)`` on a
leg that hears the caller, and waits on the returned :class:`Listening` while
also reading keys. Asterisk connects, sends the uuid frame, then 20 ms slin
frames; each goes into the call's :class:`~audio.speech.Utterance`. At the end
of speech the text is handed to the waiter and the server sends a hangup frame,
which ends that AudioSocket leg (never the caller's own channel).

Nothing here can hold a call: the waiter gives up at its own deadline and takes
the keypad, and a connection that sends garbage, an error frame, or nothing at
all for ``read_timeout`` seconds is closed with the waiter told "no speech".
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import socketserver
import threading
import time
import uuid as uuidlib

from audio.speech.recognizer import SpeechService, Utterance
from ivr.audiosocket import protocol
from ivr.audiosocket.exceptions import AudioSocketError, PeerError, ProtocolError
from ivr.audiosocket.protocol import Kind

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 5.0  # Asterisk sends a frame every 20 ms while the leg is up
MAX_SPEECH_S = 15.0  # a menu answer longer than this is cut and recognised as it stands
EXPECT_TTL_S = 120.0  # an announced gather whose leg never connected is forgotten


@dataclasses.dataclass(frozen=True)
class Heard:
    """What the caller gave on the AudioSocket leg: words, or a key."""

    text: str = ""
    digits: str = ""


class Listening:
    """One announced gather: the waiter's side of a call's AudioSocket leg."""

    def __init__(self, call: uuidlib.UUID, grammar: list[str] | None) -> None:
        self.uuid = call
        self.grammar = grammar
        self.created = time.monotonic()
        self.connected = threading.Event()
        self.heard_speech = False  # the caller has started speaking
        self.ended_at = 0.0  # monotonic time the end of speech was decided
        self.reason = ""  # why nothing was heard: no speech, error, cancelled…
        self.failed = False  # the recogniser failed or was too slow: keypad for the call
        self.audio_s = 0.0  # seconds of the caller's audio fed to the recogniser
        self.busy_s = 0.0  # seconds the recogniser took over it
        self.feeding_since = 0.0  # monotonic start of the feed in progress, 0 between feeds
        self._done = threading.Event()
        self._cancelled = threading.Event()
        self._heard: Heard | None = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def wait(self, timeout: float) -> Heard | None:
        """What was heard, or None (nothing, an error, or not within ``timeout`` seconds)."""
        self._done.wait(timeout)
        return self._heard

    def poll(self) -> Heard | None:
        """What was heard so far, without waiting."""
        return self._heard if self.done else None

    def cancel(self) -> None:
        """The waiter has moved on (a key, a timeout): hang up the leg, drop the result."""
        self._cancelled.set()
        self.finish(None, "cancelled")

    def finish(self, heard: Heard | None, reason: str = "") -> None:
        """Hand the result to the waiter (first call wins)."""
        if not self._done.is_set():
            self._heard = heard
            self.reason = reason
            self._done.set()

    def fail(self, reason: str) -> None:
        """The recogniser failed or fell behind: nothing more will be heard on this call."""
        self.failed = True
        self.finish(None, reason)

    def behind_s(self, now: float) -> float:
        """How far the recogniser is behind the caller's voice: work time beyond audio time.

        Asterisk sends audio in real time, so a recogniser that takes longer over
        the audio than the audio lasts falls behind by the difference (gaps in the
        audio do not count: they are neither work nor audio).
        """
        feeding = now - self.feeding_since if self.feeding_since else 0.0
        return self.busy_s + feeding - self.audio_s


class AudioSocketServer(socketserver.ThreadingTCPServer):
    """A threaded TCP server speaking AudioSocket, one recogniser per connection."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        speech: SpeechService,
        read_timeout: float = READ_TIMEOUT_S,
        max_speech_s: float = MAX_SPEECH_S,
    ) -> None:
        self.speech = speech
        self.read_timeout = read_timeout
        self.max_speech_s = max_speech_s
        self._expected: dict[uuidlib.UUID, Listening] = {}
        self._lock = threading.Lock()
        self.connections = 0  # open now, for health
        super().__init__(address, _Connection)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> threading.Thread:
        """Serve in a background thread (for ``hotline serve`` and tests)."""
        thread = threading.Thread(target=self.serve_forever, name="audiosocket", daemon=True)
        thread.start()
        return thread

    def expect(
        self, call: uuidlib.UUID | str | None = None, *, grammar: list[str] | None = None
    ) -> Listening:
        """Announce a gather; Asterisk's leg must connect with this UUID."""
        key = call if isinstance(call, uuidlib.UUID) else uuidlib.UUID(call) if call else None
        listening = Listening(key or uuidlib.uuid4(), grammar)
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, v in self._expected.items() if now - v.created > EXPECT_TTL_S]:
                self._expected.pop(stale).finish(None, "never connected")
            self._expected[listening.uuid] = listening
        return listening

    def opened(self, change: int) -> None:
        """Count a connection opening (+1) or closing (-1)."""
        with self._lock:
            self.connections += change

    def claim(self, call: uuidlib.UUID) -> Listening | None:
        """The gather a new connection belongs to (each is claimed once)."""
        with self._lock:
            return self._expected.pop(call, None)

    def health(self) -> dict[str, object]:
        """For ``/healthz``: where it listens and how busy it is."""
        host, port = self.server_address[:2]
        with self._lock:
            waiting = len(self._expected)
        return {
            "listening": f"{host!s}:{port}",
            "connections": self.connections,
            "waiting": waiting,
        }


class _Connection(socketserver.BaseRequestHandler):
    """One AudioSocket leg: uuid frame, audio frames, then hangup (from either side)."""

    server: AudioSocketServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(self.server.read_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = sock.makefile("rb")
        self.server.opened(+1)
        listening: Listening | None = None
        try:
            listening = self._claim()
            if listening is not None:
                self._listen(listening)
        except (AudioSocketError, OSError) as exc:  # OSError: timeouts, resets
            log.warning("AudioSocket from %s: %s", self.client_address, exc)
            if listening is not None:
                listening.fail(f"error: {exc}")
        except Exception as exc:  # a recogniser's own fault must not take the server down
            log.exception("AudioSocket %s: recogniser failed", listening and listening.uuid)
            self.server.speech.record(ok=False, problem=f"recogniser failed: {exc}")
            if listening is not None:
                listening.fail("error")
        finally:
            self.server.opened(-1)
            self._hang_up(sock)

    def _read(self) -> protocol.Frame | None:
        frame = protocol.read_frame(self._reader.read)
        if frame is not None and frame.kind is Kind.ERROR:
            code = frame.payload[0] if frame.payload else 0
            raise PeerError(f"Asterisk sent an error frame (code 0x{code:02x})")
        return frame

    def _claim(self) -> Listening | None:
        frame = self._read()
        if frame is None:
            return None
        if frame.kind is not Kind.UUID:
            raise ProtocolError(f"the first frame must be the uuid, not {frame.kind.name}")
        listening = self.server.claim(frame.uuid())
        if listening is None:
            log.warning(
                "AudioSocket leg %s was not announced by any call; hanging up", frame.uuid()
            )
            return None
        listening.connected.set()
        return listening

    def _listen(self, listening: Listening) -> None:
        utterance = self.server.speech.utterance(grammar=listening.grammar)
        if utterance is None:
            listening.finish(None, "speech is off")
            return
        deadline = time.monotonic() + self.server.max_speech_s
        why = "cancelled"
        while not listening.cancelled:
            frame = self._read()
            if frame is None or frame.kind is Kind.HANGUP:
                why = "caller gone"
                break
            if frame.kind is Kind.UUID:
                raise ProtocolError("a second uuid frame on one connection")
            if frame.kind is Kind.DTMF:
                listening.finish(Heard(digits=frame.payload.decode("ascii", "replace")))
                return
            if self._feed(listening, utterance, frame.payload):
                why = ""
                break
            listening.heard_speech = utterance.heard_speech
            if time.monotonic() > deadline:
                why = "too long"
                break
        self._heard(listening, utterance, why)

    @staticmethod
    def _feed(listening: Listening, utterance: Utterance, pcm: bytes) -> bool:
        """One frame into the recogniser, timed for :meth:`Listening.behind_s`."""
        listening.feeding_since = started = time.monotonic()
        try:
            return utterance.feed(pcm)
        finally:
            listening.busy_s += time.monotonic() - started
            listening.audio_s += len(pcm) / (protocol.SLIN_RATE * 2)
            listening.feeding_since = 0.0

    def _heard(self, listening: Listening, utterance: Utterance, why: str) -> None:
        """End of speech (or of the leg): the text to the waiter, the outcome to health."""
        listening.ended_at = utterance.ended_at or time.monotonic()
        text = utterance.text()
        self.server.speech.record(ok=True)
        if text:
            listening.finish(Heard(text=text))
        else:
            listening.finish(None, why or "no words recognised")

    def _hang_up(self, sock: socket.socket) -> None:
        """Tell Asterisk to end this leg (a hangup frame), then close."""
        try:
            sock.sendall(protocol.encode(Kind.HANGUP))
        except OSError:
            pass  # Asterisk already closed its end
        try:
            self._reader.close()
        except OSError:
            pass
