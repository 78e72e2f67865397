"""The prompt catalogue: every recording the IVR plays, per language, with its words.

One source of the words: the prompts' texts are :mod:`ivr.prompt_texts` (what
Twilio's ``<Say>`` and the simulator speak); this module cuts them into the fixed
parts :mod:`audio.speak` plays between values, and adds the value pieces
(:mod:`audio.words`), a second of silence and each community's name. An entry may
have a recorded master, ``audio/masters/<language>/<name>.<any extension ffmpeg
reads>``; without one, the build synthesises the words.

Files are named for Asterisk's ``STREAM FILE``: ``hotline/<name, dots as dashes>``
under ``sounds/<language directory>/`` (``zh`` for zh-CN, ``en``), the folders
Asterisk searches for a channel whose ``CHANNEL(language)`` is that code.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from audio.exceptions import UnknownPrompt
from audio.speak import parts, spoken, templates
from audio.words import value_words
from ivr.prompt_texts import EN, TEXTS, ZH

LANGUAGES = (ZH, EN)
# Asterisk's sounds/<language>/ folder for each language the flow speaks.
ASTERISK_LANGUAGES = {ZH: "zh", EN: "en"}
SOUND_FOLDER = "hotline"  # the flow plays hotline/<name> (ivr.agi.inbound.sound_file)
MASTERS_DIR = Path(__file__).resolve().parent / "masters"
SILENCES = {"silence.1": 1.0}  # played while waiting for keys after a prompt
EMPTY_HEAD_S = 0.2  # a prompt that starts with a value still has a file of its own name


def file_name(name: str) -> str:
    """A recording's file name without extension: dots become dashes."""
    return name.replace(".", "-")


def web_urls(names: Iterable[str], language: str, base_url: str = "") -> list[str]:
    """Where the web app serves the built MP3s of ``names``, for Twilio's ``<Play>``."""
    return [f"{base_url.rstrip('/')}/prompts/{language}/{file_name(n)}.mp3" for n in names]


@dataclasses.dataclass(frozen=True)
class Entry:
    """One recording in one language: its words, or a length of silence, and any master."""

    name: str
    language: str
    text: str
    master: Path | None = None
    silence_s: float = 0.0  # more than 0: not speech but this much silence
    voice: str = ""  # the language whose voice speaks it; empty: its own

    @property
    def file_name(self) -> str:
        return file_name(self.name)


def message_name(text: str) -> str:
    """The recording of a notice's own words (a campaign's message): named by its words,
    so that changed words are a new recording and the same words one recording."""
    return "message." + hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def message_voice(text: str) -> str:
    """The language a message is written in, read from its script: Chinese characters are
    spoken by the Mandarin voice, other words by the English one."""
    return ZH if any("\u3400" <= ch <= "\u9fff" for ch in text) else EN


@dataclasses.dataclass(frozen=True)
class CommunityName:
    """A community's code and its names, for its ``community.<code>`` recording."""

    code: str
    name: str
    name_en: str = ""


class Catalogue:
    """Every entry, by language and name."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._entries = {(e.language, e.name): e for e in entries}

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda e: (e.language, e.name)))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, name: str, language: str) -> Entry:
        """:raises UnknownPrompt: when there is no such entry."""
        try:
            return self._entries[(language, name)]
        except KeyError:
            raise UnknownPrompt(name, language) from None

    def names(self, language: str) -> set[str]:
        return {name for lang, name in self._entries if lang == language}

    def missing(self, names: Iterable[str], language: str) -> list[str]:
        """Those of ``names`` the catalogue has no recording for in ``language``."""
        return sorted({n for n in names if (language, n) not in self._entries})

    def select(self, names: Iterable[str] = (), languages: Iterable[str] = ()) -> Catalogue:
        """A catalogue of some entries only (all names or languages when none are given)."""
        wanted, langs = set(names), set(languages)
        return Catalogue(
            e
            for e in self._entries.values()
            if (not wanted or e.name in wanted) and (not langs or e.language in langs)
        )


def build_catalogue(
    communities: Iterable[CommunityName] = (),
    masters_dir: Path = MASTERS_DIR,
    messages: Iterable[str] = (),
) -> Catalogue:
    """The whole catalogue: prompts' fixed parts, value pieces, silences, community names,
    and the words of ``messages`` (notices being sent) in the voice they are written for."""
    communities = list(communities)
    messages = sorted({m for m in messages if m.strip()})
    entries: list[Entry] = []
    for language in LANGUAGES:
        words = dict(_template_parts(language)) | value_words(language)
        for community in communities:
            name = community.name_en if language == EN and community.name_en else community.name
            words[f"community.{community.code}"] = name
        for name, text in words.items():
            master = find_master(masters_dir, language, name)
            entries.append(Entry(name, language, text, master, 0.0 if text else EMPTY_HEAD_S))
        entries += [Entry(n, language, "", None, s) for n, s in SILENCES.items()]
        entries += [message_entry(text, language) for text in messages]
    return Catalogue(entries)


def message_entry(text: str, language: str) -> Entry:
    """A notice's words as a recording for callers of ``language`` (one voice for all)."""
    return Entry(message_name(text), language, text.strip(), voice=message_voice(text))


def _template_parts(language: str) -> Iterator[tuple[str, str]]:
    """Each fixed part with words; each prompt's own name even when it starts with a value."""
    for prompt, template in templates(language).items():
        for name, words, _field in parts(prompt, template):
            if spoken(words):
                yield name, words
            elif name == prompt and prompt in TEXTS[language]:
                yield name, ""


def find_master(masters_dir: Path, language: str, name: str) -> Path | None:
    """The recorded master of ``name``, whatever its extension, or None."""
    folder = masters_dir / language
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob(f"{name}.*") if p.suffix and p.stem == name)
    return found[0] if found else None
