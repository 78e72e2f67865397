"""A prompt with its values as the sequence of recorded pieces Asterisk plays (no I/O).

A prompt's text is a template (``早上好，欢迎致电{community}物业服务中心。``). Its fixed
parts are recorded once each: the part before the first value is named like the
prompt (``greeting.morning``), the later ones ``<prompt>.part2``, ``.part3`` … by
their place in the template; parts with no words (``。``) are not played. Each
value is spoken from value pieces, in the order the language says it:

    work order SH01-2026-000123   char.S char.H digit.0 digit.1 digit.2 … (both)
    14:30          zh  clock.14 number.30 word.minute          十四点 三十 分
                   en  clock.14 number.30 word.pm              two thirty p.m.
    2026-11-20     zh  digit.2 digit.0 digit.2 digit.6 word.year month.11 ordinal.20
                   en  month.11 ordinal.20 number.20 number.26
    3栋2单元1502   zh  digit.3 word.building digit.2 word.entrance digit.1 … word.room
                   en  word.building number.3 word.entrance number.2 word.room digit.1 …

:func:`sequence` is what an adapter plays for a :class:`ivr.flow.Say`; the
catalogue (:mod:`audio.catalogue`) records every name it can return.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator, Mapping
from typing import Any

from audio.exceptions import UnknownPrompt
from ivr.flow import Say
from ivr.prompt_texts import EN, FRAGMENTS, TEXTS, ZH

_ADDRESS = re.compile(r"(?P<building>[^栋]+)栋(?:(?P<entrance>[^单]+)单元)?(?P<room>.+)")
_CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})")
_WORDY = re.compile(r"\w")


# Sentences only text-to-speech can say: an engineer's name cannot be pre-recorded.
UNRECORDED = frozenset({"wo.assignee"})


def incident_piece(incident_id: int) -> str:
    """The recording of an incident's status message (``hotline/incident-<id>``)."""
    return f"incident.{int(incident_id)}"


def templates(language: str) -> Mapping[str, str]:
    """Every template of ``language``: the prompts and the optional sentences of wo.status."""
    fragments = {k: v for k, v in FRAGMENTS[language].items() if k not in UNRECORDED}
    return TEXTS[language] | fragments


def parts(prompt: str, template: str) -> Iterator[tuple[str, str, str | None]]:
    """The template as (part name, fixed words, the value after them or None)."""
    for index, (literal, field, _spec, _conv) in enumerate(string.Formatter().parse(template)):
        name = prompt if index == 0 else f"{prompt}.part{index + 1}"
        yield name, literal.strip(), field


def spoken(words: str) -> bool:
    """Whether fixed words say anything (``。`` or ``.`` alone do not)."""
    return bool(_WORDY.search(words))


def sequence(say: Say, community_code: str = "") -> list[str]:
    """The pieces to play for ``say``, fixed parts and values interleaved.

    A community's name is its own recording, ``community.<code>``.

    :raises UnknownPrompt: for a prompt with no text.
    """
    language = say.language if say.language in TEXTS else ZH
    template = templates(language).get(say.prompt)
    if template is None:
        raise UnknownPrompt(say.prompt, language)
    return _expand(say.prompt, template, say.params, language, community_code)


def _expand(
    prompt: str, template: str, params: Mapping[str, Any], language: str, code: str
) -> list[str]:
    out: list[str] = []
    for name, words, field in parts(prompt, template):
        if spoken(words):
            out.append(name)
        if field:
            out.extend(_value(field, params, language, code))
    return out


def _value(field: str, params: Mapping[str, Any], language: str, code: str) -> list[str]:
    """How the value a template names is spoken; nothing for one that was not given."""
    value = params.get(field)
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    if field == "community":
        return [f"community.{code}"] if code else []
    if field == "place":
        return _place(params, language)
    if field == "message":  # an incident's status: its own recording, made when declared
        return [incident_piece(params["incident"])] if params.get("incident") else []
    if field.endswith("_part"):
        return _fragment(field.removesuffix("_part"), params, language, code)
    if not text:
        return []
    if field in ("open", "close"):
        match = _CLOCK.fullmatch(text)
        return clock(int(match["hour"]), int(match["minute"]), language) if match else []
    if field == "status":
        return [f"status.{text}"]
    if field == "address":
        return address(text, language)
    if field == "building":
        return _label(text, language)
    if field in ("position", "minutes") and text.isdigit():
        return _count(field, int(text), language)
    if field == "when":
        return when(text, language)
    if field == "day":
        return day_of(text, language)
    if field == "amount":
        return amount(text, language)
    return characters(text)  # work_order, number, building, room, digit


def _place(params: Mapping[str, Any], language: str) -> list[str]:
    """The unit found: its address, else the building and room the caller typed."""
    if params.get("address"):
        return address(str(params["address"]), language)
    building, room = str(params.get("building") or ""), str(params.get("room") or "")
    if not (building or room):
        return []
    return address(f"{building}栋{room}", language)


def _fragment(kind: str, params: Mapping[str, Any], language: str, code: str) -> list[str]:
    """The optional sentences of wo.status; an engineer's name cannot be pre-recorded."""
    wanted = {"when": bool(params.get("when")), "overdue": params.get("overdue") is True}
    if not wanted.get(kind):
        return []
    name = f"wo.{kind}"
    return _expand(name, FRAGMENTS[language][name], params, language, code)


def _count(field: str, n: int, language: str) -> list[str]:
    said = number(n, language)
    if field == "minutes" and language == EN:
        said.append("word.minute" if n == 1 else "word.minutes")
    return said


def characters(text: str) -> list[str]:
    """Character by character, as a work-order or room number is read; separators left out."""
    return [f"digit.{c}" if c.isdigit() else f"char.{c.upper()}" for c in text if c.isalnum()]


def number(n: int, language: str) -> list[str]:
    """A whole number: 0–99 as one piece, up to 9,999 with hundreds and thousands."""
    if n < 0 or n >= 10000:
        return characters(str(n))
    if n < 100:
        return [f"number.{n}"]
    thousands, rest = divmod(n, 1000)
    hundreds, tail = divmod(rest, 100)
    out = [f"number.{thousands}", "word.thousand"] if thousands else []
    if hundreds:
        out += [f"number.{hundreds}", "word.hundred"]
    if not tail:
        return out
    if language == ZH:
        if tail < 10 or not hundreds:  # 一百零五, 一千零五十
            out.append("digit.0")
        if 10 <= tail < 20:  # 一百一十五: 十 after a hundred or thousand says its 一
            out.append("digit.1")
    return [*out, f"number.{tail}"]


def clock(hour: int, minute: int, language: str) -> list[str]:
    """A time of day: 十四点三十分 / 八点零五分; two thirty p.m. / eight oh five a.m."""
    out = [f"clock.{hour}"]
    if language == ZH:
        if minute:
            out += (["digit.0"] if minute < 10 else []) + [f"number.{minute}", "word.minute"]
        return out
    if minute:
        out += (["word.oh"] if minute < 10 else []) + [f"number.{minute}"]
    return [*out, "word.am" if hour < 12 else "word.pm"]


def year(y: int, language: str) -> list[str]:
    """二零二六年; twenty twenty-six, two thousand and six."""
    if language == ZH:
        return [*characters(str(y)), "word.year"]
    century, rest = divmod(y, 100)
    if y % 1000 < 10:
        return [f"number.{y // 1000}", "word.thousand"] + ([f"number.{rest}"] if rest else [])
    if 10 <= century <= 99:
        return [f"number.{century}", f"number.{rest}"] if rest >= 10 else number(y, language)
    return number(y, language)


def date(day: dt.date, language: str, *, with_year: bool = True) -> list[str]:
    """二零二六年十一月二十日; November twentieth, twenty twenty-six."""
    month_day = [f"month.{day.month}", f"ordinal.{day.day}"]
    if not with_year:
        return month_day
    if language == ZH:
        return year(day.year, language) + month_day
    return month_day + year(day.year, language)


def when(text: str, language: str) -> list[str]:
    """An ISO date-time as an appointment is read: day and time, no year; nothing if not one."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return []
    day = date(moment.date(), language, with_year=False)
    joint = ["word.at"] if language == EN else []
    return day + joint + clock(moment.hour, moment.minute, language)


def day_of(text: str, language: str) -> list[str]:
    """An ISO date as a day of the year, no year (十一月二十日; November twentieth)."""
    try:
        return date(dt.date.fromisoformat(text[:10]), language, with_year=False)
    except ValueError:
        return []


def amount(text: str, language: str) -> list[str]:
    """A sum of money: the whole number, then point and the digits of any cents."""
    whole, _, cents = text.partition(".")
    if not whole.isdigit():
        return characters(text)
    cents = cents.rstrip("0")
    return number(int(whole), language) + (["word.point", *characters(cents)] if cents else [])


def address(text: str, language: str) -> list[str]:
    """``3栋2单元1502``: building and entrance as numbers, the room digit by digit."""
    match = _ADDRESS.fullmatch(text)
    if not match:
        return characters(text)
    building, entrance, room = match["building"], match["entrance"], match["room"]
    if language == ZH:
        out = [*_label(building, language), "word.building"]
        out += [*_label(entrance, language), "word.entrance"] if entrance else []
        return [*out, *characters(room), "word.room"]
    out = ["word.building", *_label(building, language)]
    out += ["word.entrance", *_label(entrance, language)] if entrance else []
    return [*out, "word.room", *characters(room)]


def _label(text: str, language: str) -> list[str]:
    """A building or entrance: 12 as twelve (十二), letters and long ones character by character."""
    if text.isdigit() and int(text) < 100 and not text.startswith("0"):
        return number(int(text), language)
    return characters(text)
