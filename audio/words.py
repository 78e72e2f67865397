"""The words of the value pieces (digits, letters, numbers, clock hours, dates), per language.

These are texts for the speech synthesiser or the voice talent; :mod:`audio.speak`
decides which pieces a value is spoken from, and in what order.
"""

from __future__ import annotations

from ivr.prompt_texts import EN, MONTHS_EN, STATUS_WORDS, ZH

_ZH_DIGITS = "零一二三四五六七八九"
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_ORDINAL_ONES = (
    "_ first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_EN_ORDINAL_TENS = {20: "twentieth", 30: "thirtieth"}


def zh_number(n: int) -> str:
    """0–99 in Chinese: 零, 十, 十五, 二十, 九十九."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _ZH_DIGITS[ones]
    head = "十" if tens == 1 else _ZH_DIGITS[tens] + "十"
    return head + (_ZH_DIGITS[ones] if ones else "")


def en_number(n: int) -> str:
    """0–99 in English: zero, fifteen, twenty, ninety-nine."""
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")


def en_ordinal(n: int) -> str:
    """1–31 as a day of the month: first, twentieth, thirty-first."""
    if n < 20:
        return _EN_ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    if not ones:
        return _EN_ORDINAL_TENS[n]
    return f"{_EN_TENS[tens]}-{_EN_ORDINAL_ONES[ones]}"


def zh_clock(hour: int) -> str:
    """An hour of the clock in Chinese: 零点, 两点 (not 二点), 十四点."""
    return ("两" if hour == 2 else zh_number(hour)) + "点"


def en_clock(hour: int) -> str:
    """An hour of the 24 on a 12-hour clock face: 14 → two, 0 → twelve."""
    return en_number(hour % 12 or 12)


# Words that join values, in each language that needs them.
WORDS: dict[str, dict[str, str]] = {
    ZH: {
        "word.building": "栋",
        "word.entrance": "单元",
        "word.room": "室",
        "word.hour": "点",
        "word.minute": "分",
        "word.minutes": "分钟",
        "word.month": "月",
        "word.day": "日",
        "word.year": "年",
        "word.hundred": "百",
        "word.thousand": "千",
        "word.am": "上午",
        "word.pm": "下午",
        "word.point": "点",
    },
    EN: {
        "word.building": "building",
        "word.entrance": "entrance",
        "word.room": "room",
        "word.hour": "hours",
        "word.minute": "minute",
        "word.minutes": "minutes",
        "word.month": "month",
        "word.day": "day",
        "word.year": "year",
        "word.hundred": "hundred",
        "word.thousand": "thousand",
        "word.am": "a.m.",
        "word.pm": "p.m.",
        "word.point": "point",
        "word.oh": "oh",
        "word.at": "at",
    },
}


def value_words(language: str) -> dict[str, str]:
    """Every value piece of ``language`` and its words."""
    zh = language == ZH
    out: dict[str, str] = {f"digit.{d}": (_ZH_DIGITS[d] if zh else _EN_ONES[d]) for d in range(10)}
    out |= {f"char.{c}": c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    out |= {f"number.{n}": (zh_number(n) if zh else en_number(n)) for n in range(100)}
    out |= {f"clock.{h}": (zh_clock(h) if zh else en_clock(h)) for h in range(24)}
    months = [f"{zh_number(m)}月" for m in range(1, 13)] if zh else MONTHS_EN
    out |= {f"month.{m}": months[m - 1] for m in range(1, 13)}
    out |= {f"ordinal.{d}": (f"{zh_number(d)}日" if zh else en_ordinal(d)) for d in range(1, 32)}
    out |= {f"status.{key}": words for key, words in STATUS_WORDS[language].items()}
    return out | WORDS[language]
