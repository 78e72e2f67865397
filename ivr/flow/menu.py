"""What every menu shares: ``*`` repeats, ``9`` switches to English, and two
failed tries (a wrong key, silence, words it does not understand) hand the
caller to an agent rather than hang up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import outcomes
from .actions import Action, Gather, Say
from .context import EN
from .intents import Intent, hints, intent_of
from .state import State, Step

REPEAT_KEY = "*"
ENGLISH_KEY = "9"
MAX_MISSES = 2
MENU_TIMEOUT_S = 6.0


@dataclass(frozen=True, kw_only=True)
class Retrying(State):
    """A step the caller gets two tries at before an agent takes over."""

    misses: int = 0

    def miss(self, prompt: str) -> Step:
        """A failed try: say ``prompt`` and ask again, or hand over to an agent."""
        if self.misses + 1 >= MAX_MISSES:
            return outcomes.to_agent(self.call, self.name)
        return replace(self, misses=self.misses + 1).enter(self.call.say(prompt))


@dataclass(frozen=True, kw_only=True)
class Menu(Retrying):
    """A step that plays a menu and waits for one key or a spoken choice."""

    def menu(self) -> list[Say]:
        """The prompts of the menu, played inside the gather."""
        raise NotImplementedError

    def hint_intents(self) -> tuple[Intent, ...]:
        """Intents this menu understands, to bias the recogniser."""
        return ()

    def prompt(self) -> list[Action]:
        return [
            Gather(
                prompts=self.menu(),
                max_digits=1,
                timeout_s=MENU_TIMEOUT_S,
                speech=True,
                hints=hints(self.call.language, *self.hint_intents()),
                language=self.call.language,
            )
        ]

    def choose(self, key: str) -> Step | None:
        """The step a menu key leads to, or None for a key with no meaning here."""
        return None

    def choose_intent(self, intent: Intent) -> Step | None:
        """The step a spoken (non-emergency) intent leads to, or None."""
        return None

    def on_digits(self, digits: str) -> Step:
        if digits == REPEAT_KEY:
            return self.enter()
        if digits == ENGLISH_KEY:
            english = replace(self.call, language=EN)
            return replace(self, call=english, misses=0).enter()
        step = self.choose(digits)
        return self.invalid() if step is None else step

    def on_speech(self, text: str) -> Step:
        intent = intent_of(text, self.call.language)
        step = None if intent is None else self.choose_intent(intent)
        return self.invalid() if step is None else step

    def on_no_input(self) -> Step:
        return self.miss("menu.no_input")

    def invalid(self) -> Step:
        return self.miss("menu.invalid")
