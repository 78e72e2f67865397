"""The hotline's own calls over Twilio: surveys, notices, fee reminders, senior care.

The dialer places a call with ``calls.create`` (``url``: ``/twilio/outbound/answer``,
``status_callback``: ``/twilio/outbound/status``, both with ``correlation_id=attempt-<id>``).

- ``/twilio/outbound/answer``: the call was answered. An answering machine
  (``AnsweredBy`` machine_* or fax) hears a short goodbye and the attempt ends MACHINE;
  a person hears the flow's first step (:mod:`ivr.flow.dialout`). TwiML.
- ``/twilio/outbound/step``: a ``<Gather>``'s or ``<Record>``'s action: the next step. TwiML.
- ``/twilio/outbound/recording``: the comment's recording is ready. 204.
- ``/twilio/outbound/status``: the call's status callback: unanswered (no-answer, busy,
  failed, canceled) ends the attempt so; completed while the flow was still asking is
  the resident hanging up part-way (the answers so far stay). 204.

The flow state is kept with the call (``Call.flow_state``, adapter ``twilio-outbound``),
numbered by ``seq`` so that a webhook Twilio sends twice gets the answer it had.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from audio.build import WebPrompts
from audio.fetch import RecordingSource
from ivr import campaign_calls, flow
from ivr.flow import dialout
from ivr.flow.outbound import MESSAGE, Ended, OutboundState, OutboundStep
from ivr.twilio import twiml
from ivr.twilio.document import response
from ivr.twilio.settings import TwilioSettings
from ivr.twilio.webhook import FINAL_STATUSES, Form, flow_event, seconds
from models import Call, CallEvent, utcnow
from models.escalation import Publish, announce
from models.outbound import AttemptOutcome

log = logging.getLogger(__name__)

EXTENSION = "hotline.twilio.outbound"  # app.extensions key of the OutboundWebhooks
TRANSCRIPTION = "hotline.transcription"  # app.extensions key of a TranscriptionQueue
SPEECH = "hotline.speech"  # app.extensions key of the SpeechService, where one is loaded
COMMENT = campaign_calls.COMMENT
ADAPTER = "twilio-outbound"
PROVIDER = "twilio"
PREFIX = f"{twiml.PREFIX}/outbound"
ANSWER = f"{PREFIX}/answer"
STEP = f"{PREFIX}/step"
RECORDING = f"{PREFIX}/recording"
STATUS = f"{PREFIX}/status"
MACHINE = ("machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax")


@dataclasses.dataclass(frozen=True)
class OutboundLinks(twiml.Links):
    """Our URLs for one outbound call: every one carries its correlation id."""

    correlation_id: str = ""

    def step(self, *, on: str = "", empty: bool = False) -> str:
        return self._url(
            STEP,
            correlation_id=self.correlation_id,
            seq=self.seq,
            on=on,
            empty="1" if empty else "",
        )

    def recording(self, purpose: str) -> str:
        return self._url(RECORDING, correlation_id=self.correlation_id, purpose=purpose)


def render(
    actions: Sequence[flow.Action], links: OutboundLinks, voice: twiml.PromptVoice = twiml.SPEAK
) -> str:
    """The TwiML of an outbound step; the campaign's message spoken or played as it is.

    :param voice: plays the prompts ``hotline prompts build`` made, speaks the rest.
    """
    document = response()
    for action in actions:
        match action:
            case flow.Say(prompt=prompt) if prompt == MESSAGE:
                _message(document, action)
            case flow.Say():
                voice.say(document, action)
            case flow.Gather():
                twiml._gather(document, action, links, voice)
            case flow.Record():
                twiml._record(document, action, links, voice)
            case flow.actions.Hangup():
                document.hangup()
    return document.to_xml()


def _message(document: Any, say: flow.Say) -> None:
    recording = str(say.params.get("recording") or "")
    if recording.startswith(("https://", "http://")):
        document.play(recording)
        return
    text = str(say.params.get("text") or "").strip()
    if text:
        voice = twiml.voice_for(say.language)
        document.say(text, voice=voice.voice, language=voice.say_language)


def failed() -> str:
    """What a resident hears when our own code fails mid-call: a goodbye, then we hang up."""
    goodbye = flow.Say("outbound.machine", {}, "zh-CN")
    return render([goodbye, flow.actions.Hangup()], OutboundLinks())


def transcriber(
    extensions: dict[str, Any], settings: TwilioSettings, sessions: Callable[[], Session]
) -> Callable[..., None] | None:
    """Where a recording goes to be transcribed, ``submit(call_id, url, recording=COMMENT)``
    (a survey comment, or ``voicemail``): only when a model is loaded."""
    speech = extensions.get(SPEECH)
    if speech is None or not getattr(speech, "enabled", False):
        return None
    queue = extensions.get(TRANSCRIPTION)
    if queue is None:
        queue = extensions[TRANSCRIPTION] = campaign_calls.CommentTranscription(speech, sessions)
        queue.start()
    source = RecordingSource(
        asterisk_sounds_dir=Path("."),
        twilio_account_sid=settings.account_sid,
        twilio_auth_token=settings.auth_token,
    )

    def submit(call_id: int, url: str, recording: str = COMMENT) -> None:
        queue.submit(call_id=call_id, recording=recording, source=lambda: _fetched(source, url))

    return submit


def _fetched(source: RecordingSource, url: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="hotline-comment-") as tmp:
        path = Path(tmp) / "comment.wav"
        source.fetch(url, path)
        return path.read_bytes()


@dataclasses.dataclass
class OutboundWebhooks:
    """The webhooks above, over the database; ``on_comment`` hears of each comment kept."""

    sessions: Callable[[], Session]
    region: str = "CN"
    clock: Callable[[], dt.datetime] = utcnow
    on_comment: Callable[[int, str], None] | None = None  # (call id, recording URL)
    publish: Publish | None = None  # the bus: an on-call acceptance is seen live
    prompts: WebPrompts | None = None  # the built prompts, played; None: all spoken

    def answer(self, form: Form, query: Form, base: str) -> str:
        """Answered: a machine is left politely; a person hears the flow's first step."""
        correlation = query.get("correlation_id", "")
        now = self.clock()
        with self.sessions() as session:
            found = campaign_calls.find(session, correlation)
            if found is None:
                log.warning("outbound answer for unknown %r: hanging up", correlation[:40])
                return twiml.hang_up()
            attempt, job = found
            call = campaign_calls.open_call(
                session,
                attempt,
                job,
                provider=PROVIDER,
                provider_call_id=form.get("CallSid", ""),
                now=now,
                region=self.region,
            )
            kept = call.flow_state or {}
            if kept.get("adapter") == ADAPTER and kept.get("twiml"):
                session.commit()
                announce(session, self.publish)
                return str(kept["twiml"])  # Twilio asked again
            if attempt.outcome is not AttemptOutcome.PLACED:
                session.commit()
                announce(session, self.publish)
                return twiml.hang_up()
            answered_by = form.get("AnsweredBy", "")
            if answered_by in MACHINE:
                xml = self._machine(session, call, attempt, job, answered_by, now, base)
            else:
                step = dialout.start(campaign_calls.context(session, attempt, job))
                xml = self._perform(session, call, attempt, job, step, 0, base, correlation, now)
            session.commit()
            announce(session, self.publish)
            return xml

    def _voice(self, community: str, base: str) -> twiml.PromptVoice:
        """Plays what is built of the prompts, speaks the rest (all of them: none built)."""
        if self.prompts is None:
            return twiml.SPEAK
        return twiml.PromptVoice(self.prompts.urls, community, base)

    def _machine(
        self,
        session: Session,
        call: Call,
        attempt: Any,
        job: Any,
        answered_by: str,
        now: dt.datetime,
        base: str,
    ) -> str:
        session.add(
            CallEvent(call_id=call.id, at=now, kind="outbound.machine", data={"by": answered_by})
        )
        call.disposition, call.disposition_step = AttemptOutcome.MACHINE.value, "answer"
        call.ended_at = now
        campaign_calls.end(session, attempt, job, AttemptOutcome.MACHINE, now=now)
        goodbye = flow.Say("outbound.machine", {}, job.language)
        voice = self._voice(campaign_calls.context(session, attempt, job).community.code, base)
        xml = render([goodbye, flow.actions.Hangup()], OutboundLinks(), voice)
        call.flow_state = {"adapter": ADAPTER, "seq": 0, "state": None, "twiml": xml}
        return xml

    def step(self, form: Form, query: Form, base: str) -> str:
        """The resident answered a question or recorded (or stayed silent)."""
        correlation = query.get("correlation_id", "")
        now = self.clock()
        with self.sessions() as session:
            loaded = self._load(session, correlation)
            if loaded is None:
                return twiml.hang_up()
            attempt, job, call, kept = loaded
            seq = int(kept.get("seq") or 0)
            if query.get("seq") != str(seq) or kept.get("state") is None:
                session.commit()
                announce(session, self.publish)
                return str(kept.get("twiml") or twiml.hang_up())  # sent again, or gone by
            state = OutboundState.from_dict(kept["state"])
            if isinstance(state, Ended):
                return twiml.hang_up()
            event = flow_event(form, on=query.get("on", ""), empty=bool(query.get("empty")))
            step = dialout.handle(state, event)
            xml = self._perform(session, call, attempt, job, step, seq, base, correlation, now)
            session.commit()
            announce(session, self.publish)
            return xml

    def status(self, form: Form, query: Form) -> None:
        """A final status: unanswered ends the attempt so; completed mid-flow is a hang-up."""
        status = form.get("CallStatus", "")
        if status not in FINAL_STATUSES:
            return
        now = self.clock()
        with self.sessions() as session:
            found = campaign_calls.find(session, query.get("correlation_id", ""))
            if found is None:
                return
            attempt, job = found
            call = session.get(Call, attempt.call_id) if attempt.call_id else None
            if call is not None and call.ended_at is None:
                call.ended_at = now
            if status in campaign_calls.UNANSWERED:
                campaign_calls.end(
                    session, attempt, job, campaign_calls.UNANSWERED[status], now=now
                )
            elif call is None:  # completed, yet our answer URL never ran
                campaign_calls.end(session, attempt, job, AttemptOutcome.FAILED, now=now)
            else:
                self._hung_up(session, call, attempt, job, now)
            session.commit()
            announce(session, self.publish)

    def _hung_up(
        self, session: Session, call: Call, attempt: Any, job: Any, now: dt.datetime
    ) -> None:
        kept = call.flow_state or {}
        if kept.get("adapter") != ADAPTER or kept.get("state") is None:
            campaign_calls.end(session, attempt, job, AttemptOutcome.FAILED, now=now)
            return
        state = OutboundState.from_dict(kept["state"])
        step = dialout.handle(state, flow.events.Hangup())
        campaign_calls.keep(session, call, attempt, job, step.actions, now=now)
        call.flow_state = {**kept, "state": step.state.to_dict()}

    def recording(self, form: Form, query: Form) -> None:
        """The comment's recording is ready: note it with the call, and have it transcribed."""
        url = form.get("RecordingUrl", "")
        if form.get("RecordingStatus", "completed") != "completed" or not url:
            return
        with self.sessions() as session:
            loaded = self._load(session, query.get("correlation_id", ""))
            if loaded is None:
                return
            call = loaded[2]
            data = {
                "ref": url,
                "sid": form.get("RecordingSid", ""),
                "seconds": seconds(form.get("RecordingDuration")),
                "purpose": query.get("purpose", ""),
            }
            session.add(
                CallEvent(call_id=call.id, at=self.clock(), kind="recording.ready", data=data)
            )
            session.commit()
            announce(session, self.publish)
            call_id = call.id
        if self.on_comment is not None:
            self.on_comment(call_id, url)

    def _load(
        self, session: Session, correlation: str
    ) -> tuple[Any, Any, Call, dict[str, Any]] | None:
        found = campaign_calls.find(session, correlation)
        if found is None:
            return None
        attempt, job = found
        call = session.get(Call, attempt.call_id) if attempt.call_id else None
        kept = (call.flow_state or {}) if call is not None else {}
        if call is None or kept.get("adapter") != ADAPTER:
            return None
        return attempt, job, call, kept

    def _perform(
        self,
        session: Session,
        call: Call,
        attempt: Any,
        job: Any,
        step: OutboundStep,
        seq: int,
        base: str,
        correlation: str,
        now: dt.datetime,
    ) -> str:
        """Keep the step's record and state; its TwiML."""
        campaign_calls.keep(session, call, attempt, job, step.actions, now=now)
        links = OutboundLinks(base=base, seq=seq + 1, correlation_id=correlation)
        xml = render(step.actions, links, self._voice(step.state.ctx.community.code, base))
        call.flow_state = {
            "adapter": ADAPTER,
            "seq": seq + 1,
            "state": step.state.to_dict(),
            "twiml": xml,
        }
        return xml
