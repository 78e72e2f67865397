"""The inbound hotline flow run over one FastAGI session (``agi://host:4573/hotline``).

The flow decides; this module plays its prompts, reads the keypad, answers its
lookups and records the call. When the flow routes the call it sets the channel
variables the dialplan reads and returns, and the dialplan runs ``Queue()``.

Speech: with a :class:`~ivr.audiosocket.gather.SpeechGather` (a model loaded and
the AudioSocket server up), a spoken menu opens a listening leg before its
prompt plays, looks for words between the prompt's pieces and then waits for
the end of speech or a key instead of ``GET DATA``. Where Asterisk and Hotline
share a disk, :class:`~ivr.agi.recorded.RecordedSpeech` is the fallback: the
answer is recorded (``RECORD FILE``) and recognised. A recogniser that fails or
is late leaves that call on the keypad from then on.

Fail-safe: whatever goes wrong in our code (an exception, the database out), the
channel still gets a queue — the caller's choice if known, emergency staying
emergency, otherwise inquiry — and the call record is kept (spooled if need be).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from audio.speak import sequence as pieces
from ivr import calls, flow
from ivr.agi.channel import Channel
from ivr.agi.exceptions import AGIChannelError, ChannelHungUp
from ivr.agi.recorded import RecordedSpeech
from ivr.audiosocket.gather import SpeechGather
from ivr.audiosocket.server import Heard, Listening
from ivr.recorder import CallRecorder
from models import utcnow
from models.lookup import cached_e164

log = logging.getLogger(__name__)

ESCAPE_DIGITS = "0123456789*#"
PROVIDER = "asterisk"
LANGUAGE_DIRS = {"zh-CN": "zh", "en": "en"}  # Asterisk's sounds/<language>/ folders


def sound_file(piece: str) -> str:
    """Where a prompt piece lives under Asterisk's sounds/<language>/ folder."""
    return "hotline/" + piece.replace(".", "-")


@dataclasses.dataclass
class InboundScript:
    """Runs the inbound flow for each call Asterisk sends to ``/hotline``."""

    sessions: Callable[[], Session]
    spool_dir: Path
    readers: Callable[[], Session] | None = None  # read-only sessions; default: sessions
    region: str = "CN"
    recordings_dir: str = "hotline/messages"  # relative to Asterisk's sounds directory
    clock: Callable[[], dt.datetime] = utcnow
    communities: calls.CommunityDirectory = dataclasses.field(
        default_factory=calls.CommunityDirectory
    )
    speech: SpeechGather | None = None  # live speech over AudioSocket, when served
    recorded: RecordedSpeech | None = None  # else RECORD FILE then recognition (shared disk)

    def __call__(self, channel: Channel) -> None:
        run = _Run(script=self, channel=channel)
        run.go()

    def read(self) -> AbstractContextManager[calls.Reader]:
        """A connection (or a session) for lookups made while the caller waits.

        The lookups are Core statements: on an engine's connection they skip the
        Session's set-up, which costs more than they do.
        """
        maker = self.readers or self.sessions
        bind = getattr(maker, "kw", {}).get("bind")
        return bind.connect() if isinstance(bind, Engine) else maker()


def _known(value: str | None) -> str:
    """Asterisk writes ``unknown`` for a number the carrier did not send."""
    return "" if value in (None, "", "unknown") else value


@dataclasses.dataclass
class _Run:
    """One call: its channel, record and current flow state."""

    script: InboundScript
    channel: Channel
    state: flow.State | None = None
    language: str = ""
    closed: bool = False
    community_code: str = ""
    keypad_only: bool = False  # speech failed earlier in this call
    gathers: int = 0

    def go(self) -> None:
        env = self.channel.env
        uniqueid = env.get("agi_uniqueid", "")
        self.recorder = CallRecorder(
            sessions=self.script.sessions,
            spool_dir=self.script.spool_dir,
            provider=PROVIDER,
            provider_call_id=uniqueid,
        )
        try:
            step = flow.start(self._context(uniqueid, env))
            while True:
                self.state = step.state
                event = self._perform(step.actions)
                if event is None:
                    return
                step = flow.handle(step.state, event)
        except ChannelHungUp:
            self._caller_hung_up()
        except Exception:
            log.exception("call %s: inbound flow failed; routing by the fail-safe", uniqueid)
            self._fail_safe()

    def _context(self, uniqueid: str, env: dict[str, str]) -> flow.CallContext:
        """Look the caller up and open the call record; an unknown caller if the database is out."""
        caller = env.get("agi_callerid", "")
        dialled = _known(env.get("agi_dnid")) or _known(env.get("agi_extension"))
        now = self.script.clock()
        community_id = None
        try:
            with self.script.read() as session:
                community = self.script.communities.find(session, dialled, self.script.region)
                community_id = community.id if community else None
                ctx = calls.build_context(
                    session,
                    call_id=uniqueid,
                    caller=caller,
                    community=community,
                    region=self.script.region,
                    now=now,
                )
        except SQLAlchemyError as exc:
            log.error("call %s: database unavailable, caller treated as unknown: %s", uniqueid, exc)
            ctx = calls.unknown_context(uniqueid, now)
        self.community_code = ctx.community.code
        self.recorder.start(
            caller_number=caller,
            caller_e164=cached_e164(caller, self.script.region),
            dialled_number=dialled,
            community_id=community_id,
            started_at=now.isoformat(),
        )
        return ctx

    def _perform(self, actions: list[flow.Action]) -> flow.Event | None:
        """Run a step's actions; the event they produce, or None once the call is closed."""
        event: flow.Event | None = None
        for action in actions:
            match action:
                case flow.Say():
                    self._play(action, escape="")
                case flow.Gather():
                    event = self._gather(action)
                case flow.Record():
                    event = self._record(action)
                case flow.Lookup():
                    event = self._lookup(action)
                case flow.LogEvent(kind=kind, data=data):
                    self.recorder.event(kind, data)
                case flow.Route():
                    self._set_route(action)
                case flow.Transfer(number=number) if self.state is not None:
                    # The dialplan dials the number; if that fails it queues as emergency.
                    self._set_route(flow.fallback_route(self.state), transfer=number)
                case flow.Close(disposition=disposition, step=step):
                    self.recorder.close(disposition, step)
                    self.closed = True
                    return None
                case flow.actions.Hangup():
                    self.channel.hangup()
        return event

    def _set_language(self, language: str) -> None:
        if language != self.language:
            code = LANGUAGE_DIRS.get(language, "zh")
            self.channel.set_variable("CHANNEL(language)", code)
            self.language = language

    def _play(self, say: flow.Say, escape: str) -> str:
        """Play a prompt and its values; the key that interrupted it, or ''."""
        return self._stream(pieces(say, self.community_code), say.language, escape)

    def _stream(self, names: list[str], language: str, escape: str) -> str:
        self._set_language(language)
        for name in names:
            result = self.channel.execute("STREAM FILE", sound_file(name), f'"{escape}"', 0)
            code = result["result"][0]
            if code not in ("", "0"):
                return chr(int(code))
        return ""

    def _gather(self, gather: flow.Gather) -> flow.Event:
        """Keys, or keys and words when the gather takes speech and speech is up."""
        self.gathers += 1
        if gather.speech and not self.keypad_only:
            if self.script.speech is not None:
                listening = self._start_listening(gather)
                if listening is not None:
                    return self._gather_live(gather, listening)
            elif self.script.recorded is not None and self.script.recorded.takes(gather):
                return self._gather_recorded(gather, self.script.recorded)
        return self._gather_keys(gather)

    def _pieces(self, gather: flow.Gather) -> list[tuple[str, str]]:
        """The gather's prompt as (language, sound) pieces; a second's silence if none."""
        played = [
            (say.language, name)
            for say in gather.prompts
            for name in pieces(say, self.community_code)
        ]
        return played or [(gather.language, "silence.1")]

    def _gather_keys(self, gather: flow.Gather) -> flow.Event:
        """Every piece but the last interruptible by a key; GET DATA on the last.

        GET DATA ends on ``#`` or after ``max_digits`` keys and replies
        ``200 result=<digits>``, or ``200 result= (timeout)`` when nothing was typed.
        """
        played = self._pieces(gather)
        key = ""
        for language, name in played[:-1]:
            key = self._stream([name], language, ESCAPE_DIGITS)
            if key:
                break
        if key and (gather.max_digits == 1 or key == "#"):
            return flow.Digits(key)
        language, last = played[-1]
        self._set_language(language)
        return self._more_digits(gather, key, sound_file("silence.1" if key else last))

    def _more_digits(self, gather: flow.Gather, key: str, sound: str) -> flow.Event:
        """``GET DATA`` for the rest of a number whose first key (if any) is ``key``."""
        rest = self.channel.get_data(
            sound, int(gather.timeout_s * 1000), gather.max_digits - len(key)
        )
        digits = key + (rest or "")
        return flow.Digits(digits) if digits else flow.NoInput()

    def _start_listening(self, gather: flow.Gather) -> Listening | None:
        """Open the listening leg; None (keypad) when speech cannot be had for this gather."""
        assert self.script.speech is not None
        try:
            return self.script.speech.start(self.channel, gather)
        except AGIChannelError:
            raise
        except Exception:
            log.exception("call %s: speech could not start", self.channel.env.get("agi_uniqueid"))
            self._keypad_from_now("speech could not start")
            return None

    def _gather_live(self, gather: flow.Gather, listening: Listening) -> flow.Event:
        """The prompt with words looked for between its pieces, then words or a key."""
        assert self.script.speech is not None
        heard: Heard | None = None
        try:
            for language, name in self._pieces(gather):
                heard = listening.poll()
                if heard is not None:
                    break  # the caller spoke over the prompt
                key = self._stream([name], language, ESCAPE_DIGITS)
                if key:
                    heard = Heard(digits=key)
                    break
            else:
                heard = self.script.speech.wait(self.channel, listening, gather.timeout_s)
        finally:
            listening.cancel()
        if listening.failed:
            self._keypad_from_now(listening.reason)
        return self._event(gather, heard)

    def _gather_recorded(self, gather: flow.Gather, recorded: RecordedSpeech) -> flow.Event:
        """The prompt interruptible by a key, then the answer recorded and recognised."""
        key = ""
        for language, name in self._pieces(gather):
            key = self._stream([name], language, ESCAPE_DIGITS)
            if key:
                return self._event(gather, Heard(digits=key))
        name = f"{self.channel.env.get('agi_uniqueid', 'call')}-{self.gathers}"
        heard, failure = recorded.listen(self.channel, gather, name)
        if failure:
            self._keypad_from_now(failure)
        return self._event(gather, heard)

    def _event(self, gather: flow.Gather, heard: Heard | None) -> flow.Event:
        """The flow's event for what was heard; a first key of a longer number asks for the rest."""
        if heard is None:
            return flow.NoInput()
        if heard.text:
            return flow.Speech(heard.text)
        key = heard.digits
        if gather.max_digits == 1 or key == "#" or len(key) >= gather.max_digits:
            return flow.Digits(key)
        return self._more_digits(gather, key, sound_file("silence.1"))

    def _keypad_from_now(self, reason: str) -> None:
        """Speech failed on this call: the rest of its menus take the keypad only."""
        if not self.keypad_only:
            self.keypad_only = True
            self.recorder.event("speech.keypad", {"reason": reason})

    def _record(self, record: flow.Record) -> flow.Event:
        """Play the prompt and record until # or silence; Asterisk keeps the file."""
        self._play(flow.Say(record.prompt, {}, record.language), escape="")
        path = f"{self.script.recordings_dir}/{self.channel.env.get('agi_uniqueid', 'call')}"
        result = self.channel.execute(
            "RECORD FILE", f'"{path}"', "wav", '"#"', record.max_seconds * 1000, 0, "beep", "s=5"
        )
        samples = int(result.get("endpos", ("0", ""))[0] or 0)
        return flow.RecordingDone(ref=f"asterisk:{path}.wav", seconds=samples / 8000)

    def _lookup(self, lookup: flow.Lookup) -> flow.Event:
        code = str(lookup.params.get("community", ""))
        try:
            with self.script.read() as session:
                return calls.answer_lookup(session, lookup, code)
        except SQLAlchemyError as exc:
            log.error("lookup %s failed, database unavailable: %s", lookup.kind, exc)
            return flow.LookupResult(kind=lookup.kind, data={})

    def _set_route(self, route: flow.Route, transfer: str = "") -> None:
        """The channel variables the dialplan queues by; the call record's queue."""
        self.recorder.update(
            queue=route.queue,
            priority=route.priority,
            resident_id=route.resident_id,
            unit_id=route.unit_id,
        )
        values = {
            "HOTLINE_CALL_ID": str(self.recorder.call_id or ""),
            "HOTLINE_QUEUE": route.queue,
            "HOTLINE_PRIORITY": str(route.priority),
            "HOTLINE_RESIDENT_ID": str(route.resident_id or ""),
            "HOTLINE_UNIT_ID": str(route.unit_id or ""),
            "HOTLINE_TRANSFER": transfer,
        }
        for name, value in values.items():
            self.channel.set_variable(name, value)

    def _caller_hung_up(self) -> None:
        """Close the call as the flow says: abandoned at this step, or self-served."""
        if self.closed:
            return
        if self.state is None:
            self.recorder.close("abandoned", "start")
        elif isinstance(self.state, flow.Closed):  # gone during the last announcement
            self.recorder.close("abandoned", self.state.step)
        else:
            step = flow.handle(self.state, flow.events.Hangup())
            self._record_only(step.actions)

    def _record_only(self, actions: list[flow.Action]) -> None:
        """The actions of a step whose channel is gone: only the record is kept."""
        for action in actions:
            if isinstance(action, flow.LogEvent):
                self.recorder.event(action.kind, action.data)
            elif isinstance(action, flow.Close):
                self.recorder.close(action.disposition, action.step)
                self.closed = True

    def _fail_safe(self) -> None:
        """Our fault, not the caller's: queue the call anyway and keep its record.

        If even the channel variables cannot be set, the dialplan's own default
        (inquiry) queues the call when the AGI returns (deploy/asterisk).
        """
        route = flow.fallback_route(self.state) if self.state else flow.Route("inquiry", 10)
        step = self.state.name if self.state else "start"
        self.recorder.event("call.error", {"step": step, "queue": route.queue})
        try:
            self._set_route(route)
        except AGIChannelError as exc:
            log.error("fail-safe could not set the queue (%s); the dialplan default applies", exc)
        self.recorder.close("queued", step)
