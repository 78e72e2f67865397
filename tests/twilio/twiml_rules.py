"""A TwiML checker: the verbs, nesting and attributes Twilio documents, and our own rules.

Twilio's rules: ``<Response>`` holds verbs; only ``<Say>``, ``<Play>`` and
``<Pause>`` nest in ``<Gather>``; a wait URL's document may use only ``<Play>``,
``<Say>``, ``<Pause>``, ``<Gather>``, ``<Hangup>``, ``<Redirect>`` and
``<Leave>``; attribute values as in each verb's reference (``numDigits`` a
positive integer, ``finishOnKey`` digits, ``#`` and ``*``, ``maxLength`` above
1, a queue name of at most 64 characters …).

Ours: every URL is a path of the blueprint (relative, or under the public base
URL); a gather posts back on silence (``actionOnEmptyResult``) and is the last
verb; prompts are spoken by a voice that speaks their language, with every
value filled in; nothing follows a verb that ends the document.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from urllib.parse import urlsplit

VERBS = {
    "Say",
    "Play",
    "Pause",
    "Gather",
    "Record",
    "Dial",
    "Enqueue",
    "Hangup",
    "Redirect",
    "Leave",
    "Reject",
}
WAIT_VERBS = {"Play", "Say", "Pause", "Gather", "Hangup", "Redirect", "Leave"}
IN_GATHER = {"Say", "Play", "Pause"}
ATTRIBUTES = {
    "Say": {"voice", "language", "loop"},
    "Play": {"loop", "digits"},
    "Pause": {"length"},
    "Gather": {
        "action",
        "method",
        "timeout",
        "speechTimeout",
        "maxSpeechTime",
        "profanityFilter",
        "finishOnKey",
        "numDigits",
        "partialResultCallback",
        "partialResultCallbackMethod",
        "language",
        "hints",
        "bargeIn",
        "debug",
        "actionOnEmptyResult",
        "speechModel",
        "enhanced",
        "input",
    },
    "Record": {
        "action",
        "method",
        "timeout",
        "finishOnKey",
        "maxLength",
        "playBeep",
        "trim",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "transcribe",
        "transcribeCallback",
    },
    "Dial": {
        "action",
        "method",
        "timeout",
        "hangupOnStar",
        "timeLimit",
        "callerId",
        "record",
        "answerOnBridge",
        "ringTone",
        "recordingStatusCallback",
        "trim",
    },
    "Enqueue": {"action", "method", "waitUrl", "waitUrlMethod", "workflowSid", "maxQueueSize"},
    "Redirect": {"method"},
    "Hangup": set(),
    "Leave": set(),
    "Reject": {"reason"},
}
# The <Say> voices we use and the language each speaks; the recogniser's languages.
VOICES = {"Polly.Zhiyu": "cmn-CN", "Polly.Joanna": "en-US"}
SPEECH_LANGUAGES = {"cmn-Hans-CN", "en-US"}
KEYS = set("0123456789#*")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# After these nothing is ever reached.
FINAL = {"Gather", "Enqueue", "Dial", "Hangup", "Redirect", "Leave", "Reject"}

RouteExists = Callable[[str], bool]


class TwiMLError(AssertionError):
    """The document breaks one of Twilio's rules or ours."""


def check(xml: str, *, route_exists: RouteExists, base: str = "", wait: bool = False) -> ET.Element:
    """Parse and check a TwiML document; the ``<Response>`` element.

    :raises TwiMLError: naming the first rule broken.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise TwiMLError(f"not XML: {exc}: {xml!r}") from exc
    _require(root.tag == "Response", f"root is <{root.tag}>, not <Response>")
    _require(not (root.text or "").strip(), "text directly in <Response>")
    allowed = WAIT_VERBS if wait else VERBS
    verbs = list(root)
    for index, verb in enumerate(verbs):
        _require(verb.tag in allowed, f"<{verb.tag}> is not allowed here")
        _attributes(verb)
        _CHECKS[verb.tag](verb, _Urls(route_exists, base))
        rest = [v.tag for v in verbs[index + 1 :]]
        if verb.tag in FINAL:
            _require(not rest, f"{rest} after <{verb.tag}> are never reached")
        if verb.tag == "Record":
            _require(rest == ["Redirect"], "a <Record> is followed by exactly one <Redirect>")
    return root


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise TwiMLError(message)


def _attributes(verb: ET.Element) -> None:
    unknown = set(verb.attrib) - ATTRIBUTES[verb.tag]
    _require(not unknown, f"<{verb.tag}> has attributes Twilio does not know: {unknown}")
    if "method" in verb.attrib:
        _require(verb.attrib["method"] in ("GET", "POST"), f"<{verb.tag}> method")
    for name in ("timeout", "numDigits", "length", "maxLength", "loop"):
        if name in verb.attrib:
            _require(_positive(verb.attrib[name]), f"<{verb.tag} {name}> is not a positive int")


def _positive(value: str) -> bool:
    return value.isdigit() and int(value) > 0


class _Urls:
    def __init__(self, route_exists: RouteExists, base: str) -> None:
        self.route_exists, self.base = route_exists, base

    def check(self, url: str, what: str) -> None:
        _require(bool(url), f"{what} is empty")
        if self.base and url.startswith(self.base):
            url = url[len(self.base) :]
        parts = urlsplit(url)
        _require(not parts.scheme and not parts.netloc, f"{what} {url!r} leaves our app")
        _require(parts.path.startswith("/"), f"{what} {url!r} is not a path from the app's root")
        _require(self.route_exists(parts.path), f"{what} {url!r} is not a route of ours")


def _say(verb: ET.Element, urls: _Urls) -> None:
    words = (verb.text or "").strip()
    _require(bool(words), "<Say> with nothing to say")
    _require("{" not in words and "}" not in words, f"<Say> with an unfilled value: {words}")
    _require(len(verb) == 0, "<Say> with elements inside (we speak plain text)")
    voice = verb.attrib.get("voice", "")
    _require(voice in VOICES, f"<Say voice={voice!r}> is not a voice we use")
    _require(
        verb.attrib.get("language") == VOICES[voice],
        f"{voice} cannot speak {verb.attrib.get('language')!r}",
    )


# A built prompt (hotline prompts build), served by the app itself.
PROMPT_PATH = re.compile(r"/prompts/(zh-CN|en)/[A-Za-z0-9_-]+\.mp3")


def _play(verb: ET.Element, urls: _Urls) -> None:
    url = (verb.text or "").strip()
    ours = urls.base and url.startswith(urls.base + "/")
    path = url[len(urls.base) :] if ours else url
    if urlsplit(path).scheme in ("http", "https"):
        return  # hold music and the like, from elsewhere
    _require(bool(PROMPT_PATH.fullmatch(path)), f"<Play> of {url!r}: not a prompt of ours")


def _pause(verb: ET.Element, urls: _Urls) -> None:
    _require(not (verb.text or "").strip() and len(verb) == 0, "<Pause> holds nothing")


def _gather(verb: ET.Element, urls: _Urls) -> None:
    a = verb.attrib
    for child in verb:
        _require(child.tag in IN_GATHER, f"<{child.tag}> nested in <Gather>")
        _attributes(child)
        _CHECKS[child.tag](child, urls)
    _require(a.get("input") in ("dtmf", "speech", "dtmf speech"), f"input={a.get('input')!r}")
    urls.check(a.get("action", ""), "<Gather action>")
    _require(a.get("actionOnEmptyResult") == "true", "a gather must post back on silence")
    _require(set(a.get("finishOnKey", "#")) <= KEYS, f"finishOnKey={a.get('finishOnKey')!r}")
    if "speech" in a["input"]:
        _require(a.get("language") in SPEECH_LANGUAGES, f"speech language {a.get('language')!r}")
        timeout = a.get("speechTimeout", "")
        _require(timeout == "auto" or _positive(timeout), f"speechTimeout={timeout!r}")
        for hint in a.get("hints", "").split(","):
            _require(len(hint.strip()) <= 100, f"hint longer than 100 characters: {hint!r}")
    else:
        _require("hints" not in a, "hints without speech")


def _record(verb: ET.Element, urls: _Urls) -> None:
    a = verb.attrib
    _require(len(verb) == 0, "<Record> holds nothing")
    urls.check(a.get("action", ""), "<Record action>")
    urls.check(a.get("recordingStatusCallback", ""), "<Record recordingStatusCallback>")
    _require(int(a.get("maxLength", "3600")) > 1, "maxLength must be above 1")
    _require(a.get("playBeep", "true") in ("true", "false"), "playBeep")
    _require(set(a.get("finishOnKey", "#")) <= KEYS, "finishOnKey")
    _require(a.get("trim", "trim-silence") in ("trim-silence", "do-not-trim"), "trim")


def _dial(verb: ET.Element, urls: _Urls) -> None:
    number = (verb.text or "").strip()
    _require(bool(E164.fullmatch(number)), f"<Dial> of {number!r}, not an E.164 number")
    urls.check(verb.attrib.get("action", ""), "<Dial action>")


def _enqueue(verb: ET.Element, urls: _Urls) -> None:
    name = (verb.text or "").strip()
    _require(0 < len(name) <= 64, f"queue name {name!r}")
    urls.check(verb.attrib.get("action", ""), "<Enqueue action>")
    urls.check(verb.attrib.get("waitUrl", ""), "<Enqueue waitUrl>")


def _redirect(verb: ET.Element, urls: _Urls) -> None:
    urls.check((verb.text or "").strip(), "<Redirect>")


def _empty(verb: ET.Element, urls: _Urls) -> None:
    _require(not (verb.text or "").strip() and len(verb) == 0, f"<{verb.tag}> holds nothing")


_CHECKS = {
    "Say": _say,
    "Play": _play,
    "Pause": _pause,
    "Gather": _gather,
    "Record": _record,
    "Dial": _dial,
    "Enqueue": _enqueue,
    "Redirect": _redirect,
    "Hangup": _empty,
    "Leave": _empty,
    "Reject": _empty,
}
