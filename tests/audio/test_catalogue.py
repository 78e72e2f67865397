"""The catalogue covers every prompt the flows can play, in both languages (no audio tools)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio import speak
from audio.catalogue import (
    LANGUAGES,
    CommunityName,
    build_catalogue,
    message_name,
    message_voice,
)
from audio.exceptions import UnknownPrompt
from ivr import flow, prompt_texts
from ivr.flow import Digits, NoInput, Record, Say, Speech
from ivr.flow.dialout import OUTBOUND_PROMPTS
from ivr.flow.script import directory, drive, sample_context, sample_resident, sample_unit
from ivr.prompt_texts import EN, ZH

CATALOGUE = build_catalogue([CommunityName("SH01", "阳光花园", "Sunshine Garden")])
EVERY_PROMPT = sorted(flow.PROMPTS | prompt_texts.QUEUE_PROMPTS | OUTBOUND_PROMPTS)
# A value for every placeholder any template names.
ALL_VALUES = {
    "community": "阳光花园",
    "open": "08:30",
    "close": "18:05",
    "work_order": "SH01-2026-000123",
    "number": "SH01-2026-000123",
    "status": "on_site",
    "assignee": "王师傅",
    "when": "2026-11-24T14:30:00+08:00",
    "overdue": True,
    "address": "12栋2单元1502",
    "digit": "3",
    "building": "7",
    "room": "0901",
    "position": "3",
    "minutes": "12",
    "day": "2026-11-20",
    "amount": "1234.50",
    "fire": "119",
    "ambulance": "120",
    "message": "3栋停水，预计18点恢复",
    "incident": 7,
}


def unplayable(say: Say) -> list[str]:
    # An incident's status is recorded when the incident is declared, not by the catalogue.
    pieces = [p for p in speak.sequence(say, "SH01") if p != speak.incident_piece(7)]
    return CATALOGUE.missing(pieces, say.language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("prompt", EVERY_PROMPT)
def test_every_prompt_is_playable_with_all_its_values(prompt: str, language: str) -> None:
    say = Say(prompt, ALL_VALUES, language)
    assert (language, prompt) in CATALOGUE
    assert unplayable(say) == []
    assert unplayable(Say(prompt, {}, language)) == []


def test_a_name_outside_the_catalogue_is_reported() -> None:
    assert CATALOGUE.missing(["menu.main", "menu.nonexistent"], "en") == ["menu.nonexistent"]
    with pytest.raises(UnknownPrompt):
        CATALOGUE.get("menu.nonexistent", "zh-CN")
    with pytest.raises(UnknownPrompt):
        speak.sequence(Say("menu.nonexistent", {}, "en"))


def calls() -> list[list[Say]]:
    """The Says, Gathers' prompts and Records of a spread of scripted calls."""
    english = sample_context(residents=[sample_resident(language="en")])
    two_units = sample_context(residents=[sample_resident(units=2)])
    unknown = sample_context(caller_known=False, residents=[])
    night = sample_context(now="2026-03-02T23:00:00+08:00")
    units = directory({("3", "1501"): sample_unit(1)})
    scripts = [
        drive(sample_context(), [Digits("2")]),
        drive(sample_context(), [Digits("9"), Digits("7"), NoInput(), NoInput()]),
        drive(english, [Speech("there is a leak")]),
        drive(two_units, [Digits("1"), Digits("3")]),
        drive(unknown, [Digits("3"), Digits("1501"), Digits("1"), Digits("2")], lookup=units),
        drive(unknown, [Digits("9"), Digits("99"), Digits("1"), NoInput()], lookup=units),
        drive(night, [Digits("1")]),
        drive(night, [Digits("0")]),
    ]
    out = []
    for transcript in scripts:
        says: list[Say] = []
        for action in transcript.actions:
            if isinstance(action, Say):
                says.append(action)
            elif isinstance(action, flow.Gather):
                says.extend(action.prompts)
            elif isinstance(action, Record):
                says.append(Say(action.prompt, {}, action.language))
        out.append(says)
    return out


def test_every_prompt_a_scripted_call_plays_is_in_the_catalogue() -> None:
    played = [say for call in calls() for say in call]
    assert {say.prompt for say in played} >= {"greeting.morning", "menu.main"}
    assert {say.language for say in played} == {"zh-CN", "en"}
    for say in played:
        assert unplayable(say) == [], say


@pytest.mark.parametrize("language", LANGUAGES)
def test_words_come_from_the_prompt_texts(language: str) -> None:
    texts = prompt_texts.TEXTS[language]
    assert CATALOGUE.get("menu.invalid", language).text == texts["menu.invalid"]
    assert CATALOGUE.get("route.repair", language).text == texts["route.repair"]
    head, _, tail = texts["greeting.morning"].partition("{community}")
    assert CATALOGUE.get("greeting.morning", language).text == head.strip()
    assert CATALOGUE.get("greeting.morning.part2", language).text == tail.strip()
    words = prompt_texts.STATUS_WORDS[language]["on_site"]
    assert CATALOGUE.get("status.on_site", language).text == words


def test_a_prompt_that_starts_with_a_value_still_has_a_file_of_its_name() -> None:
    entry = CATALOGUE.get("id.pick_unit.option", "zh-CN")  # "{address}，请按{digit}。"
    assert entry.text == "" and entry.silence_s > 0
    assert speak.sequence(Say("id.pick_unit.option", {"digit": "2"}, "zh-CN"))[0] != entry.name


def test_community_names_in_each_language() -> None:
    assert CATALOGUE.get("community.SH01", "zh-CN").text == "阳光花园"
    assert CATALOGUE.get("community.SH01", "en").text == "Sunshine Garden"
    assert "community.SH02" not in CATALOGUE.names("en")


def test_a_recorded_master_is_found_whatever_its_format(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    master = tmp_path / "en" / "menu.main.flac"
    master.write_bytes(b"fLaC")
    (tmp_path / "en" / "menu.main.part2.wav").write_bytes(b"RIFF")  # another entry's
    catalogue = build_catalogue(masters_dir=tmp_path)
    assert catalogue.get("menu.main", "en").master == master
    assert catalogue.get("menu.main", "zh-CN").master is None
    assert catalogue.get("menu.invalid", "en").master is None


def test_file_names_are_what_the_asterisk_adapter_streams() -> None:
    from audio.catalogue import ASTERISK_LANGUAGES, SOUND_FOLDER
    from ivr.agi.inbound import LANGUAGE_DIRS, sound_file

    entry = CATALOGUE.get("greeting.morning.part2", "en")
    assert sound_file(entry.name) == f"{SOUND_FOLDER}/{entry.file_name}"
    assert ASTERISK_LANGUAGES == LANGUAGE_DIRS


# Which parameters each value is spoken from, where that is not the value's own name.
SPOKEN_FROM = {
    "place": ("address", "building", "room"),
    "when_part": ("when",),
    "overdue_part": ("overdue",),
    "message": ("incident",),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("prompt", EVERY_PROMPT)
def test_every_value_a_prompt_names_is_spoken(prompt: str, language: str) -> None:
    template = prompt_texts.TEXTS[language][prompt]
    given = speak.sequence(Say(prompt, ALL_VALUES, language), "SH01")
    for _name, _words, field in speak.parts(prompt, template):
        if not field or field == "assignee_part":  # an engineer's name cannot be pre-recorded
            continue
        if field == "community":
            assert "community.SH01" in given
            continue
        left_out = SPOKEN_FROM.get(field, (field,))
        params = {k: v for k, v in ALL_VALUES.items() if k not in left_out}
        assert len(speak.sequence(Say(prompt, params, language), "SH01")) < len(given), field


def test_a_notices_words_are_one_recording_named_by_its_words() -> None:
    text = "明天9点到12点停水。"
    assert message_name(text) == message_name(f"  {text}\n") != message_name("明天停电。")
    assert message_name(text).startswith("message.") and len(message_name(text)) == 24
    catalogue = build_catalogue(messages=[text, "  ", text])
    entries = [e for e in catalogue if e.name == message_name(text)]
    assert sorted(e.language for e in entries) == sorted(LANGUAGES)
    # Written in Chinese: the Mandarin voice speaks it to English speakers too.
    assert {e.voice for e in entries} == {ZH} and {e.text for e in entries} == {text}
    assert message_voice("Water off tomorrow 9 to 12.") == EN
    assert not [e for e in build_catalogue() if e.name.startswith("message.")]
