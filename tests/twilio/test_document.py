"""TwiML written as text writes exactly what twilio's VoiceResponse writes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from ivr import flow
from ivr.flow.context import EN, ZH
from ivr.twilio import document, twiml

# Text that needs escaping, Chinese, controls; attribute values of every kind we pass.
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 100), TEXT)
KEYWORDS = st.sampled_from(
    [
        "action",
        "method",
        "timeout",
        "num_digits",
        "finish_on_key",
        "action_on_empty_result",
        "language",
        "voice",
        "wait_url",
        "wait_url_method",
        "speech_timeout",
        "hints",
        "input",
        "max_length",
        "play_beep",
        "recording_status_callback",
        "length",
        "loop",
        "from_",
    ]
)
ATTRIBUTES = st.dictionaries(KEYWORDS, VALUES, max_size=6)
# (verb, text or None, attributes, whether it takes nested verbs) for what we build.
LEAVES = ["say", "play", "enqueue", "dial", "redirect"]


@st.composite
def documents(draw: st.DrawFn) -> list[tuple[str, Any, dict[str, Any], list]]:
    """A document as calls: leaves with text, empty verbs, gathers holding says."""
    calls = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from([*LEAVES, "hangup", "pause", "gather", "record"]))
        attributes = draw(ATTRIBUTES)
        if kind in LEAVES:
            calls.append((kind, draw(TEXT), attributes, []))
        elif kind == "gather":
            inside = draw(st.lists(st.tuples(TEXT, ATTRIBUTES), max_size=3))
            calls.append((kind, None, attributes, inside))
        elif kind == "hangup":
            calls.append((kind, None, {}, []))
        else:
            calls.append((kind, None, attributes, []))
    return calls


def _build(root: Any, calls: list[tuple[str, Any, dict[str, Any], list]]) -> str:
    for kind, text, attributes, inside in calls:
        method = getattr(root, kind)
        verb = method(text, **attributes) if kind in LEAVES else method(**attributes)
        for words, more in inside:
            verb.say(words, **more)
    return str(root.to_xml())


@settings(max_examples=300, deadline=None, database=None)
@given(calls=documents())
def test_given_any_verbs_then_the_text_is_the_libraries(calls: list) -> None:
    assert _build(document.response(), calls) == _build(VoiceResponse(), calls)


def test_given_the_flows_actions_then_the_answer_is_what_the_library_wrote() -> None:
    links = twiml.Links(base="https://hotline.example.com", seq=3, carry="a&b")
    gather = flow.Gather(
        prompts=[flow.Say("menu.main", {}, ZH), flow.Say("menu.main", {}, EN)],
        max_digits=1,
        timeout_s=6,
        finish_on_key="",
        speech=True,
        hints=["报修", "咨询"],
        language=ZH,
    )
    xml = twiml.render([gather], links, language=ZH)
    expected = VoiceResponse()
    nested = expected.gather(
        input="dtmf speech",
        action=links.step(),
        method="POST",
        action_on_empty_result=True,
        timeout=6,
        num_digits=1,
        finish_on_key="",
        language="cmn-Hans-CN",
        hints="报修, 咨询",
        speech_timeout=twiml.SPEECH_END_S,
    )
    for say in gather.prompts:
        twiml._say(nested, say)  # the library's Gather takes the same Say
    assert xml == expected.to_xml()
    assert "s=a%26b" in xml and "&amp;" in xml


def test_given_a_route_then_an_enqueue_with_its_wait_url() -> None:
    xml = twiml.render([flow.Route(queue="repair", priority=50)], twiml.Links(), language=EN)
    expected = VoiceResponse()
    expected.enqueue(
        "repair",
        action="/twilio/queue-result?queue=repair",
        method="POST",
        wait_url="/twilio/wait?queue=repair&lang=en",
        wait_url_method="POST",
    )
    assert xml == expected.to_xml()
    assert (
        twiml.hang_up() == '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'
    )


def test_attributes_written_once_are_written_the_same_and_true_is_not_one() -> None:
    for _ in range(2):  # the second time remembered
        doc = document.response()
        doc.gather(num_digits=1, timeout=True).say("hi")
        assert doc.to_xml() == (
            '<?xml version="1.0" encoding="UTF-8"?><Response>'
            '<Gather numDigits="1" timeout="true"><Say>hi</Say></Gather></Response>'
        )
        doc = document.response()
        doc.gather(num_digits=True, timeout=1)
        assert '<Gather numDigits="true" timeout="1" />' in doc.to_xml()
    doc = document.response()
    doc.say("hi", voice=["not", "a", "key"])  # not remembered, still written
    assert "voice=\"['not', 'a', 'key']\"" in doc.to_xml()
