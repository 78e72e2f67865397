"""TwiML documents written as text (no I/O): what twilio's ``VoiceResponse`` writes, faster.

The twilio library builds an ElementTree and serialises it, a tenth of a
millisecond or more per answer. :class:`Verb` keeps the same calls for the verbs
we use (``response.gather(...).say(...)``, keyword arguments in snake_case) and
writes the same text: attributes in camelCase sorted by name, ``True`` as
``true``, ``None`` left out, text and attributes escaped as ElementTree escapes
them, ``<Hangup />`` for an empty element, after the XML declaration.
``tests/twilio/test_document.py`` holds it to the library's output.
"""

from __future__ import annotations

import functools
from typing import Any

from twilio.twiml import TwiML, lower_camel

from hotline.remembered import Remembered

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class Verb:
    """One TwiML element and what nests in it; ``Verb("Response")`` is a document."""

    __slots__ = ("_head", "_text", "_children")

    def __init__(self, tag: str, text: str | None = None, **attributes: Any) -> None:
        self._head = tag, _attributes(attributes)
        self._text = text
        self._children: list[Verb] = []

    def nest(self, tag: str, text: str | None = None, **attributes: Any) -> Verb:
        """A new element inside this one, returned."""
        child = Verb(tag, text, **attributes)
        self._children.append(child)
        return child

    def say(self, message: str | None = None, **attributes: Any) -> Verb:
        return self.nest("Say", message, **attributes)

    def play(self, url: str | None = None, **attributes: Any) -> Verb:
        return self.nest("Play", url, **attributes)

    def pause(self, **attributes: Any) -> Verb:
        return self.nest("Pause", **attributes)

    def gather(self, **attributes: Any) -> Verb:
        return self.nest("Gather", **attributes)

    def record(self, **attributes: Any) -> Verb:
        return self.nest("Record", **attributes)

    def redirect(self, url: str, **attributes: Any) -> Verb:
        return self.nest("Redirect", url, **attributes)

    def enqueue(self, name: str | None = None, **attributes: Any) -> Verb:
        return self.nest("Enqueue", name, **attributes)

    def dial(self, number: str | None = None, **attributes: Any) -> Verb:
        return self.nest("Dial", number, **attributes)

    def hangup(self) -> Verb:
        return self.nest("Hangup")

    def leave(self) -> Verb:
        return self.nest("Leave")

    def to_xml(self) -> str:
        """The document: the XML declaration, then this element."""
        out = [DECLARATION]
        self._write(out)
        return "".join(out)

    def _write(self, out: list[str]) -> None:
        tag, attributes = self._head
        out.append(f"<{tag}{attributes}")
        if not self._text and not self._children:
            out.append(" />")
            return
        out.append(">")
        if self._text:
            out.append(_escape_text(self._text))
        for child in self._children:
            child._write(out)
        out.append(f"</{tag}>")


def response() -> Verb:
    """An empty ``<Response>``."""
    return Verb("Response")


def _attributes(given: dict[str, Any]) -> str:
    """The attributes as written (remembered: a few sets of them recur on every call)."""
    return _WRITTEN.get(_write_attributes, given)


def _write_attributes(given: dict[str, Any]) -> str:
    named = {_name(k): v for k, v in given.items() if v is not None}
    return "".join(f' {name}="{_escape_attribute(_text(named[name]))}"' for name in sorted(named))


_WRITTEN: Remembered[str] = Remembered()


@functools.cache
def _name(keyword: str) -> str:
    """The attribute a keyword names, as twilio names it: ``action_on_empty_result`` →
    ``actionOnEmptyResult``, ``from_`` → ``from``."""
    return str(lower_camel(TwiML.MAP.get(keyword, keyword)))


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _escape_attribute(text: str) -> str:
    text = _escape_text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text
