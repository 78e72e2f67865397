"""Menu grammars: the words a menu listens for, spelt in the model's vocabulary.

The words themselves are the flow's (:data:`ivr.flow.intents.HINTS`, handed over
as a ``Gather``'s ``hints``: the menu's choices plus the emergency words of the
call's language), so the recogniser and the intent rules never disagree. A
grammar may only use words the model knows: Mandarin models segment text into
words ("电梯 困 人"), so a hint that is not one word is split into the longest
known words; a hint that cannot be spelt is left out rather than poisoning the
grammar. ``[unk]`` is added where the model has it, so speech outside the menu
comes back as ``[unk]`` instead of the nearest menu word.
"""

from __future__ import annotations

from collections.abc import Iterable

from audio.speech.engine import UNKNOWN_WORD, Engine
from ivr.flow import intents
from ivr.flow.context import EN

LONGEST_WORD = 8  # characters tried at once when splitting a Mandarin hint into words


def menu_hints(language: str) -> list[str]:
    """Every menu word and emergency word of ``language``, from the flow's rules."""
    return intents.hints(language, *intents.Intent)


def grammar_for(engine: Engine, language: str, hints: Iterable[str] = ()) -> list[str]:
    """The grammar for a menu in ``language`` listening for ``hints`` (all menu words if none)."""
    words = list(hints) or menu_hints(language)
    phrases: list[str] = []
    for hint in words:
        phrase = spell(engine, hint, language)
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    if engine.has_word(UNKNOWN_WORD):
        phrases.append(UNKNOWN_WORD)
    return phrases


def spell(engine: Engine, hint: str, language: str) -> str | None:
    """``hint`` as space-separated vocabulary words, or None when the model cannot say it."""
    tokens = hint.casefold().split() if language == EN else hint.split()
    words: list[str] = []
    for token in tokens:
        if engine.has_word(token):
            words.append(token)
            continue
        pieces = _split(engine, token)
        if pieces is None:
            return None
        words.extend(pieces)
    return " ".join(words) or None


def _split(engine: Engine, token: str) -> list[str] | None:
    """Greedy longest-match split of a token into known words (Mandarin hints)."""
    pieces: list[str] = []
    start = 0
    while start < len(token):
        for end in range(min(len(token), start + LONGEST_WORD), start, -1):
            if engine.has_word(token[start:end]):
                pieces.append(token[start:end])
                start = end
                break
        else:
            return None
    return pieces
