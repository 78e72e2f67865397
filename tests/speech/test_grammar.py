"""Menu grammars from the flow's own words, and the recogniser's spelling of them
still meaning the same intent to the flow's rules (Mandarin and English)."""

from __future__ import annotations

import pytest

from audio.speech import SpeechService
from audio.speech.grammar import grammar_for, menu_hints, spell
from ivr.flow.context import EN, ZH
from ivr.flow.intents import HINTS, Intent, hints, intent_of
from tests.speech.fakes import FakeEngine

# How Mandarin models segment (vosk-model-small-cn-0.22 spells 电梯困人 as 电梯 困 人).
ZH_WORDS = {"紧急", "漏水", "爆", "管", "停电", "燃气", "着火", "电梯", "困", "人", "救护"}
ZH_WORDS |= {"报修", "维修", "咨询", "投诉", "人工", "留言", "[unk]"}
EN_WORDS = {w for words in HINTS[EN].values() for phrase in words for w in phrase.split()}


def test_given_a_mandarin_model_when_a_menu_grammar_is_built_then_hints_are_spelt_in_its_words():
    engine = FakeEngine(ZH_WORDS)
    phrases = grammar_for(engine, ZH, hints(ZH, Intent.REPAIR))
    assert "电梯 困 人" in phrases and "爆 管" in phrases and "报修" in phrases
    assert "投诉" not in phrases  # not this menu's word
    assert phrases[-1] == "[unk]"


def test_given_a_model_without_unk_when_a_grammar_is_built_then_no_unk_is_added():
    engine = FakeEngine(ZH_WORDS - {"[unk]"})
    assert "[unk]" not in grammar_for(engine, ZH, ["漏水"])


def test_given_a_hint_the_model_cannot_say_when_built_then_it_is_left_out():
    engine = FakeEngine({"漏水"})
    assert grammar_for(engine, ZH, ["漏水", "水浸"]) == ["漏水"]
    assert spell(engine, "水浸", ZH) is None


def test_given_an_english_model_when_built_then_phrases_are_lower_case_words():
    engine = FakeEngine(EN_WORDS)
    phrases = grammar_for(engine, EN, ["Power out", "repair"])
    assert phrases == ["power out", "repair"]


def test_given_no_hints_when_built_then_every_menu_and_emergency_word_of_the_language():
    assert set(menu_hints(ZH)) == {w for words in HINTS[ZH].values() for w in words}
    engine = FakeEngine(ZH_WORDS)
    assert len(grammar_for(engine, ZH)) == len(menu_hints(ZH)) + 1  # every hint, then [unk]


@pytest.mark.parametrize(("language", "vocabulary"), [(ZH, ZH_WORDS), (EN, EN_WORDS)])
def test_given_each_grammar_phrase_when_recognised_then_the_flow_reads_the_hints_intent(
    language: str, vocabulary: set[str]
) -> None:
    engine = FakeEngine(vocabulary)
    for intent, words in HINTS[language].items():
        for word in words:
            phrase = spell(engine, word, language)
            assert phrase is not None, word
            assert intent_of(phrase, language) is intent, phrase


@pytest.mark.parametrize(
    ("heard", "language", "intent"),
    [
        ("电梯 困 人", ZH, Intent.EMERGENCY),
        ("我 家 漏水 了", ZH, Intent.EMERGENCY),
        ("我 要 报修", ZH, Intent.REPAIR),
        ("[unk] 投诉", ZH, Intent.COMPLAINT),
        ("[unk]", ZH, None),
        ("[unk] [unk]", EN, None),
        ("power out", EN, Intent.EMERGENCY),
        ("[unk] repair", EN, Intent.REPAIR),
    ],
)
def test_given_recogniser_output_with_spaces_and_unk_when_read_then_intent(
    heard: str, language: str, intent: Intent | None
) -> None:
    assert intent_of(heard, language) is intent


def test_given_the_service_when_asked_twice_then_the_grammar_is_built_once():
    engine = FakeEngine(ZH_WORDS)
    service = SpeechService(engine)
    first = service.grammar(ZH, ["漏水", "报修"])

    engine.vocabulary = set()  # a second build would now find nothing
    assert service.grammar(ZH, ["漏水", "报修"]) == first == ["漏水", "报修", "[unk]"]

    service.close()
