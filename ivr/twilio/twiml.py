"""The flow's actions as TwiML (no I/O): what Twilio plays, asks and does next.

Twilio facts this module relies on:

- ``<Play>`` plays an audio file from a URL: a prompt built by ``hotline prompts
  build`` is played from its MP3 pieces (``/prompts/<language>/<name>.mp3``, at
  the same base as our other URLs) when every piece of it is built; otherwise
  it is spoken with ``<Say>`` in the call's language.
- ``<Say>`` speaks text; Mandarin needs a voice that speaks it (Amazon Polly's
  Zhiyu, language ``cmn-CN``). ``<Gather>``'s ``language`` is the *speech
  recogniser's* BCP-47 tag, which for Mandarin is ``cmn-Hans-CN`` (a bare
  ``en`` or ``zh`` is rejected: warning 13512).
- Only ``<Say>``, ``<Play>`` and ``<Pause>`` may be nested in ``<Gather>``.
  With ``actionOnEmptyResult="true"`` Twilio posts to the action URL on
  silence too, so no verb after the ``<Gather>`` is ever needed.
- ``finishOnKey`` defaults to ``#``; menus set it to the empty string so that
  ``#`` and ``*`` arrive as keys. ``Digits`` never includes the finishing key.
- When ``<Record>`` captures nothing, Twilio does *not* request its action
  URL and goes on with the next verb: the ``<Redirect>`` after it tells the
  flow no message was left.
- ``<Enqueue>`` has no priority (Twilio queues are first in, first out); the
  priority is kept on the Call row for agent dispatch. Its ``waitUrl`` is
  requested again each time its TwiML finishes, with ``QueuePosition``,
  ``QueueTime``, ``AvgQueueTime`` and ``CurrentQueueSize``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import urlencode

from ivr import flow, prompt_texts
from ivr.flow.context import EN, ZH
from ivr.twilio.document import Verb, response

PREFIX = "/twilio"
VOICE = f"{PREFIX}/voice"
STEP = f"{PREFIX}/step"
WAIT = f"{PREFIX}/wait"
QUEUE_RESULT = f"{PREFIX}/queue-result"
DIAL_RESULT = f"{PREFIX}/dial-result"
STATUS = f"{PREFIX}/status"
RECORDING = f"{PREFIX}/recording"

SPEECH_END_S = 2  # silence after speech that ends a spoken answer
RECORD_SILENCE_S = 5  # silence that ends a recording (Twilio's default)
HOLD_PAUSE_S = 20  # what the wait loop plays when no hold music is configured


class Parent(Protocol):
    """Where a ``<Say>`` goes: a document, a ``<Gather>``, or twilio's own ``VoiceResponse``."""

    def say(self, message: str | None = ..., **attributes: Any) -> Any: ...

    def play(self, url: str | None = ..., **attributes: Any) -> Any: ...


# A prompt's recordings as URLs (audio.build.WebPrompts.urls), or None: speak it.
Recordings = Callable[..., list[str] | None]


@dataclasses.dataclass(frozen=True)
class Voice:
    """How one flow language is spoken and heard on Twilio."""

    say_language: str
    voice: str
    speech_language: str


VOICES = {
    ZH: Voice(say_language="cmn-CN", voice="Polly.Zhiyu", speech_language="cmn-Hans-CN"),
    EN: Voice(say_language="en-US", voice="Polly.Joanna", speech_language="en-US"),
}


def voice_for(language: str) -> Voice:
    return VOICES.get(language, VOICES[ZH])


@dataclasses.dataclass(frozen=True)
class Links:
    """The URLs our TwiML sends Twilio back to.

    ``base`` is empty (paths relative to the host Twilio called) or the public
    URL of the app's root. ``seq`` numbers the flow's steps so that a webhook
    Twilio sends twice is recognised; ``carry`` is the packed flow state, set
    only while the database cannot keep it.
    """

    base: str = ""
    seq: int = 0
    carry: str = ""

    def at_step(self, seq: int, carry: str = "") -> Links:
        """These links for step ``seq`` (``dataclasses.replace``, without its cost here)."""
        if type(self) is not Links:  # a kind with more fields
            return dataclasses.replace(self, seq=seq, carry=carry)
        return Links(self.base, seq, carry)

    def _url(self, path: str, **query: object) -> str:
        given = tuple(
            (name, str(value)) for name, value in query.items() if value not in (None, "")
        )
        return _link(self.base, path, given)

    def step(self, *, on: str = "", empty: bool = False) -> str:
        return self._url(STEP, seq=self.seq, on=on, empty="1" if empty else "", s=self.carry)

    def wait(self, queue: str, language: str) -> str:
        return self._url(WAIT, queue=queue, lang=language)

    def queue_result(self, queue: str, attempt: int = 0) -> str:
        return self._url(QUEUE_RESULT, queue=queue, attempt=attempt or "")

    def dial_result(self, reason: str) -> str:
        return self._url(DIAL_RESULT, reason=reason)

    def recording(self, purpose: str) -> str:
        return self._url(RECORDING, purpose=purpose)


@functools.lru_cache(maxsize=4096)
def _link(base: str, path: str, query: tuple[tuple[str, str], ...]) -> str:
    """A URL of ours (the same few over and over: each queue's, each step's)."""
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def render(
    actions: Sequence[flow.Action],
    links: Links,
    *,
    language: str,
    ring_seconds: int = 25,
    recordings: Recordings | None = None,
    community: str = "",
) -> str:
    """The TwiML document for the actions Twilio carries out, in order.

    :param recordings: the built prompts (``WebPrompts.urls``): what is built is
        played, the rest spoken. None: every prompt spoken.
    :param community: the call's community code (its name is a recording of its own).
    """
    document = response()
    voice = PromptVoice(recordings, community, links.base)
    for action in actions:
        match action:
            case flow.Say():
                voice.say(document, action)
            case flow.Gather():
                _gather(document, action, links, voice)
            case flow.Record():
                _record(document, action, links, voice)
            case flow.Route(queue=queue):
                enqueue(document, queue, links, language)
            case flow.Transfer(number=number, reason=reason):
                document.dial(
                    number,
                    action=links.dial_result(reason),
                    method="POST",
                    timeout=ring_seconds,
                )
            case flow.actions.Hangup():
                document.hangup()
    return document.to_xml()


def waits(actions: Sequence[flow.Action]) -> bool:
    """Whether the actions leave Twilio something to wait on or end with."""
    ending = (flow.Gather, flow.Record, flow.Route, flow.Transfer, flow.actions.Hangup)
    return any(isinstance(action, ending) for action in actions)


def enqueue(document: Verb, queue: str, links: Links, language: str, attempt: int = 0) -> None:
    """Put the caller in ``queue``, waiting on our wait URL."""
    document.enqueue(
        queue,
        action=links.queue_result(queue, attempt),
        method="POST",
        wait_url=links.wait(queue, language),
        wait_url_method="POST",
    )


def requeue(queue: str, links: Links, language: str, attempt: int) -> str:
    """Put the caller back in ``queue`` after Twilio could not keep them there."""
    document = response()
    enqueue(document, queue, links, language, attempt)
    return document.to_xml()


def hang_up() -> str:
    document = response()
    document.hangup()
    return document.to_xml()


def nothing() -> str:
    """An empty document: for requests whose TwiML Twilio ignores (the caller is gone)."""
    return response().to_xml()


def waiting(
    language: str,
    *,
    position: int,
    expected_minutes: int,
    hold_music_url: str,
    callback_action: str = "",
) -> str:
    """What a caller hears in the queue: their place, the expected wait, then music.

    With ``callback_action`` (ivr.dispatch), all of it is inside a one-key
    ``<Gather>`` offering a call back instead of waiting: 1 is answered with
    ``<Leave>``; any other key, or none, with an empty document, after which
    Twilio asks the wait URL again.
    """
    document = response()
    parent = document
    if callback_action:
        parent = document.gather(
            input="dtmf",
            action=callback_action,
            method="POST",
            num_digits=1,
            timeout=1,
            finish_on_key="",
            action_on_empty_result=True,
        )
    if position > 0:
        _say(parent, flow.Say("queue.position", {"position": position}, language))
    if expected_minutes > 0:
        _say(parent, flow.Say("queue.wait", {"minutes": expected_minutes}, language))
    if callback_action:
        _say(parent, flow.Say("queue.callback_offer", {}, language))
    if hold_music_url:
        parent.play(hold_music_url)
    else:
        parent.pause(length=HOLD_PAUSE_S)
    return document.to_xml()


def expected_minutes(average_s: int, waited_s: int) -> int:
    """Minutes still to wait, from Twilio's average wait and this caller's time so far."""
    if average_s <= 0:
        return 0
    return max(1, math.ceil(max(average_s - waited_s, 0) / 60))


def _say(parent: Parent, say: flow.Say) -> None:
    voice = voice_for(say.language)
    words = prompt_texts.text(say.prompt, say.language, say.params)
    parent.say(words, voice=voice.voice, language=voice.say_language)


@dataclasses.dataclass(frozen=True)
class PromptVoice:
    """Plays a prompt's built recordings where it has them, else speaks its text."""

    recordings: Recordings | None = None
    community: str = ""
    base: str = ""

    def say(self, parent: Parent, say: flow.Say) -> None:
        urls = self.recordings(say, self.community, self.base) if self.recordings else None
        if not urls:
            _say(parent, say)
            return
        for url in urls:
            parent.play(url)


SPEAK = PromptVoice()  # every prompt spoken


def _gather(document: Verb, gather: flow.Gather, links: Links, voice: PromptVoice = SPEAK) -> None:
    speech = voice_for(gather.language).speech_language if gather.speech else None
    nested = document.gather(
        input="dtmf speech" if gather.speech else "dtmf",
        action=links.step(),
        method="POST",
        action_on_empty_result=True,
        timeout=max(1, round(gather.timeout_s)),
        num_digits=max(1, gather.max_digits),
        finish_on_key=gather.finish_on_key,
        language=speech,
        hints=", ".join(gather.hints) if speech and gather.hints else None,
        speech_timeout=SPEECH_END_S if speech else None,
    )
    for say in gather.prompts:
        voice.say(nested, say)


def _record(document: Verb, record: flow.Record, links: Links, voice: PromptVoice = SPEAK) -> None:
    voice.say(document, flow.Say(record.prompt, {}, record.language))
    document.record(
        action=links.step(on="record"),
        method="POST",
        max_length=max(2, record.max_seconds),
        finish_on_key="#",
        play_beep=True,
        timeout=RECORD_SILENCE_S,
        recording_status_callback=links.recording(record.purpose),
        recording_status_callback_method="POST",
    )
    document.redirect(links.step(on="record", empty=True), method="POST")
