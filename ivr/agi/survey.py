"""The hotline's own calls over one FastAGI session (``agi://host:4573/survey``).

The dialer originates the call into the survey context (:mod:`ivr.dialer.asterisk`);
once the resident answers, the dialplan runs::

    same => n,AMD()                                  ; optional: answering-machine detection
    same => n,AGI(agi://127.0.0.1/survey,${HOTLINE_ATTEMPT_ID},${AMDSTATUS})

The attempt comes from the first argument (``agi_arg_1``), else from the channel
variable ``HOTLINE_ATTEMPT_ID``; ``AMDSTATUS`` MACHINE (second argument or variable)
leaves a short goodbye and ends the attempt MACHINE. Otherwise the survey or message
flow (:mod:`ivr.flow.dialout`) runs to its end: prompts played from the project's
sounds (:func:`audio.speak.sequence`), keys read with GET DATA, the comment recorded
with RECORD FILE. Each step's record is written as it happens
(:mod:`ivr.campaign_calls`): a hang-up part-way keeps the answers so far.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session

from audio.catalogue import message_name
from audio.speak import sequence
from ivr import campaign_calls, flow
from ivr.agi.channel import Channel
from ivr.agi.exceptions import AGIChannelError, ChannelHungUp
from ivr.agi.inbound import ESCAPE_DIGITS, LANGUAGE_DIRS, sound_file
from ivr.flow import dialout
from ivr.flow.outbound import MESSAGE, OutboundStep
from models import Call, CallEvent, utcnow
from models.escalation import Publish, announce
from models.outbound import AttemptOutcome, OutboundAttempt, OutboundJob

log = logging.getLogger(__name__)

PROVIDER = "asterisk"
ATTEMPT_VARIABLE = "HOTLINE_ATTEMPT_ID"
MACHINE = "MACHINE"  # AMD()'s AMDSTATUS for an answering machine


@dataclasses.dataclass
class SurveyScript:
    """Runs the outbound flows for each answered call Asterisk sends to ``/survey``."""

    sessions: Callable[[], Session]
    region: str = "CN"
    recordings_dir: str = "hotline/comments"  # relative to Asterisk's sounds directory
    clock: Callable[[], dt.datetime] = utcnow
    publish: Publish | None = None  # the bus: an on-call acceptance is seen live

    def __call__(self, channel: Channel) -> None:
        _Run(script=self, channel=channel).go()


@dataclasses.dataclass
class _Run:
    """One answered outbound call: its channel, its attempt and the flow's state."""

    script: SurveyScript
    channel: Channel
    correlation: str = ""
    language: str = ""
    community_code: str = ""

    def go(self) -> None:
        try:
            self.correlation = f"attempt-{self._argument(1, ATTEMPT_VARIABLE)}"
            step = self._start()
            while step is not None:
                step = self._turn(step)
        except ChannelHungUp:
            log.info("%s: the resident hung up before the flow began", self.correlation)
            self._ended(AttemptOutcome.PARTIAL)
        except Exception:
            log.exception("%s: survey script failed; hanging up", self.correlation)
            self._ended(AttemptOutcome.FAILED)
            self._drop()

    def _argument(self, n: int, variable: str) -> str:
        """The dialplan's ``n``-th AGI argument, else the channel variable."""
        value = self.channel.env.get(f"agi_arg_{n}", "").strip()
        return value or (self.channel.get_variable(variable) or "").strip()

    def _start(self) -> OutboundStep | None:
        """Open the call's record; the flow's first step, or None (machine, unknown)."""
        now = self.script.clock()
        uniqueid = self.channel.env.get("agi_uniqueid", "")
        with self.script.sessions() as session:
            found = campaign_calls.find(session, self.correlation)
            if found is None or found[0].outcome is not AttemptOutcome.PLACED:
                log.warning("%s: no attempt waiting for this call; hanging up", self.correlation)
                self.channel.hangup()
                return None
            attempt, job = found
            call = campaign_calls.open_call(
                session,
                attempt,
                job,
                provider=PROVIDER,
                provider_call_id=uniqueid,
                now=now,
                region=self.script.region,
            )
            if self._argument(2, "AMDSTATUS").upper() == MACHINE:
                self._machine(session, call, attempt, job, now)
                return None
            ctx = campaign_calls.context(session, attempt, job)
            self.community_code = ctx.community.code
            step = dialout.start(ctx)
            campaign_calls.keep(session, call, attempt, job, step.actions, now=now)
            session.commit()
            announce(session, self.script.publish)
        return step

    def _machine(
        self,
        session: Session,
        call: Call,
        attempt: OutboundAttempt,
        job: OutboundJob,
        now: dt.datetime,
    ) -> None:
        data = {"by": "AMD"}
        session.add(CallEvent(call_id=call.id, at=now, kind="outbound.machine", data=data))
        call.disposition, call.disposition_step, call.ended_at = "machine", "answer", now
        campaign_calls.end(session, attempt, job, AttemptOutcome.MACHINE, now=now)
        session.commit()
        announce(session, self.script.publish)
        self._play(flow.Say("outbound.machine", {}, job.language), escape="")
        self.channel.hangup()

    def _turn(self, step: OutboundStep) -> OutboundStep | None:
        """Play a step; the next one, or None once the call has ended."""
        try:
            event = self._perform(step.actions)
        except ChannelHungUp:
            event = flow.events.Hangup()
        if event is None:
            return None
        following = dialout.handle(step.state, event)
        self._keep(following)
        return None if isinstance(event, flow.events.Hangup) else following

    def _keep(self, step: OutboundStep) -> None:
        now = self.script.clock()
        with self.script.sessions() as session:
            found = campaign_calls.find(session, self.correlation)
            if found is None:
                return
            attempt, job = found
            call = session.get(Call, attempt.call_id) if attempt.call_id else None
            if call is not None:
                campaign_calls.keep(session, call, attempt, job, step.actions, now=now)
            session.commit()
            announce(session, self.script.publish)

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
                case flow.actions.Hangup():
                    self.channel.hangup()
                case flow.Close():
                    return None
        return event

    def _pieces(self, say: flow.Say) -> list[str]:
        if say.prompt == MESSAGE:  # the campaign's recording, else its words as built
            recording = str(say.params.get("recording") or "")
            text = str(say.params.get("text") or "")
            if recording or text.strip():
                return [recording or sound_file(message_name(text))]
            log.warning("%s: a message with no words or recording", self.correlation)
            return []
        return [sound_file(name) for name in sequence(say, self.community_code)]

    def _play(self, say: flow.Say, escape: str) -> str:
        """Play a prompt; the key that interrupted it, or ''."""
        self._set_language(say.language)
        for name in self._pieces(say):
            result = self.channel.execute("STREAM FILE", name, f'"{escape}"', 0)
            code = result["result"][0]
            if code not in ("", "0"):
                return chr(int(code))
        return ""

    def _set_language(self, language: str) -> None:
        if language != self.language:
            self.channel.set_variable("CHANNEL(language)", LANGUAGE_DIRS.get(language, "zh"))
            self.language = language

    def _gather(self, gather: flow.Gather) -> flow.Event:
        """The prompts interruptible by a key, GET DATA on the last piece."""
        played = [(say, name) for say in gather.prompts for name in self._pieces(say)]
        if not played:
            played = [(flow.Say("silence.1", {}, gather.language), sound_file("silence.1"))]
        self._set_language(gather.language)
        for _say, name in played[:-1]:
            result = self.channel.execute("STREAM FILE", name, f'"{ESCAPE_DIGITS}"', 0)
            code = result["result"][0]
            if code not in ("", "0"):
                return flow.Digits(chr(int(code)))
        digits = self.channel.get_data(
            played[-1][1], int(gather.timeout_s * 1000), gather.max_digits
        )
        return flow.Digits(digits) if digits else flow.NoInput()

    def _record(self, record: flow.Record) -> flow.Event:
        """The prompt, then RECORD FILE until # or 5 s of silence; Asterisk keeps the file."""
        self._play(flow.Say(record.prompt, {}, record.language), escape="")
        uniqueid = self.channel.env.get("agi_uniqueid", "call")
        path = f"{self.script.recordings_dir}/{uniqueid}"
        result = self.channel.execute(
            "RECORD FILE", f'"{path}"', "wav", '"#"', record.max_seconds * 1000, 0, "beep", "s=5"
        )
        samples = int(result.get("endpos", ("0", ""))[0] or 0)
        return flow.RecordingDone(ref=f"asterisk:{path}.wav", seconds=samples / 8000)

    def _ended(self, outcome: AttemptOutcome) -> None:
        """The attempt ends ``outcome`` unless the flow already ended it (tried again later)."""
        try:
            with self.script.sessions() as session:
                found = campaign_calls.find(session, self.correlation)
                if found is not None:
                    now = self.script.clock()
                    campaign_calls.end(session, *found, outcome, now=now)
                    session.commit()
                    announce(session, self.script.publish)
        except Exception:
            log.exception("%s: the attempt's end could not be recorded", self.correlation)

    def _drop(self) -> None:
        try:
            self.channel.hangup()
        except (AGIChannelError, OSError):
            pass
